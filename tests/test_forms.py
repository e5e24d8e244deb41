"""Forms: JSON Schema derivation, server-side validation, rules, stored values read back, and the bulk checker."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st
from jsonschema import Draft202012Validator

from engine.kernel.errors import InputError
from engine.core.runtime import Runtime
from tests.conftest import CONFIG


@pytest.fixture(scope="module")
def offline():
    return Runtime.offline(CONFIG)


@pytest.fixture(scope="module")
def suggestion(offline):
    return offline.forms["suggestion"]


def codes(exc_info):
    return {k: p.code for k, p in exc_info.value.problems.items()}


def test_schema_is_valid_draft_2020_12(offline):
    for compiled in offline.forms.values():
        Draft202012Validator.check_schema(compiled.schema)
        assert compiled.schema["additionalProperties"] is False


def test_valid_submission_is_typed_and_stored_as_json(suggestion, good_suggestion):
    submission = suggestion.validate(good_suggestion)
    assert submission.values["beneficiaries"] == 420
    assert submission.values["submitted_on"] == dt.date(2025, 3, 4)
    assert submission.document["submitted_on"] == "2025-03-04"
    # the only station of township t02 is filled in
    assert submission.document["station"] == "s02"
    stored = suggestion.values_of(submission.document)  # read back from the stored JSON
    assert stored["submitted_on"] == dt.date(2025, 3, 4) and stored["beneficiaries"] == 420


def test_every_bad_field_is_named(suggestion, good_suggestion):
    bad = dict(good_suggestion, title="短", phone="12345", beneficiaries="many", category="nope",
               submitted_on="yesterday")
    with pytest.raises(InputError) as info:
        suggestion.validate(bad)
    assert codes(info) == {"title": "minLength", "phone": "pattern", "beneficiaries": "not_integer",
                           "category": "not_option", "submitted_on": "not_date"}


def test_missing_required_fields(suggestion):
    with pytest.raises(InputError) as info:
        suggestion.validate({"title": "修建便民桥一座"})
    assert set(codes(info)) == {"content", "category", "township", "station", "proposer_name", "phone",
                                "submitted_on"}
    assert set(codes(info).values()) == {"required"}


def test_station_must_belong_to_its_township(suggestion, good_suggestion):
    with pytest.raises(InputError) as info:
        suggestion.validate(dict(good_suggestion, township="t02", station="s03"))
    assert codes(info) == {"station": "enum"}


def test_township_with_two_stations_needs_a_choice(suggestion, good_suggestion):
    with pytest.raises(InputError) as info:
        suggestion.validate(dict(good_suggestion, township="t01"))
    assert codes(info) == {"station": "required"}
    assert suggestion.validate(dict(good_suggestion, township="t01", station="s24")).document["station"] == "s24"


def test_rule_shows_and_requires_session_only_for_offline_channels(suggestion, good_suggestion):
    # online: the session field is hidden, and a value sent anyway is dropped, not stored
    doc = suggestion.validate(dict(good_suggestion, session="7")).document
    assert "session" not in doc
    # offline: the field is shown and, being required, must be given
    with pytest.raises(InputError) as info:
        suggestion.validate(dict(good_suggestion, channel="courtyard_talk"))
    assert codes(info) == {"session": "required"}
    assert suggestion.validate(dict(good_suggestion, channel="courtyard_talk", session="7")).document["session"] == 7


def test_schema_enforces_rules_for_direct_callers(suggestion, good_suggestion):
    """The JSON Schema alone refuses a hidden field, so no caller can slip one past the page."""
    doc = suggestion.validate(good_suggestion).document
    errors = list(suggestion.validator.iter_errors(dict(doc, session=3)))
    assert [e.validator for e in errors] == ["not"]


def test_labels_are_accepted_for_choices_and_references(suggestion, good_suggestion):
    doc = suggestion.validate(dict(good_suggestion, category="交通出行", township="瑞塔铺镇",
                                   channel="12345政务服务热线")).document
    assert (doc["category"], doc["township"], doc["channel"]) == ("roads", "t02", "hotline_12345")


def test_unknown_fields_are_refused(suggestion, good_suggestion):
    with pytest.raises(InputError) as info:
        suggestion.validate(dict(good_suggestion, colour="red"))
    assert info.value.problems[""].code == "unknown_fields"


def test_money_is_decimal_never_float():
    from engine.schema.fieldtypes import FIELD_TYPES, FieldValueError
    money = FIELD_TYPES["money"]
    assert money.parse(None, "6,730,000.00") == Decimal("6730000.00")
    assert money.parse(None, "¥1 200.5") == Decimal("1200.50")
    assert money.parse(None, 0.1) == Decimal("0.10")
    with pytest.raises(FieldValueError) as info:
        money.parse(None, "12.345")
    assert info.value.code == "money_precision"
    with pytest.raises(FieldValueError):
        money.parse(None, "abc")
    assert money.to_json(Decimal("5.00")) == "5.00"


def test_money_limits_compare_exactly(tmp_path):
    """A money field's min and max are checked on Decimal values by jsonschema and the bulk checker."""
    from engine.schema.forms import Form
    from engine.forms.compiled import CompiledForm
    form = Form.model_validate({
        "id": "fund", "label": "x", "title": "{amount}",
        "fields": [{"id": "amount", "label": "金额", "type": "money", "required": True,
                    "min": "0.01", "max": "10000000.00"}],
    })
    compiled = CompiledForm(form, {}, {})
    for bulk in (False, True):
        assert compiled.validate({"amount": "10000000.00"}, bulk=bulk).document == {"amount": "10000000.00"}
        with pytest.raises(InputError) as info:
            compiled.validate({"amount": "10000000.01"}, bulk=bulk)
        assert codes(info) == {"amount": "maximum"}
        with pytest.raises(InputError) as info:
            compiled.validate({"amount": "0.00"}, bulk=bulk)
        assert codes(info) == {"amount": "minimum"}


