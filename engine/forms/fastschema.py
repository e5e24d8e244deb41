"""Compile the subset of JSON Schema that forms generate into plain Python checks.

``jsonschema`` interprets a schema node by node: about 130 µs per suggestion-sized document,
1 ms with the township/station rules. Bulk imports must check tens of thousands of rows a second,
so they use this compiled checker instead. It is derived from the very schema ``jsonschema``
uses, covers only keywords forms produce, and hands any other sub-schema (an administrator's
rule condition, say) to ``jsonschema`` itself. A property-based test holds the two to agreeing.
"""
from __future__ import annotations

import datetime as dt
import numbers
import re
from typing import Any, Callable

from jsonschema import Draft202012Validator

from engine.kernel.errors import Problem

Check = Callable[[Any], "str | None"]  # returns the failing keyword, or None
_KNOWN_VALUE_KEYS = {"type", "enum", "const", "minLength", "maxLength", "pattern", "minimum", "maximum",
                     "minItems", "maxItems", "uniqueItems", "items", "format", "title", "properties",
                     "required"}


def _is_type(name: str, value: Any) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, numbers.Number) and value == int(value))
    if name == "number":
        return isinstance(value, numbers.Number) and not isinstance(value, bool)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name == "boolean":
        return isinstance(value, bool)
    return False


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def compile_value(schema: dict) -> Check:
    """A check for one property's schema; falls back to jsonschema for unknown keywords."""
    if set(schema) - _KNOWN_VALUE_KEYS or "properties" in schema or "required" in schema:
        if schema.get("type") == "object":
            validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
            def check_object(value: Any) -> str | None:
                error = next(iter(validator.iter_errors(value)), None)
                return "type" if error is not None and error.validator == "type" else (
                    error.validator if error is not None else None)
            return check_object
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        return lambda value: None if validator.is_valid(value) else "schema"
    special = _specialised(schema)
    if special is not None:
        return special
    steps: list[tuple[str, Callable[[Any], bool]]] = []
    kind = schema.get("type")
    if kind:
        steps.append(("type", lambda v, k=kind: _is_type(k, v)))
    if "enum" in schema:
        allowed = schema["enum"]
        allowed_set = frozenset(a for a in allowed if isinstance(a, (str, int)) and not isinstance(a, bool))
        steps.append(("enum", lambda v: v in allowed_set if isinstance(v, (str, int)) and not isinstance(v, bool)
                      else v in allowed))
    if "const" in schema:
        steps.append(("const", lambda v, c=schema["const"]: v == c))
    if "minLength" in schema:
        steps.append(("minLength", lambda v, n=schema["minLength"]: not isinstance(v, str) or len(v) >= n))
    if "maxLength" in schema:
        steps.append(("maxLength", lambda v, n=schema["maxLength"]: not isinstance(v, str) or len(v) <= n))
    if "pattern" in schema:
        search = re.compile(schema["pattern"]).search
        steps.append(("pattern", lambda v: not isinstance(v, str) or search(v) is not None))
    if "format" in schema and schema["format"] == "date":
        steps.append(("format", _is_date))
    if "minimum" in schema:
        steps.append(("minimum", lambda v, n=schema["minimum"]: not _is_type("number", v) or v >= n))
    if "maximum" in schema:
        steps.append(("maximum", lambda v, n=schema["maximum"]: not _is_type("number", v) or v <= n))
    if "items" in schema:
        item_check = compile_value(schema["items"])
        steps.append(("items", lambda v: not isinstance(v, list) or all(item_check(i) is None for i in v)))
    if "minItems" in schema:
        steps.append(("minItems", lambda v, n=schema["minItems"]: not isinstance(v, list) or len(v) >= n))
    if "maxItems" in schema:
        steps.append(("maxItems", lambda v, n=schema["maxItems"]: not isinstance(v, list) or len(v) <= n))
    if schema.get("uniqueItems"):
        steps.append(("uniqueItems", lambda v: not isinstance(v, list) or len(set(map(repr, v))) == len(v)))

    def check(value: Any) -> str | None:
        for keyword, ok in steps:
            if not ok(value):
                return keyword
        return None
    return check


