"""Generated hostile input through the engine's public functions (issue 38): 10,000 and more calls
with values no page would send (NUL bytes, huge and negative numbers, exponents, wrong shapes,
ids that do not exist, random files). Every call either works or is refused with the engine's own
refusal (a MinshengError the apps put in words); a refused call writes nothing, not even an
audit row. tests/test_hostile_input.py does the same for every field type of a form."""
from __future__ import annotations

import datetime as dt
import io
import os
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from engine.core import accounts, records, sheets, signin, workflow
from engine.core.actors import ANONYMOUS, SYSTEM, Actor
from engine.core.importer import import_file
from engine.core.runtime import Runtime
from engine.features import funds, voting
from engine.kernel.errors import MinshengError
from engine.store.tables import AuditEntry, FundEntry, Record
from tests.conftest import CONFIG, fresh_database

EXAMPLES = int(os.environ.get("MINSHENG_FUZZ_EXAMPLES", "800"))  # examples of each test below: 10,560 calls in all
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

NASTY = ["\x00", "a\x00b", "\x1b[31m", "∞", "inf", "-inf", "NaN", "sNaN", "1e999999999", "1e26", "1E+30", "-1",
         "0", "0.001", "9" * 40, "１２", "\u202e反转", "=HYPERLINK(\"http://x\")", "", " ", "0x10", "1_000",
         "2025-02-30", "t99", "s99", "' OR 1=1 --", "../../etc/passwd", "A" * 5000, "yes", "no", "abstain"]
TEXT = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
SCALAR = st.one_of(TEXT, st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                   st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True, allow_infinity=True),
                   st.booleans(), st.none(), st.dates())
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=3), st.dictionaries(TEXT, SCALAR, max_size=3))
IDS = st.one_of(st.integers(min_value=-2 ** 63, max_value=2 ** 63), st.integers(min_value=0, max_value=40))
ACTORS = st.sampled_from([
    SYSTEM, ANONYMOUS, Actor("liaison", "联络员", frozenset({"liaison_staff"}), "t01"),
    Actor("congress", "人大", frozenset({"congress_staff"})), Actor("finance", "财政", frozenset({"finance"})),
    Actor("d0", "代表0", frozenset({"deputy"}), "t01"), Actor("x", "x", frozenset({"nobody\x00"}), "t\x00")])


@pytest.fixture(scope="module")
def fuzz_rt(tmp_path_factory):
    """Sangzhi's profile over a database with a few records of each stage, a ballot open and a
    pool with money."""
    folder = tmp_path_factory.mktemp("fuzz")
    with fresh_database(folder) as url:
        rt = Runtime.open(CONFIG, url)
        good = {"title": "硬化村组道路约2公里", "content": "组上道路仍是泥土路，雨天无法通行，建议硬化。",
                "category": "roads", "township": "t01", "station": "s01", "channel": "duty_platform",
                "proposer_name": "张建国", "phone": "13912345678", "submitted_on": "2025-03-04", "beneficiaries": "420"}
        ids = [records.submit(rt, SYSTEM, "suggestion", dict(good, title=f"候选项目第{i}个")).id for i in range(6)]
        with rt.db.transaction() as session:
            for record_id, state in zip(ids, ("received", "rejected", "reserve", "candidate", "candidate", "chosen")):
                session.execute(update(Record).where(Record.id == record_id).values(state=state))
        round_id = voting.create_round(rt, SYSTEM, "township_congress", "t01", "票决", 1, ids[3:5],
                                       [("d0", "代表0", "present"), ("d1", "代表1", "present")])
        voting.open_round(rt, SYSTEM, round_id)
        pool = funds.open_pool(rt, SYSTEM, "livelihood_pool", 2025)
        funds.contribute(rt, SYSTEM, pool, "county", "6000000", dt.date(2025, 3, 1))
        yield rt
        rt.db.dispose()


def written(rt) -> tuple:
    """The last record, audit row (but the refused sign-ins', written on purpose) and fund entry,
    in one statement: tables the engine only appends to."""
    with rt.db.read() as session:
        return tuple(session.execute(select(
            select(func.max(Record.id)).scalar_subquery(),
            select(func.max(AuditEntry.id)).where(AuditEntry.action != "user.sign_in_refused").scalar_subquery(),
            select(func.max(FundEntry.id)).scalar_subquery())).one())


def attempt(rt, call) -> None:
    """The call works, or is refused in the engine's words and writes nothing."""
    before = written(rt)
    try:
        call()
    except MinshengError:
        assert written(rt) == before


@FUZZ
@given(actor=ACTORS, form=st.one_of(st.sampled_from(["suggestion", "answer", "deputy", "offline_session"]), TEXT),
       filters=st.dictionaries(st.one_of(st.sampled_from(["state", "township", "category", "group", "channel"]), TEXT),
                               VALUE, max_size=3),
       page=IDS, size=IDS, search=st.one_of(st.none(), TEXT), sort=st.one_of(st.sampled_from(["newest", "title"]), TEXT))
def test_lists_and_reads(fuzz_rt, actor, form, filters, page, size, search, sort):
    attempt(fuzz_rt, lambda: records.list_records(fuzz_rt, actor, form, filters, page, size, search, sort))