def test_every_field_type_round_trips():
    from engine.schema.forms import Form
    from engine.forms.compiled import CompiledForm
    form = Form.model_validate({
        "id": "all", "label": "x", "title": "{t}",
        "fields": [
            {"id": "t", "label": "t", "type": "text", "max_length": 5},
            {"id": "ta", "label": "ta", "type": "textarea"},
            {"id": "i", "label": "i", "type": "integer", "min": 1, "max": 9},
            {"id": "m", "label": "m", "type": "money"},
            {"id": "d", "label": "d", "type": "date"},
            {"id": "c", "label": "c", "type": "choice", "options": [{"id": "a", "label": "甲"}]},
            {"id": "mc", "label": "mc", "type": "multichoice", "max": 2,
             "options": [{"id": "a", "label": "甲"}, {"id": "b", "label": "乙"}, {"id": "c", "label": "丙"}]},
            {"id": "s", "label": "s", "type": "score", "scale": 5},
            {"id": "p", "label": "p", "type": "phone"},
            {"id": "f", "label": "f", "type": "file"},
        ],
    })
    compiled = CompiledForm(form, {}, {})
    raw = {"t": "abc", "ta": "x\ny", "i": "3", "m": "1.5", "d": "2025/03/01", "c": "甲", "mc": "甲、乙",
           "s": "4", "p": "0744 1234567", "f": {"name": "a.png", "size": 3, "sha256": "0" * 64}}
    for bulk in (False, True):
        doc = compiled.validate(raw, bulk=bulk).document
        assert doc == {"t": "abc", "ta": "x\ny", "i": 3, "m": "1.50", "d": "2025-03-01", "c": "a", "mc": ["a", "b"],
                       "s": 4, "p": "07441234567", "f": raw["f"]}
        with pytest.raises(InputError) as info:
            compiled.validate(dict(raw, s="6", mc="甲,乙,丙", t="abcdef"), bulk=bulk)
        assert codes(info) == {"s": "maximum", "mc": "maxItems", "t": "maxLength"}


