"""forms/*.yaml: the fields of a form, who may use it, and how its records are listed."""
from __future__ import annotations

import re
import string
from functools import cached_property
from decimal import Decimal
from typing import Annotated, Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import Field as PydField, field_validator, model_validator

from engine.schema.base import ConfigModel, Identifier, KeyProblem, Labelled
from engine.schema.days import Window
from engine.schema.fieldtypes import FIELD_TYPES, TYPE_SPECIFIC_KEYS, FieldValueError

FieldTypeName = Literal[tuple(FIELD_TYPES)]  # type: ignore[valid-type]
REFERENCE_TARGETS = ("townships", "stations", "channels", "groups")


class Option(Labelled):
    id: Annotated[str, PydField(min_length=1, max_length=64)]
    """The value stored when this option is chosen."""


class Condition(ConfigModel):
    """JSON Forms' condition: the field named by ``scope`` must match the JSON Schema ``schema``."""

    scope: str
    """The field the condition looks at: its id, or '#/properties/ID' as JSON Forms writes it."""
    schema_: dict[str, Any] = PydField(alias="schema")
    """A JSON Schema the field's value must match, e.g. {enum: [a, b]} or {const: a}."""

    model_config = ConfigModel.model_config | {"populate_by_name": True}

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        value = value.removeprefix("#/properties/")
        if not re.match(r"^[a-z][a-z0-9_]*$", value):
            raise ValueError(f"expected a field id or '#/properties/ID'; got {value!r}")
        return value

    @field_validator("schema_")
    @classmethod
    def _schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            Draft202012Validator.check_schema(value)
        except SchemaError as exc:
            raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
        return value


class Rule(ConfigModel):
    """SHOW or HIDE the field when the condition holds, or REQUIRE it (visible, and required then)."""

    effect: Literal["SHOW", "HIDE", "REQUIRE"]
    """SHOW: only shown (and only required) when the condition holds. HIDE: hidden when it holds.
    REQUIRE: always shown, required when it holds."""
    condition: Condition
    """When the effect applies."""


class Field(Labelled):
    id: Identifier
    """Short code of the field, used in data, imports and rules (letters, digits, _)."""
    type: FieldTypeName
    """What kind of value: see the field types in docs/forms.md."""
    required: bool = False
    """True if the form cannot be sent without it (when shown)."""
    help: str | None = None
    """A hint shown beside the field, in Chinese."""
    help_en: str | None = None
    """The hint in English."""
    default: Any = None
    """The value used when none is given."""
    private: bool = False
    """True for personal data (names, phones): never shown on public pages, and to staff only if
    their role is in the form's `access.personal_data`."""
    rule: Rule | None = None
    """Show, hide or require the field depending on another field's value."""
    roles: tuple[Identifier, ...] = ()
    """Roles that may fill in this field; empty: everyone who may submit the form. For others the
    field is not shown, and its default is used."""
    min: Decimal | None = None
    """integer, number, money: the smallest value. multichoice: the fewest ticks."""
    max: Decimal | None = None
    """integer, number, money: the largest value. multichoice: the most ticks."""
    step: Annotated[Decimal, PydField(gt=0)] | None = None
    """number: every value is a whole multiple of it (0.5: half marks; 0.01: two decimals)."""
    min_length: Annotated[int, PydField(ge=0)] | None = None
    """text, textarea, phone: the fewest characters."""
    max_length: Annotated[int, PydField(ge=1)] | None = None
    """text, textarea, phone: the most characters."""
    pattern: str | None = None
    """text, textarea, phone: a regular expression the value must match."""
    options: tuple[Option, ...] = ()
    """choice, multichoice: the options, each with an id and labels."""
    scale: Annotated[int, PydField(ge=2, le=100)] | None = None
    """score: the highest score (scores run from 1)."""
    to: str | None = None
    """reference: townships, stations, channels, or form:ID for a record of another form."""
    filter_by: Identifier | None = None
    """reference to stations: the townships field whose choice limits the stations offered."""
    accept: tuple[str, ...] = ()
    """file: allowed file endings, e.g. [jpg, png, pdf]."""
    max_size_kb: Annotated[int, PydField(ge=1)] | None = None
    """file: the largest file, in KB."""

    @model_validator(mode="after")
    def _type_keys(self) -> "Field":
        kind = FIELD_TYPES[self.type]
        for key in sorted(TYPE_SPECIFIC_KEYS - kind.keys):
            if getattr(self, key) not in (None, ()):
                takers = ", ".join(t.name for t in FIELD_TYPES.values() if key in t.keys)
                raise KeyProblem(key, f"key '{key}' does not apply to type '{self.type}'; it applies to {takers}")
        if "options" in kind.keys and not self.options:
            raise KeyProblem("type", f"type '{self.type}' needs 'options'")
        if self.type == "score" and self.scale is None:
            raise KeyProblem("type", "type 'score' needs 'scale' (the highest score)")
        if self.type == "reference":
            if not self.to:
                raise KeyProblem("type", "type 'reference' needs 'to'")
            if self.to not in REFERENCE_TARGETS and not re.match(r"^form:[a-z][a-z0-9_]*$", self.to):
                raise KeyProblem(
                    "to", f"expected one of {', '.join(REFERENCE_TARGETS)} or form:ID; got {self.to!r}"
                )
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise KeyProblem("pattern", f"not a valid regular expression: {exc}") from None
        if self.min is not None and self.max is not None and self.min > self.max:
            raise KeyProblem("min", f"'min' ({self.min}) is greater than 'max' ({self.max})")
        return self

    def option_id(self, text: str) -> str:
        """An option's id from its id or either label (imports carry labels)."""
        for o in self.options:
            if text in (o.id, o.label, o.label_en):
                return o.id
        raise FieldValueError("not_option", value=text)

    def help_text(self, lang: str) -> str | None:
        return self.help_en if lang == "en" and self.help_en else self.help


