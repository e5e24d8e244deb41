"""The registry of field types: the single source of truth for what a form field can be.

Each type knows how to read a raw value (text from a CSV cell, or a widget's value), how to store
it as JSON, and which JSON Schema fragment checks it. Config validation, the JSON Schema export,
the docs and the app's widget registry are all derived from ``FIELD_TYPES``.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Protocol

# Messages are codes with parameters; the app translates them (engine/ holds no UI text).
class FieldValueError(ValueError):
    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(code)


class FieldType(Protocol):
    name: str
    python_type: type
    keys: frozenset[str]  # type-specific keys a field of this type may set
    description: str

    def parse(self, field: Any, raw: Any) -> Any: ...
    def to_json(self, value: Any) -> Any: ...
    def from_json(self, value: Any) -> Any: ...
    def schema(self, field: Any, choices: Callable[[Any], list[str]]) -> dict: ...


# Control characters other than line breaks and tabs have no place in a form's text, and NUL cannot
# be stored at all on PostgreSQL: they are refused as a field's problem, never an internal error.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Whole numbers and amounts of 10**15 or more are no county's figures (and past 2**53 JSON readers round).
LARGEST_DIGITS = 15
LARGEST_NUMBER = Decimal(10) ** LARGEST_DIGITS


def _text(raw: Any) -> str:
    text = raw.strip() if isinstance(raw, str) else str(raw)
    if CONTROL_CHARACTERS.search(text):
        raise FieldValueError("control_characters")
    return text


def _finite(number: Decimal, code: str, shown: str) -> Decimal:
    """A number a county could mean: finite (not ∞ or NaN) and within LARGEST_NUMBER."""
    if not number.is_finite():
        raise FieldValueError(code, value=shown)
    if number and number.adjusted() >= LARGEST_DIGITS:  # by the exponent: no arithmetic that could overflow
        raise FieldValueError("number_too_large", value=shown, limit=str(LARGEST_NUMBER))
    return number


class _Base:
    name = ""
    python_type: type = str
    keys: frozenset[str] = frozenset()
    description = ""
    expr_type: str | None = "text"  # the type rules' expressions see (engine.lang.expr)

    def to_json(self, value: Any) -> Any:
        return value

    def from_json(self, value: Any) -> Any:
        return value


class TextType(_Base):
    name = "text"
    keys = frozenset({"min_length", "max_length", "pattern"})
    description = "one line of text"

    def parse(self, field, raw):
        return _text(raw)

    def schema(self, field, choices):
        out: dict[str, Any] = {"type": "string"}
        if field.min_length is not None:
            out["minLength"] = field.min_length
        if field.max_length is not None:
            out["maxLength"] = field.max_length
        if field.pattern:
            out["pattern"] = field.pattern
        return out


class TextareaType(TextType):
    name = "textarea"
    description = "several lines of text"


class PhoneType(TextType):
    name = "phone"
    description = "a telephone number (digits, spaces, + and -); set pattern for a local format"
    # Generic shape only; a county narrows it with `pattern` in its form file.
    DEFAULT_PATTERN = r"^\+?[0-9][0-9 \-]{3,19}$"

    def parse(self, field, raw):
        return re.sub(r"\s+", "", _text(raw))

    def schema(self, field, choices):
        out = super().schema(field, choices)
        out.setdefault("pattern", self.DEFAULT_PATTERN)
        return out


class IntegerType(_Base):
    name = "integer"
    python_type = int
    keys = frozenset({"min", "max"})
    description = "a whole number"
    expr_type = 'number'

    def parse(self, field, raw):
        if isinstance(raw, bool):
            raise FieldValueError("not_integer", value=raw)
        if isinstance(raw, int):
            _finite(Decimal(raw), "not_integer", str(raw))
            return raw
        text = _text(raw).replace(",", "")
        try:
            number = _finite(Decimal(text), "not_integer", text)
        except InvalidOperation:
            raise FieldValueError("not_integer", value=text) from None
        if number != number.to_integral_value():
            raise FieldValueError("not_integer", value=text)
        return int(number)

    def schema(self, field, choices):
        out: dict[str, Any] = {"type": "integer"}
        if field.min is not None:
            out["minimum"] = int(field.min)
        if field.max is not None:
            out["maximum"] = int(field.max)
        return out


class _ExactDecimal(_Base):
    """Types kept as Decimal: compared by the schema as numbers, stored as text (never float)."""

    python_type = Decimal

    def to_json(self, value):
        return str(value)

    def from_json(self, value):
        return Decimal(value)

    def schema(self, field, choices):
        # Instances are Decimal while validating (numbers.Number for jsonschema), stored as text.
        out: dict[str, Any] = {"type": "number"}
        if field.min is not None:
            out["minimum"] = field.min
        if field.max is not None:
            out["maximum"] = field.max
        return out


class NumberType(_ExactDecimal):
    name = "number"
    keys = frozenset({"min", "max", "step"})
    description = ("a number that may have decimals, exact (a mark of 3.5, a share of 0.25); `step` "
                   "sets the smallest difference between two values (0.5: half marks)")
    expr_type = 'number'

    def parse(self, field, raw):
        if isinstance(raw, bool):
            raise FieldValueError("not_number", value=raw)
        if isinstance(raw, float):
            raw = repr(raw)  # a widget's float: keep the digits the person saw
        text = str(raw) if isinstance(raw, (int, Decimal)) else _text(raw).replace(",", "")
        try:
            value = _finite(Decimal(text), "not_number", text)
        except InvalidOperation:
            raise FieldValueError("not_number", value=text) from None
        if field.step is not None and value % field.step:
            raise FieldValueError("not_step", value=text, step=str(field.step))
        return value.normalize() if value != value.to_integral_value() else value.quantize(Decimal(1))


class MoneyType(_ExactDecimal):
    name = "money"
    keys = frozenset({"min", "max"})
    description = "an amount in yuan, exact to the fen (two decimals); stored as Decimal, never float"
    expr_type = 'money'

    def parse(self, field, raw):
        if isinstance(raw, float):
            raw = repr(raw)  # a widget's float: keep the digits the person saw
        if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
            value = Decimal(raw)
        else:
            # drop thousands separators, spaces and currency signs (Unicode category Sc)
            text = "".join(c for c in _text(raw) if c not in ", " and unicodedata.category(c) != "Sc")
            try:
                value = Decimal(text)
            except InvalidOperation:
                raise FieldValueError("not_money", value=_text(raw)) from None
        _finite(value, "not_money", str(raw))
        if value != value.quantize(Decimal("0.01")):
            raise FieldValueError("money_precision", value=str(value))
        return value.quantize(Decimal("0.01"))


class DateType(_Base):
    name = "date"
    python_type = dt.date
    description = "a calendar date"
    expr_type = 'date'
    FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S",
               "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M")

    def parse(self, field, raw, formats: tuple[str, ...] = ()):
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        text = _text(raw)
        if len(text) >= 10 and text[4] == "-" and text[7] == "-":
            try:  # ISO dates (with or without a time) are unambiguous: take them first, fast
                return dt.datetime.fromisoformat(text).date()
            except ValueError:
                pass
        for fmt in formats or self.FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise FieldValueError("not_date", value=text)

    def to_json(self, value):
        return value.isoformat()

    def from_json(self, value):
        return dt.date.fromisoformat(value)

    def schema(self, field, choices):
        return {"type": "string", "format": "date"}


class ChoiceType(_Base):
    name = "choice"
    keys = frozenset({"options"})
    description = "one of the listed options"

    def parse(self, field, raw):
        text = _text(raw)
        return field.option_id(text)

    def schema(self, field, choices):
        return {"enum": [o.id for o in field.options]}


class MultichoiceType(_Base):
    name = "multichoice"
    python_type = list
    keys = frozenset({"options", "min", "max"})
    description = "any of the listed options (min and max count the ticks)"
    expr_type = 'list of text'

    def parse(self, field, raw):
        items = raw if isinstance(raw, (list, tuple)) else re.split(r"[,;，；、|]", _text(raw))
        return [field.option_id(_text(i)) for i in items if _text(i)]

    def schema(self, field, choices):
        out: dict[str, Any] = {
            "type": "array", "items": {"enum": [o.id for o in field.options]}, "uniqueItems": True,
        }
        if field.min is not None:
            out["minItems"] = int(field.min)
        if field.max is not None:
            out["maxItems"] = int(field.max)
        return out


class ScoreType(IntegerType):
    name = "score"
    keys = frozenset({"scale"})
    description = "a score from 1 to `scale`"

    def schema(self, field, choices):
        return {"type": "integer", "minimum": 1, "maximum": field.scale}


class ReferenceType(_Base):
    name = "reference"
    keys = frozenset({"to", "filter_by"})
    description = ("a township, liaison station, channel or group of the profile (`to: townships`, "
                   "`stations`, `channels`, `groups`), or a record of another form (`to: form:ID`)")

    def parse(self, field, raw):
        if field.to.startswith("form:"):  # a record number
            text = _text(raw)
            if not text.isdecimal() or len(text) > 15:
                raise FieldValueError("not_record", value=text)
            return int(text)
        return _text(raw)

    def schema(self, field, choices):
        if field.to.startswith("form:"):
            return {"type": "integer", "minimum": 1}
        return {"enum": choices(field)}


class FileType(_Base):
    name = "file"
    python_type = dict
    keys = frozenset({"accept", "max_size_kb"})
    description = "an attached file (accept lists the allowed endings, max_size_kb its size)"
    expr_type = None

    def parse(self, field, raw):
        if not isinstance(raw, dict) or not {"name", "size", "sha256"} <= raw.keys():
            raise FieldValueError("not_file")
        return raw

    def schema(self, field, choices):
        return {
            "type": "object",
            "required": ["name", "size", "sha256"],
            "properties": {
                "name": {"type": "string"},
                "size": {"type": "integer", "minimum": 0,
                         **({"maximum": field.max_size_kb * 1024} if field.max_size_kb else {})},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "attachment_id": {"type": "integer"},
            },
        }


FIELD_TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (TextType(), TextareaType(), IntegerType(), NumberType(), MoneyType(), DateType(), ChoiceType(),
              MultichoiceType(), ScoreType(), PhoneType(), ReferenceType(), FileType())
}

# Keys that only some types take; a field of another type setting one is a config error.
TYPE_SPECIFIC_KEYS = frozenset().union(*(t.keys for t in FIELD_TYPES.values()))
