"""Turn pydantic's validation errors into located, readable config problems.

cfgv (pre-commit's validator) prints a breadcrumb per level naming objects by their id; we do the
same on one line, with the file and line in front:
``forms/suggestion.yaml:12: At Form(id='suggestion') -> fields -> Field(id='phone') -> type: ...``
"""
from __future__ import annotations

import difflib
from decimal import Decimal
import types
import typing
from enum import Enum
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from engine.kernel.errors import ConfigProblem
from engine.profile.yamlfile import YamlDocument
from engine.schema.base import KeyProblem


def problems_from_validation(
    exc: ValidationError, model: type[BaseModel], doc: YamlDocument, file: str
) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, KeyProblem):
            loc = loc + (cause.key,)
        crumbs = breadcrumbs(model, doc.data, loc)
        problems.append(
            ConfigProblem(doc.file_of(loc, file), doc.line_of(loc), tuple(crumbs), _message(err, model, loc))
        )
    return problems


def breadcrumbs(model: type[BaseModel], data: Any, loc: tuple[Any, ...]) -> list[str]:
    """``Form(id='x') -> fields -> Field(id='phone') -> type`` for a path into ``data``."""
    crumbs = [_name_object(model, data, None)]
    annotation: Any = model
    value = data
    for part in loc:
        annotation = _child_annotation(annotation, part)
        value = value.get(part) if isinstance(value, dict) else (
            value[part] if isinstance(value, list) and isinstance(part, int) and part < len(value) else None
        )
        item_model = _model_in(annotation)
        if isinstance(part, int) and item_model is None:
            crumbs[-1] += f"[{part}]"  # a plain value in a list: roles[2]
        elif isinstance(part, int):
            crumbs.append(_name_object(item_model, value, part))
        elif item_model is not None and isinstance(value, dict) and "id" in value:
            crumbs.append(str(part))
            crumbs.append(_name_object(item_model, value, None))
        else:
            crumbs.append(str(part))
    return crumbs


def _name_object(model: Any, value: Any, index: int | None) -> str:
    name = model.__name__ if isinstance(model, type) else "Item"
    if isinstance(value, dict) and isinstance(value.get("id"), (str, int)):
        return f"{name}(id={value['id']!r})"
    if index is not None:
        return f"{name}[{index}]"
    return f"{name}()"


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional so that we see the real container or model."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _child_annotation(annotation: Any, part: Any) -> Any:
    annotation = _unwrap(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = None
        if isinstance(part, str):  # a YAML key is the field's alias where it has one ("from")
            field = annotation.model_fields.get(part) or next(
                (f for f in annotation.model_fields.values() if f.alias == part), None)
        return _unwrap(field.annotation) if field else None
    if origin in (list, tuple, set, frozenset) and isinstance(part, int):
        return _unwrap(get_args(annotation)[0])
    if origin is dict:
        return _unwrap(get_args(annotation)[1])
    return None


def _model_in(annotation: Any) -> Any:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _is_union_tag(part: Any) -> bool:
    # pydantic inserts the member type's name into loc for unions, e.g. 'function-after[...]'
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "bool", "decimal", "date"})


def allowed_values(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    annotation: Any = model
    for part in loc:
        annotation = _child_annotation(annotation, part)
    annotation = _unwrap(annotation)
    if get_origin(annotation) is Literal:
        return [str(a) for a in get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(m.value) for m in annotation]
    return None


def _message(err: dict, model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind = err["type"]
    key = loc[-1] if loc else None
    got = err.get("input")
    if kind == "extra_forbidden":
        parent = model
        for part in loc[:-1]:
            parent = _child_annotation(parent, part)
        known = sorted(f.alias or name for name, f in parent.model_fields.items()) \
            if isinstance(parent, type) and issubclass(parent, BaseModel) else []
        return f"unknown key '{key}'{_did_you_mean(str(key), known)}; expected one of: {', '.join(known)}"
    if kind == "missing":
        return f"required key '{key}' is missing"
    if kind in ("literal_error", "enum"):
        values = allowed_values(model, loc) or []
        return f"expected one of {', '.join(values)}; got {got!r}{_did_you_mean(str(got), values)}"
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    msg = msg[0].lower() + msg[1:]
    if kind == "string_pattern_mismatch" and "[a-z]" in str(err.get("ctx", {}).get("pattern", "")):
        msg = "expected an identifier of lower-case letters, digits and _ starting with a letter"
    if isinstance(got, (dict, list)):
        return f"{msg}; got a {'mapping' if isinstance(got, dict) else 'list'}"
    if isinstance(got, Decimal):  # as the file wrote it: 1.5, not Decimal('1.5')
        return f"{msg}; got {got}"
    return f"{msg}; got {got!r}"


def _did_you_mean(word: str, choices: list[str]) -> str:
    # never the word itself: when it is among the choices, the mistake is elsewhere
    close = difflib.get_close_matches(word, [c for c in choices if c != word], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def did_you_mean(word: str, choices: list[str]) -> str:
    return _did_you_mean(word, choices)