# The bulk checker must agree with jsonschema on every document, valid or not.
_values = st.one_of(st.none(), st.integers(-5, 3_000_000), st.text(max_size=12), st.booleans(),
                    st.sampled_from(["t01", "t02", "s01", "s02", "s24", "roads", "courtyard_talk", "duty_platform",
                                     "13912345678", "2025-03-04", "2025-13-40", ""]),
                    st.lists(st.sampled_from(["a", "b"]), max_size=3))
_fields = ["title", "content", "category", "township", "station", "channel", "session", "beneficiaries",
           "proposer_name", "phone", "submitted_on", "photo", "extra"]


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(_fields), _values, max_size=len(_fields)))
def test_bulk_checker_agrees_with_jsonschema(document):
    offline = Runtime.offline(CONFIG) if not hasattr(test_bulk_checker_agrees_with_jsonschema, "rt") else \
        test_bulk_checker_agrees_with_jsonschema.rt
    test_bulk_checker_agrees_with_jsonschema.rt = offline
    compiled = offline.forms["suggestion"]
    slow = {}
    for field_id, problem in compiled.schema_problems(document, bulk=False):
        slow.setdefault(field_id, problem.code)
    fast = {}
    for field_id, problem in compiled.schema_problems(document, bulk=True):
        fast.setdefault(field_id, problem.code)
    assert fast == slow  # the same fields, each with the same problem
    assert (not fast) == compiled.validator.is_valid(document)


def test_a_number_field_keeps_half_marks_exact_and_refuses_what_is_off_its_step():
    from engine.forms.compiled import CompiledForm
    from engine.schema.forms import Form
    form = Form.model_validate({"id": "mark", "label": "评分", "title": "{score}", "fields": [
        {"id": "score", "label": "得分", "type": "number", "min": 1, "max": 10, "step": 0.5, "required": True}]})
    compiled = CompiledForm(form, {}, {})
    for raw, stored in (("8.5", "8.5"), (8.5, "8.5"), (Decimal("7"), "7"), ("10", "10"), ("1,5", None)):
        if stored is None:  # "1,5" reads as 15 (a thousands comma): above the maximum
            with pytest.raises(InputError) as refused:
                compiled.validate({"score": raw})
            assert codes(refused) == {"score": "maximum"}
            continue
        submission = compiled.validate({"score": raw})
        assert submission.document == {"score": stored} and submission.values["score"] == Decimal(stored)
        assert compiled.values_of(submission.document)["score"] == Decimal(stored)  # read back exact
    for raw, code in (("8.25", "not_step"), ("abc", "not_number"), (True, "not_number"), ("NaN", "not_number"),
                      ("0.5", "minimum")):
        with pytest.raises(InputError) as refused:
            compiled.validate({"score": raw})
        assert codes(refused) == {"score": code}
    assert compiled.validate({"score": "8.5"}, bulk=True).document == {"score": "8.5"}  # the bulk checker agrees


def test_a_forms_check_is_judged_with_the_other_problems_once_its_own_fields_are_fine():
    from engine.forms.compiled import CompiledForm
    from engine.lang.expr import compile_expression
    from engine.schema.forms import Form
    form = Form.model_validate({
        "id": "survey", "label": "调查", "title": "{households}",
        "fields": [{"id": "households", "label": "户数", "type": "integer", "required": True},
                   {"id": "satisfied", "label": "满意户数", "type": "integer", "required": True},
                   {"id": "note", "label": "说明", "type": "text", "required": True}],
        "checks": [{"check": "satisfied <= households", "field": "satisfied", "message": "满意户数不能超过户数"}]})
    compiled = CompiledForm(form, {}, {}, [compile_expression("satisfied <= households",
                                                              {"households": "number", "satisfied": "number"})])
    with pytest.raises(InputError) as refused:  # the note is missing too: both are said at once
        compiled.validate({"households": "3", "satisfied": "5"})
    assert codes(refused) == {"note": "required", "satisfied": "check_failed"}
    with pytest.raises(InputError) as refused:  # a field the check reads is itself wrong: that alone is said
        compiled.validate({"households": "三", "satisfied": "5", "note": "x"})
    assert codes(refused) == {"households": "not_integer"}
    assert compiled.validate({"households": "5", "satisfied": "5", "note": "x"}).values["satisfied"] == 5