def _specialised(schema: dict) -> Check | None:
    """One closure for the shapes forms produce most (choices, text): imports call these a lot."""
    keys = set(schema) - {"title"}
    if keys == {"enum"} and all(isinstance(a, str) for a in schema["enum"]):
        allowed = frozenset(schema["enum"])
        return lambda v: None if v.__class__ is str and v in allowed else "enum"
    if schema.get("type") == "string" and keys <= {"type", "minLength", "maxLength", "pattern"}:
        low = schema.get("minLength", 0)
        high = schema.get("maxLength")
        search = re.compile(schema["pattern"]).search if "pattern" in schema else None

        def check_text(v: Any) -> str | None:
            if v.__class__ is not str and not isinstance(v, str):
                return "type"
            n = len(v)
            if n < low:
                return "minLength"
            if high is not None and n > high:
                return "maxLength"
            if search is not None and search(v) is None:
                return "pattern"
            return None
        return check_text
    return None


def compile_form_schema(schema: dict) -> Callable[[dict], list[tuple[str, Problem]]]:
    """Checker for a whole form document, reporting (field id, Problem) like the jsonschema path."""
    props = {name: compile_value(sub) for name, sub in schema["properties"].items()}
    limits = {name: sub for name, sub in schema["properties"].items()}
    required = tuple(schema.get("required", ()))
    conditionals = []
    # `if scope == constant then ...` rules (a station must belong to its township) are many and
    # exclusive: look the branch up by value instead of testing each.
    by_const: dict[str, dict[Any, Any]] = {}
    for part in schema.get("allOf", ()):
        cond = part["if"]
        (scope, cond_schema), = cond["properties"].items()
        if set(cond_schema) == {"const"} and "else" not in part and isinstance(cond_schema["const"], str):
            by_const.setdefault(scope, {})[cond_schema["const"]] = _branch(part.get("then"))
            continue
        cond_check = compile_value(cond_schema)
        conditionals.append((scope, cond_check, _branch(part.get("then")), _branch(part.get("else"))))

    def check(document: dict) -> list[tuple[str, Problem]]:
        found: list[tuple[str, Problem]] = []
        for key in document:
            if key not in props:
                found.append(("", Problem("unknown_fields", {"fields": key})))
        for name in required:
            if name not in document:
                found.append((name, Problem("required")))
        for name, value in document.items():
            checker = props.get(name)
            if checker is None:
                continue
            keyword = checker(value)
            if keyword is not None:
                found.append((name, _problem(keyword, limits[name])))
        for scope, branches in by_const.items():
            value = document.get(scope)
            branch = branches.get(value) if isinstance(value, str) else None
            if branch is not None:
                found.extend(branch(document))
        for scope, cond_check, then_branch, else_branch in conditionals:
            holds = scope in document and cond_check(document[scope]) is None
            branch = then_branch if holds else else_branch
            if branch is not None:
                found.extend(branch(document))
        return found
    return check


def _branch(schema: dict | None):
    if not schema:
        return None
    if "required" in schema:
        names = tuple(schema["required"])
        return lambda doc: [(n, Problem("required")) for n in names if n not in doc]
    if "not" in schema:
        names = tuple(schema["not"]["required"])
        return lambda doc: [(names[0], Problem("not_applicable"))] if all(n in doc for n in names) else []
    if "properties" in schema:
        checks = [(name, compile_value(sub), sub) for name, sub in schema["properties"].items()]
        def branch(doc: dict) -> list[tuple[str, Problem]]:
            out = []
            for name, checker, sub in checks:
                if name in doc:
                    keyword = checker(doc[name])
                    if keyword is not None:
                        out.append((name, _problem(keyword, sub)))
            return out
        return branch
    raise ValueError(f"form schema branch not understood: {sorted(schema)}")


def _problem(keyword: str, schema: dict) -> Problem:
    limit = schema.get(keyword)
    if isinstance(limit, (list, dict)) or limit is None:
        return Problem(keyword)
    return Problem(keyword, {"limit": limit})
