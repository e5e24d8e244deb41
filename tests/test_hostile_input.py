"""Values no form expects (∞, NaN, NUL, control characters, huge numbers, wrong shapes), fed to
every field type through the public submission path: each is accepted or refused with a field's
problem, never an internal error, and a refused one writes nothing."""
from __future__ import annotations

import shutil
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from engine.core import records
from engine.core.actors import ANONYMOUS
from engine.core.runtime import Runtime
from engine.kernel.errors import InputError, MinshengError, NotFound
from engine.store.tables import AuditEntry, Record
from tests.conftest import CONFIG, fresh_database

EVERY_TYPE = """\
id: every_type
label: 各类字段
title: "{t}"
access: {submit: [public], list: [administrator], view: [administrator]}
fields:
  - {id: t, label: 文本, type: text, max_length: 20}
  - {id: ta, label: 多行, type: textarea}
  - {id: i, label: 整数, type: integer, min: 0, max: 1000000}
  - {id: m, label: 金额, type: money, min: 0}
  - {id: d, label: 日期, type: date}
  - {id: c, label: 单选, type: choice, options: [{id: a, label: 甲}, {id: b, label: 乙}]}
  - {id: mc, label: 多选, type: multichoice, max: 2, options: [{id: a, label: 甲}, {id: b, label: 乙}, {id: c, label: 丙}]}
  - {id: s, label: 评分, type: score, scale: 5}
  - {id: p, label: 电话, type: phone}
  - {id: tw, label: 乡镇, type: reference, to: townships}
  - {id: r, label: 关联记录, type: reference, to: "form:suggestion"}
  - {id: f, label: 附件, type: file}
"""
FIELDS = ["t", "ta", "i", "m", "d", "c", "mc", "s", "p", "tw", "r", "f"]
GOOD = {"t": "修路", "ta": "一\n二", "i": "5", "m": "12.50", "d": "2025-03-01", "c": "甲", "mc": "甲、乙", "s": "4",
        "p": "0744 1234567", "tw": "t01"}

NASTY_TEXT = ["\x00", "a\x00b", "\x1b[31m", "\x7f", "∞", "inf", "-inf", "Infinity", "NaN", "sNaN", "1e999999999",
              "9" * 40, "-" + "9" * 40, "１２", "\u202e反转", "=1+1", "", " ", "0x10", "1_000", "1,000.005",
              "2025-02-30", "0000-00-00", "9999-12-31 23:59:59", "¥12.00", "12元", "甲,甲", "t99"]
VALUES = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10 ** 30, max_value=10 ** 30),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(),
    st.dates(), st.datetimes(),
    st.lists(st.one_of(st.text(max_size=5), st.integers(), st.none()), max_size=4),
    st.dictionaries(st.text(max_size=6), st.one_of(st.integers(), st.text(max_size=5), st.none()), max_size=4),
)


@pytest.fixture(scope="module")
def hostile_rt(tmp_path_factory):
    """The Sangzhi profile plus a public form with a field of every type, on a fresh database."""
    folder = tmp_path_factory.mktemp("hostile")
    profile = folder / "profile"
    shutil.copytree(CONFIG, profile)
    (profile / "forms" / "every_type.yaml").write_text(EVERY_TYPE, encoding="utf-8")
    with fresh_database(folder) as url:
        runtime = Runtime.open(profile, url)
        yield runtime
        runtime.db.dispose()


def counts(rt) -> tuple[int, int]:
    with rt.db.read() as session:
        return (session.scalar(select(func.count()).select_from(Record)),
                session.scalar(select(func.count()).select_from(AuditEntry)))


def test_the_good_values_are_accepted(hostile_rt):
    record = records.submit(hostile_rt, ANONYMOUS, "every_type", GOOD)
    assert record.data["m"] == "12.50" and record.data["mc"] == ["a", "b"] and record.data["tw"] == "t01"


@pytest.mark.parametrize("field, value, code", [
    ("i", "∞", "not_integer"), ("i", float("inf"), "not_integer"), ("i", float("nan"), "not_integer"),
    ("i", Decimal("sNaN"), "not_integer"), ("i", "1e999999999", "number_too_large"), ("i", 10 ** 30, "number_too_large"),
    ("m", "Infinity", "not_money"), ("m", float("nan"), "not_money"), ("m", "9" * 40, "number_too_large"),
    ("t", "a\x00b", "control_characters"), ("ta", "\x1b[31m红", "control_characters"),
    ("p", "0744\x001234567", "control_characters"), ("r", "１２x", "not_record"), ("r", "9" * 40, "not_record"),
])
def test_values_outside_a_types_domain_are_a_fields_problem(hostile_rt, field, value, code):
    before = counts(hostile_rt)
    with pytest.raises(InputError) as info:
        records.submit(hostile_rt, ANONYMOUS, "every_type", dict(GOOD, **{field: value}))
    assert info.value.problems[field].code == code
    assert counts(hostile_rt) == before


@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=VALUES)
def test_any_value_in_any_field_is_accepted_or_refused_cleanly(hostile_rt, field, value):
    before = counts(hostile_rt)
    try:
        records.submit(hostile_rt, ANONYMOUS, "every_type", dict(GOOD, **{field: value}))
    except MinshengError:  # a field's problem, in words the app shows; anything else fails the test
        assert counts(hostile_rt) == before  # refused: nothing written, not even an audit row
    else:
        after = counts(hostile_rt)
        assert after[0] == before[0] + 1


@pytest.mark.parametrize("code", ["\x00", "SZ25-\x00", "A" * 10_000, "sz25-0000-0000-000\x00", "'; drop table records;--"])
def test_a_receipt_lookup_of_anything_is_not_found(hostile_rt, code):
    with pytest.raises(NotFound):
        records.find_by_receipt(hostile_rt, code)

