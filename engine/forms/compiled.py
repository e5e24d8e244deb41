"""A form compiled once per profile: its JSON Schema, its validators and rule checks.

Validation of a submission, in order: read each raw value with its field type (text from a CSV
cell or a widget's value), drop fields that rules hide, fill defaults, then check the whole
document against the form's JSON Schema (Draft 2020-12). The schema carries the conditional
rules too (if/then), so the server enforces them whatever the page showed.

One schema, two validators: ``jsonschema`` for forms filled in one at a time (its errors are the
reference), ``jsonschema-rs`` (compiled, about 50 times faster) for imports and sheets filed in
bulk, tens of thousands of rows a second. A property-based test holds them to the same problem
for every field of every document.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple, Sequence

import jsonschema_rs
from jsonschema import Draft202012Validator

from engine.schema.forms import Field, Form

# Exact decimals: compared by the schema as Decimal (a numbers.Number to jsonschema), stored as text.
DECIMAL_TYPES = ("money", "number")
from engine.kernel.errors import InputError, Problem
from engine.schema.fieldtypes import FIELD_TYPES, DateType, FieldValueError, TextType

FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
# reference target -> the records column that holds it
PROMOTED = {"townships": "township", "stations": "station", "channels": "channel"}
_IDENTITY_TO_JSON = TextType.to_json
_IDENTITY_FROM_JSON = TextType.from_json


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, (list, tuple, dict)) and not value
    )


class Submission(NamedTuple):
    """A valid submission: typed values (Decimal, date ...) and the JSON document stored."""

    values: dict[str, Any]
    document: dict[str, Any]


SEARCHED_TYPES = ("text", "textarea")


class CompiledForm:
    def __init__(self, form: Form, choices: Mapping[str, Mapping[str, str]],
                 stations_by_township: Mapping[str, list[str]],
                 checks: Sequence[Callable[[Mapping[str, Any]], Any]] = ()):
        """``choices``: reference target (townships ...) -> {id or label: id}. ``checks``: the
        form's `checks` compiled, in order (the profile compiles expressions; forms only run them)."""
        self.form = form
        self._checks = tuple(zip(checks, form.checks))
        self._choices = choices
        self._stations_by_township = stations_by_township
        self.schema = self._build_schema()
        self.validator = Draft202012Validator(self.schema, format_checker=FORMAT_CHECKER)
        self.bulk_validator = jsonschema_rs.validator_for(self.schema, validate_formats=True)
        self._rule_checks = {f.id: jsonschema_rs.validator_for(f.rule.condition.schema_, validate_formats=True)
                             for f in form.fields if f.rule}
        self._field_ids = frozenset(f.id for f in form.fields)
        self._types = {f.id: FIELD_TYPES[f.type] for f in form.fields}
        # only types whose stored JSON differs from the Python value need converting; exact
        # decimals (money, numbers) last, after the schema has compared them as Decimal
        self._money_fields = tuple(f.id for f in form.fields if f.type in DECIMAL_TYPES)
        self._to_json = {f.id: self._types[f.id].to_json for f in form.fields
                         if type(self._types[f.id]).to_json is not _IDENTITY_TO_JSON}
        self._from_json = tuple((f.id, self._types[f.id].from_json) for f in form.fields
                                if type(self._types[f.id]).from_json is not _IDENTITY_FROM_JSON)
        self._plan = [
            (f.id, f, self._types[f.id].parse, f.default,
             choices.get(f.to) if f.to in choices else None, isinstance(self._types[f.id], DateType),
             None if f.id in self._money_fields else self._to_json.get(f.id))
            for f in form.fields
        ]
        self._auto_stations = tuple((f.id, f.filter_by) for f in form.fields if f.filter_by)
        self._hideable = [(f.id, f) for f in form.fields if f.rule and f.rule.effect != "REQUIRE"]
        self.fields_by_id = {f.id: f for f in form.fields}
        # Columns promoted out of the document for indexed lists: the first field that refers to
        # each of the profile's lists. Other filterable fields are kept as facets.
        self.promoted: dict[str, str | None] = {column: None for column in PROMOTED.values()}
        for f in form.fields:
            column = PROMOTED.get(f.to or "")
            if column and self.promoted[column] is None:
                self.promoted[column] = f.id
        # Kept as facets too, to sort a list by them through the facets' index: required dates shown
        # as list columns (a suggestion's date; ISO text sorts as the dates do)
        self.sorted_dates = tuple(fid for fid in form.list_columns if fid in self.fields_by_id and fid not in form.filters
                                  and self.fields_by_id[fid].type == "date" and self.fields_by_id[fid].required)
        self.facet_fields = tuple(fid for fid in form.filters if fid not in self.promoted.values()) + self.sorted_dates
        # What a keyword search looks in besides the title: the written texts, never personal data
        self.search_fields = tuple(f.id for f in form.fields if f.type in SEARCHED_TYPES and not f.private)

    # -- derived artefacts ------------------------------------------------------------------
    def _build_schema(self) -> dict:
        form = self.form
        props = {f.id: {"title": f.label, **FIELD_TYPES[f.type].schema(f, self._choice_list)} for f in form.fields}
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:minsheng:form:{form.id}",
            "title": form.label,
            "type": "object",
            "properties": props,
            "additionalProperties": False,
            "required": [f.id for f in form.fields if f.required and not f.rule],
        }
        all_of = []
        for f in form.fields:
            if f.rule:
                when = {"properties": {f.rule.condition.scope: f.rule.condition.schema_},
                        "required": [f.rule.condition.scope]}
                if f.rule.effect == "REQUIRE":
                    all_of.append({"if": when, "then": {"required": [f.id]}})
                    if f.required:
                        schema["required"].append(f.id)
                    continue
                shown, hidden = ({"required": [f.id]} if f.required else {}), {"not": {"required": [f.id]}}
                if f.rule.effect == "SHOW":
                    all_of.append({"if": when, "then": shown, "else": hidden})
                else:
                    all_of.append({"if": when, "then": hidden, "else": shown})
            if f.filter_by:
                for township, stations in self._stations_by_township.items():
                    all_of.append({
                        "if": {"properties": {f.filter_by: {"const": township}}, "required": [f.filter_by]},
                        "then": {"properties": {f.id: {"enum": stations}}},
                    })
        if all_of:
            schema["allOf"] = all_of
        return schema

    def _choice_list(self, field: Field) -> list[str]:
        return list(dict.fromkeys(self._choices[field.to].values()))

    # -- rules --------------------------------------------------------------------------------
    def visible_fields(self, document: Mapping[str, Any]) -> set[str]:
        """Fields shown for these values (a field whose rule hides it is left out)."""
        shown = set()
        for f in self.form.fields:
            if not f.rule or f.rule.effect == "REQUIRE":
                shown.add(f.id)
                continue
            holds = self._condition_holds(f, document)
            if holds == (f.rule.effect == "SHOW"):
                shown.add(f.id)
        return shown

    def required_fields(self, document: Mapping[str, Any]) -> set[str]:
        visible = self.visible_fields(document)
        out = set()
        for f in self.form.fields:
            if f.id not in visible:
                continue
            if f.required and (not f.rule or f.rule.effect != "REQUIRE"):
                out.add(f.id)
            elif f.rule and f.rule.effect == "REQUIRE" and self._condition_holds(f, document):
                out.add(f.id)
        return out

    def _condition_holds(self, f: Field, document: Mapping[str, Any]) -> bool:
        scope = f.rule.condition.scope
        return scope in document and self._rule_checks[f.id].is_valid(document[scope])

    # -- validation ---------------------------------------------------------------------------
    def fillable(self, roles: frozenset[str] | None) -> set[str]:
        """Fields these roles may fill in (None: any role, as for the system and imports)."""
        if roles is None:
            return set(self._field_ids)
        return {f.id for f in self.form.fields if not f.roles or "public" in f.roles or roles & set(f.roles)}

    def validate(self, raw: Mapping[str, Any], *, date_formats: tuple[str, ...] = (), bulk: bool = False,
                 roles: frozenset[str] | None = None) -> Submission:
        """Read, check and type a submission, or raise InputError naming every bad field.

        ``bulk`` checks with ``jsonschema-rs`` (imports, sheets in bulk) instead of ``jsonschema``
        (forms); both read ``self.schema`` and a test holds them to the same problems.
        """
        problems: dict[str, Problem] = {}
        if roles is not None:  # a field this user may not fill in takes its default, whatever was sent
            allowed = self.fillable(roles)
            raw = {k: v for k, v in raw.items() if k in allowed or k not in self._field_ids}
        if not self._field_ids.issuperset(raw):
            unknown = sorted(k for k in raw if k not in self._field_ids)
            problems[""] = Problem("unknown_fields", {"fields": ", ".join(unknown)})
        values: dict[str, Any] = {}  # typed: Decimal, date ...
        # The document the schema checks is the stored JSON, except that money stays Decimal so
        # that minimum/maximum compare exactly (Decimal is a numbers.Number to jsonschema).
        document: dict[str, Any] = {}
        # A precomputed plan per field keeps this loop lean: imports run it for every row.
        for fid, field, parse, default, lookup, is_date, to_json in self._plan:
            value = raw.get(fid)
            if value.__class__ is str:
                empty = not value or value.isspace()
            else:
                empty = value is None or value == [] or value == {}
            if empty:
                if default is None:
                    continue
                value = default
            try:
                value = parse(field, value, date_formats) if is_date and date_formats else parse(field, value)
            except FieldValueError as exc:
                problems[fid] = Problem(exc.code, exc.params)
                continue
            if lookup is not None:  # imports carry a township's name, forms its id
                value = lookup.get(value, value)
            values[fid] = value
            document[fid] = to_json(value) if to_json is not None else value
        for fid, filter_by in self._auto_stations:
            if fid not in values and filter_by in values:
                options = self._stations_by_township.get(values[filter_by], ())
                if len(options) == 1:  # the township has one station: it must be that one
                    values[fid] = document[fid] = options[0]
        for fid, rule_field in self._hideable:
            if self._condition_holds(rule_field, document) != (rule_field.rule.effect == "SHOW"):
                values.pop(fid, None)
                document.pop(fid, None)
                problems.pop(fid, None)  # a hidden field's value is dropped, not judged
        for field_id, problem in self.schema_problems(document, bulk=bulk):
            problems.setdefault(field_id, problem)
        for holds, spec in self._checks:  # judged once the fields they read are fine on their own
            if problems.keys() & getattr(holds, "names", problems.keys()):
                continue
            if holds(values) is False:  # unknown (a field left empty) is not a refusal
                problems.setdefault(spec.field or "", Problem("check_failed", {
                    "message": spec.message, "message_en": spec.message_en or spec.message}))
        if problems:
            raise InputError(problems)
        for fid in self._money_fields:
            if fid in document:
                document[fid] = str(document[fid])
        return Submission(values=values, document=document)

    def schema_problems(self, document: Mapping[str, Any], *, bulk: bool = False) -> list[tuple[str, Problem]]:
        if bulk:
            if self.bulk_validator.is_valid(document):  # the common case: no error objects made
                return []
            return [found for e in self.bulk_validator.iter_errors(document) for found in self._problems_from_rs_error(e)]
        return [found for e in self.validator.iter_errors(document) for found in _problems_from_schema_error(e)]

    def _problems_from_rs_error(self, error) -> list[tuple[str, Problem]]:
        """A jsonschema-rs error as the same (field, problem) that jsonschema's gives."""
        kind = error.kind
        keyword = kind.name
        if keyword == "required":  # one error per missing property
            return [(kind.property, Problem("required"))]
        if keyword == "not" and isinstance(kind.schema, dict) and kind.schema.get("required"):
            return [(kind.schema["required"][0], Problem("not_applicable"))]
        if keyword == "additionalProperties":
            return [("", Problem("unknown_fields", {"fields": ", ".join(sorted(kind.unexpected))}))]
        limit: Any = self.schema
        for step in error.schema_path:  # the keyword's own value in the schema, as jsonschema reports it
            limit = limit[step]
        field_id = str(error.instance_path[0]) if error.instance_path else ""
        if isinstance(limit, (list, dict)):
            limit = None
        return [(field_id, Problem(keyword, {"limit": limit} if limit is not None else {}))]

    def values_of(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """A stored JSON document's values as Python sees them: Decimal money, dates."""
        values = {k: v for k, v in document.items() if k in self._types}
        for field_id, from_json in self._from_json:  # most fields are stored as they are
            if field_id in values:
                values[field_id] = from_json(values[field_id])
        return values


def _problems_from_schema_error(error) -> list[tuple[str, Problem]]:
    kind = error.validator
    if kind == "required":  # one error names every missing property
        return [(p, Problem("required")) for p in error.validator_value if p not in error.instance]
    if kind == "not" and isinstance(error.validator_value, dict) and error.validator_value.get("required"):
        return [(error.validator_value["required"][0], Problem("not_applicable"))]
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return [("", Problem("unknown_fields", {"fields": ", ".join(extra)}))]
    field_id = str(error.absolute_path[0]) if error.absolute_path else ""
    limit = error.validator_value
    if isinstance(limit, (list, dict)):
        limit = None
    return [(field_id, Problem(kind, {"limit": limit} if limit is not None else {}))]