@FUZZ
@given(actor=ACTORS, record_id=IDS, code=TEXT)
def test_a_record_by_id_and_by_receipt_code(fuzz_rt, actor, record_id, code):
    attempt(fuzz_rt, lambda: records.get(fuzz_rt, actor, record_id))
    attempt(fuzz_rt, lambda: sheets.filed_sheets(fuzz_rt, actor, record_id))
    attempt(fuzz_rt, lambda: records.find_by_receipt(fuzz_rt, code))


@FUZZ
@given(actor=ACTORS, record_id=IDS,
       form=st.one_of(st.sampled_from(["screening_score", "answer", "station_recommendation", "review_opinion"]), TEXT),
       values=st.dictionaries(st.one_of(st.sampled_from(["member", "member_kind", "necessity", "station",
                                                         "recommendation", "priority", "deputies"]), TEXT),
                              VALUE, max_size=6))
def test_sheets(fuzz_rt, actor, record_id, form, values):
    attempt(fuzz_rt, lambda: sheets.file_sheet(fuzz_rt, actor, record_id, form, values))


@FUZZ
@given(actor=ACTORS, record_id=IDS,
       action=st.one_of(st.sampled_from(["screen", "choose", "not_chosen", "answer", "evaluate"]), TEXT),
       data=st.one_of(st.none(), st.dictionaries(TEXT, VALUE, max_size=3)))
def test_moves(fuzz_rt, actor, record_id, action, data):
    attempt(fuzz_rt, lambda: workflow.transition(fuzz_rt, actor, record_id, action, data))


@FUZZ
@given(actor=ACTORS, record_id=IDS, entry=IDS, amount=SCALAR, source=TEXT, day=st.dates(),
       words=st.tuples(TEXT, TEXT, TEXT, TEXT))
def test_money(fuzz_rt, actor, record_id, entry, amount, source, day, words):
    attempt(fuzz_rt, lambda: funds.contribute(fuzz_rt, actor, 1, source, amount, day))
    attempt(fuzz_rt, lambda: funds.allocate(fuzz_rt, actor, 1, record_id, amount, day))
    attempt(fuzz_rt, lambda: funds.pay(fuzz_rt, actor, 1, record_id, amount, day, *words))
    attempt(fuzz_rt, lambda: funds.reverse(fuzz_rt, actor, entry, words[0], day))


@FUZZ
@given(actor=ACTORS, round_id=IDS, marks=st.dictionaries(st.one_of(st.sampled_from(["1", "4", "5"]), TEXT),
                                                        st.one_of(st.sampled_from(["yes", "no", "abstain"]), TEXT),
                                                        max_size=4))
def test_ballots(fuzz_rt, actor, round_id, marks):
    attempt(fuzz_rt, lambda: voting.cast(fuzz_rt, actor, round_id, marks))
    attempt(fuzz_rt, lambda: voting.ballot_candidates(fuzz_rt, actor, round_id))


@settings(FUZZ, max_examples=max(EXAMPLES // 10, 10))  # a password's hash takes 50 ms on purpose
@given(actor=ACTORS, username=TEXT, name=TEXT, roles=st.lists(TEXT, max_size=3), password=TEXT,
       township=st.one_of(st.none(), TEXT))
def test_accounts_and_signing_in(fuzz_rt, actor, username, name, roles, password, township):
    attempt(fuzz_rt, lambda: accounts.create_user(fuzz_rt, actor, username, name, roles, password, township))
    attempt(fuzz_rt, lambda: signin.authenticate(fuzz_rt, username, password, username[:20]))


HEADERS = "工单编号,工单标题,诉求内容,诉求类别,所属乡镇,来电人,来电号码,受理时间\n"


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(["csv", "csv-bytes", "xlsx-bytes", "zip"]), body=st.binary(max_size=400),
       cells=st.lists(st.lists(TEXT, min_size=0, max_size=9), max_size=4))
def test_imports_of_any_file(fuzz_rt, tmp_path_factory, kind, body, cells):
    folder = tmp_path_factory.mktemp("file", numbered=True)
    if kind == "csv":
        path = folder / "h.csv"
        out = io.StringIO()
        out.write(HEADERS)
        for row in cells:
            out.write(",".join('"' + c.replace('"', '""') + '"' for c in row) + "\n")
        path.write_bytes(out.getvalue().encode("utf-8", "surrogatepass"))
    elif kind == "csv-bytes":
        path = folder / "h.csv"
        path.write_bytes(HEADERS.encode() + body)
    elif kind == "xlsx-bytes":
        path = folder / "h.xlsx"
        path.write_bytes(b"PK\x03\x04" + body)
    else:  # a zip with random parts named as a workbook's
        path = folder / "h.xlsx"
        with zipfile.ZipFile(path, "w") as book:
            book.writestr("xl/workbook.xml", body)
            book.writestr("xl/worksheets/sheet1.xml", body[::-1])
            book.writestr("xl/sharedStrings.xml", body[:50])
    attempt(fuzz_rt, lambda: import_file(fuzz_rt, SYSTEM, "hotline_12345", path))