class Access(ConfigModel):
    """Roles allowed each action on this form's records; `public` means anyone, signed in or not."""

    submit: tuple[Identifier, ...] = ()
    """Roles that may fill in the form (public: anyone)."""
    submit_window: Window | None = None
    """The days the form takes submissions, e.g. {from: 09-15, to: 10-15} each year; outside
    them it refuses every submission, in the app and the command line (imports of records
    collected earlier are not limited). Left out: any day."""
    list: tuple[Identifier, ...] = ()
    """Roles that may see the list of records."""
    view: tuple[Identifier, ...] = ()
    """Roles that may open a record."""
    personal_data: tuple[Identifier, ...] | None = None
    """Roles that may read the record's private fields (names, phones, ID numbers); the others who
    may view it see it without them (the Personal Information Protection Law's "minimum
    necessary"). Left out: every role that may view."""


class FormCheck(ConfigModel):
    """A rule the values of one submission must keep together, checked by the server: e.g. the
    households satisfied cannot outnumber the households asked."""

    check: str
    """A condition on the form's fields that must hold, e.g. satisfied + basic <= households. A
    check with an empty field in it is not judged (the field's own `required` says if it must be
    filled in)."""
    field: Identifier | None = None
    """The field the refusal is shown at; left out: above the form."""
    message: str
    """What the person filling in the form is told when the check fails."""
    message_en: str | None = None
    """The same in English."""


class Form(Labelled):
    id: Identifier
    """Short code of the form; must match the file name."""
    description: str | None = None
    """A sentence shown under the form's title."""
    fields: Annotated[tuple[Field, ...], PydField(min_length=1)]
    """The fields, in the order they are shown."""
    title: str
    """How a record is named in lists: a template of field ids, e.g. '{title}' or '{held_on} {station}'."""
    receipt: bool = False
    """True to give each record a receipt code that anyone can follow it by."""
    workflow: Identifier | None = None
    """The workflow (in workflows/) whose states the records go through."""
    public: bool = False
    """For a sheet filed on a suggestion (a supervision record, a rectification notice): True to
    show its fields (except private ones) to citizens following the suggestion by receipt code."""
    access: Access = Access()
    """Who may submit, list and view."""
    list_columns: tuple[Identifier, ...] = ()
    """Fields shown as columns in the list page."""
    filters: tuple[Identifier, ...] = ()
    """Fields the list page can be filtered on (references and choices)."""
    checks: tuple[FormCheck, ...] = ()
    """Rules the fields must keep together, each with the words that say what is wrong."""

    @cached_property
    def _by_id(self) -> dict[str, Field]:
        return {f.id: f for f in self.fields}

    def field(self, field_id: str) -> Field:
        return self._by_id[field_id]

    def has_field(self, field_id: str) -> bool:
        return field_id in self._by_id

    def title_fields(self) -> list[str]:
        return [name for _, name, _, _ in string.Formatter().parse(self.title) if name]
