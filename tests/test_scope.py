"""Reads and writes of records in scope: one policy (engine.core.policy) for every path.

An account tied to a township (or a liaison station) reads, lists, counts and acts on that
township's (station's) records only; the record page, the sheets filed on a record, the lists, the
awaiting page, the start page and the grids agree; private fields reach only the roles that may
read them; desk and fund actions stay in the account's township.
"""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select, update

from engine.core import policy, records, sheets, worklist
from engine.core.actors import ANONYMOUS, SYSTEM, Actor
from engine.core.sheet_batches import grid_for
from engine.features import funds, voting
from engine.features.voting.rounds import VoteRefused
from engine.kernel.errors import InputError, PermissionDenied
from engine.output import documents
from engine.store.tables import Record, VoteRound
from tests.conftest import CONFIG

LIAISON_S01 = Actor("s01staff", "澧源镇联络站", frozenset({"liaison_staff"}), "t01", "s01")
LIAISON_S24 = Actor("s24staff", "澧源镇城区联络站", frozenset({"liaison_staff"}), "t01", "s24")
LIAISON_T02 = Actor("t02staff", "瑞塔铺镇联络员", frozenset({"liaison_staff"}), "t02")
CONGRESS_T02 = Actor("t02congress", "瑞塔铺镇人大", frozenset({"congress_staff"}), "t02")
CONGRESS_T01 = Actor("t01congress", "澧源镇人大", frozenset({"congress_staff"}), "t01")
SCREENER_T01 = Actor("screener", "筛选小组", frozenset({"screening_group"}), "t01")
FINANCE_T02 = Actor("t02finance", "瑞塔铺镇财政所", frozenset({"finance"}), "t02")


def suggestion(rt, good, township: str, station: str | None, state: str = "received", **extra) -> int:
    record_id = records.submit(rt, SYSTEM, "suggestion", dict(good, township=township, station=station, **extra)).id
    if state != "received":
        with rt.db.transaction() as session:  # as if screened (tested in test_screening)
            session.execute(update(Record).where(Record.id == record_id).values(state=state))
    return record_id


def test_a_record_of_another_township_or_station_is_not_read(rt, good_suggestion):
    """The leak of issue 38: records.get and sheets.filed_sheets checked the role only."""
    mine = suggestion(rt, good_suggestion, "t01", "s01", proposer_name="胡海波", phone="13964839984")
    for outsider in (LIAISON_T02, CONGRESS_T02, LIAISON_S24):
        with pytest.raises(PermissionDenied):
            records.get(rt, outsider, mine)
        with pytest.raises(PermissionDenied):
            sheets.filed_sheets(rt, outsider, mine)
        assert records.list_records(rt, outsider, "suggestion").total == 0
        assert sheets.sheets_allowed(rt, outsider, records.get(rt, SYSTEM, mine)[0]) == []
    seen, history = records.get(rt, LIAISON_S01, mine)
    assert seen.data["phone"] == "13964839984" and history  # its own station's staff read it whole
    assert records.get(rt, CONGRESS_T01, mine)[0].id == mine


def test_one_station_sees_the_same_records_on_every_page(rt, good_suggestion):
    """List, awaiting page, start page, grid and record page count the same records, and the
    sheets a record page offers are the ones the server then accepts."""
    ours = [suggestion(rt, good_suggestion, "t01", "s01", state=s) for s in ("rejected", "rejected", "received")]
    suggestion(rt, good_suggestion, "t01", "s24", state="rejected")  # the other station of the township
    suggestion(rt, good_suggestion, "t02", "s02", state="rejected")  # another township
    listed = {v.id for v in records.list_records(rt, LIAISON_S01, "suggestion").items}
    assert listed == set(ours)
    waiting = sheets.awaiting(rt, LIAISON_S01, "suggestion", "answer")
    assert {v.id for v in waiting.items} == set(ours[:2]) and waiting.total == 2
    work = {(i.kind, i.name): i.count for i in worklist.work_for(rt, LIAISON_S01) if i.form_id == "suggestion"}
    assert work[("sheet", "answer")] == 2
    assert work[("sheet", "screening_score")] == 1
    assert grid_for(rt, LIAISON_S01, "suggestion", "answer").total == 2
    for record_id in listed:
        view, _ = records.get(rt, LIAISON_S01, record_id)
        offered = [s.form for s in sheets.sheets_allowed(rt, LIAISON_S01, view)]
        assert offered == (["answer"] if view.state == "rejected" else ["screening_score"])


def test_private_fields_reach_only_the_roles_that_read_personal_data(rt, good_suggestion):
    """sheets.awaiting and the project statuses returned proposers' names and phones to anyone."""
    record_id = suggestion(rt, good_suggestion, "t01", "s01", state="rejected")
    screener_with_answers = Actor("s", "筛选", frozenset({"screening_group", "liaison_staff"}), "t01")
    assert "phone" in sheets.awaiting(rt, screener_with_answers, "suggestion", "answer").items[0].data
    for view in (records.get(rt, SCREENER_T01, record_id)[0], records.list_records(rt, SCREENER_T01, "suggestion").items[0],
                 records.find_by_receipt(rt, records.get(rt, SYSTEM, record_id)[0].receipt_code)[0]):
        assert "phone" not in view.data and "proposer_name" not in view.data and view.data["title"]
    assert policy.view(rt, ANONYMOUS, records.get(rt, SYSTEM, record_id)[0]).data.get("phone") is None


def test_scope_in_sql_agrees_with_scope_of_one_record(rt, good_suggestion):
    """`scope_sql` (lists, counts) and `in_scope` (one record) give the same answer for every
    account and every kind of record: with and without township and station, and sheets."""
    made = [suggestion(rt, good_suggestion, t, s) for t, s in (("t01", "s01"), ("t01", "s24"), ("t02", "s02"),
                                                              ("t02", "s02"))]
    with rt.db.transaction() as session:  # a record whose township field was left empty (county-wide)
        session.execute(update(Record).where(Record.id == made[3]).values(township=None, station=None))
    sheets.file_sheet(rt, SYSTEM, made[0], "screening_score", {
        "member": "王五", "member_kind": "deputy", "necessity": "4", "feasibility": "4", "universality": "4",
        "urgency": "4"})
    sessions_form = records.submit(rt, SYSTEM, "offline_session", {
        "kind": "courtyard_talk", "held_on": "2025-03-01", "township": "t01", "station": "s01",
        "deputies_present": "张建国", "attendance": "35"}).id
    actors = [SYSTEM, LIAISON_S01, LIAISON_S24, LIAISON_T02, CONGRESS_T01,
              Actor("county", "县人大", frozenset({"congress_staff"}))]
    with rt.db.read() as session:
        rows = list(session.execute(select(Record.__table__)))
        assert len(rows) >= len(made) + 2
        for actor, form_id in itertools.product(actors, sorted({r.form_id for r in rows})):
            in_sql = set(session.scalars(select(Record.id).where(Record.form_id == form_id,
                                                                 *policy.scope_sql(rt, actor, form_id))))
            one_by_one = {r.id for r in rows if r.form_id == form_id and policy.in_scope(rt, actor, r)}
            assert in_sql == one_by_one, (actor.username, form_id)
    assert policy.in_scope(rt, LIAISON_S01, records.get(rt, SYSTEM, sessions_form)[0])
    assert not policy.in_scope(rt, LIAISON_S24, records.get(rt, SYSTEM, sessions_form)[0])


def test_a_station_files_its_recommendation_in_its_own_name_only(rt, good_suggestion):
    project = suggestion(rt, good_suggestion, "t01", "s01", state="candidate")
    values = {"recommendation": "recommend", "priority": "1", "deputies": "张三、李四"}
    for actor, station in ((LIAISON_S01, "s24"), (CONGRESS_T01, "s02"),
                           (Actor("d", "代表", frozenset({"deputy"}), "t01"), "s02")):
        if "station_recommendation" not in [s.form for s in sheets.sheets_allowed(rt, actor, records.get(rt, SYSTEM, project)[0])]:
            continue
        with pytest.raises(InputError) as refused:
            sheets.file_sheet(rt, actor, project, "station_recommendation", dict(values, station=station))
        assert "station" in refused.value.problems
    assert sheets.file_sheet(rt, LIAISON_S01, project, "station_recommendation", dict(values, station="s01")).id
    with pytest.raises(InputError):
        sheets.file_sheet(rt, Actor("d", "代表", frozenset({"deputy"}), "t01"), project, "station_recommendation",
                          dict(values, station="s02"))
    assert [s.view.data["station"] for s in sheets.filed_sheets(rt, SYSTEM, project)] == ["s01"]


def test_a_ballot_belongs_to_the_desks_township(rt, good_suggestion):
    """A congress-staff account of t02 could create a ballot with no township over t01's
    candidates, open, close and count it."""
    ids = [suggestion(rt, good_suggestion, "t01", "s01", state="candidate", title=f"候选项目第{i}个") for i in range(3)]
    roster = [(f"d{n}", f"代表{n}", "present") for n in range(5)]
    with pytest.raises(VoteRefused) as no_township:
        voting.create_round(rt, CONGRESS_T02, "township_congress", None, "票决", 2, ids, roster)
    assert no_township.value.code == "no_township"
    with pytest.raises(PermissionDenied):
        voting.create_round(rt, CONGRESS_T02, "township_congress", "t01", "票决", 2, ids, roster)
    with pytest.raises(VoteRefused) as other:
        voting.create_round(rt, CONGRESS_T02, "township_congress", "t02", "票决", 2, ids, roster)
    assert other.value.code == "other_township"
    round_id = voting.create_round(rt, CONGRESS_T01, "township_congress", "t01", "票决", 2, ids, roster)
    with pytest.raises(PermissionDenied):
        voting.open_round(rt, CONGRESS_T02, round_id)


def closed_ballot(rt, good_suggestion) -> tuple[list[int], int, str]:
    """Three t01 candidates, two places, three deputies who voted for the first two, closed: the
    candidates, the round and its count key."""
    ids = [suggestion(rt, good_suggestion, "t01", "s01", state="candidate", title=f"候选项目第{i}个") for i in range(3)]
    roster = [(f"d{n}", f"代表{n}", "present") for n in range(3)]
    round_id = voting.create_round(rt, CONGRESS_T01, "township_congress", "t01", "票决", 2, ids, roster)
    key = voting.open_round(rt, CONGRESS_T01, round_id)
    for n in range(3):
        voting.cast(rt, Actor(f"d{n}", f"代表{n}", frozenset({"deputy"}), "t01"), round_id,
                    {str(ids[0]): "yes", str(ids[1]): "yes"})
    voting.close_round(rt, CONGRESS_T01, round_id)
    return ids, round_id, key


def test_issuing_results_is_the_desks_alone(rt, good_suggestion):
    ids, round_id, key = closed_ballot(rt, good_suggestion)
    voting.count_round(rt, CONGRESS_T01, round_id, count_key=key)
    for stranger in (Actor("d0", "代表0", frozenset({"deputy"}), "t01"), CONGRESS_T02, ANONYMOUS):
        with pytest.raises(PermissionDenied):
            documents.issue_results(rt, stranger, round_id)
    assert documents.issue_results(rt, CONGRESS_T01, round_id)


def test_a_township_finance_account_moves_money_of_its_township_only(rt, good_suggestion):
    project = suggestion(rt, good_suggestion, "t01", "s01", state="chosen")
    county = Actor("finance", "县财政局", frozenset({"finance"}))
    pool = funds.open_pool(rt, county, "livelihood_pool", 2025)
    source = rt.profile.funds["livelihood_pool"].sources[0].id
    funds.contribute(rt, county, pool, source, "6000000", dt.date(2025, 3, 1))
    with pytest.raises(PermissionDenied):
        funds.contribute(rt, FINANCE_T02, pool, source, "100", dt.date(2025, 3, 1))
    with pytest.raises(PermissionDenied):
        funds.allocate(rt, FINANCE_T02, pool, project, "100000", dt.date(2025, 4, 1))
    allocation = funds.allocate(rt, county, pool, project, "100000", dt.date(2025, 4, 1))
    with pytest.raises(PermissionDenied):
        funds.pay(rt, FINANCE_T02, pool, project, "100", dt.date(2025, 5, 1), "某公司", "材料", "张", "凭证1")
    payment = funds.pay(rt, county, pool, project, "100", dt.date(2025, 5, 1), "某公司", "材料", "张", "凭证1")
    for entry in (allocation, payment):
        with pytest.raises(PermissionDenied):
            funds.reverse(rt, FINANCE_T02, entry, "录错", dt.date(2025, 5, 2))
    assert funds.eligible_projects(rt, FINANCE_T02, "livelihood_pool") == []
    assert funds.by_project(rt, FINANCE_T02, pool) == [] and funds.recent_entries(rt, FINANCE_T02, pool) == []
    assert [e.id for e, _ in funds.recent_entries(rt, county, pool)][:2] == [payment, allocation]


@pytest.mark.parametrize("amount", ["1e26", "1E+30", "9" * 40, "1e-30"])
def test_a_fund_amount_of_any_size_is_refused_in_words(amount):
    with pytest.raises(InputError) as refused:
        funds.fen(amount)
    assert refused.value.problems["amount"].code in {"maximum", "money_precision", "minimum"}


KILL_DURING_MOVES = """
import os, signal, sys
sys.path.insert(0, {root!r})
from engine.core import bulk
from engine.core.actors import Actor
from engine.core.runtime import Runtime
from engine.features import voting
real = bulk.apply_moves
def killed(session, *args, **kwargs):
    waiting = real(session, *args, **kwargs)
    session.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # a power cut after the moves were written, before their commit
bulk.apply_moves = killed
rt = Runtime.open({config!r}, {url!r})
voting.count_round(rt, Actor("t01congress", "澧源镇人大", frozenset({{"congress_staff"}}), "t01"), {round_id}, count_key={key!r})
"""


def test_a_crash_during_the_count_leaves_the_round_to_be_counted_again(rt, db_url, good_suggestion):
    """The count committed the round as counted, then moved the projects in a second transaction:
    killed between them, the vote's outcome was lost. Now they are one transaction."""
    import subprocess
    import sys
    from tests.conftest import CONFIG, ROOT
    ids, round_id, key = closed_ballot(rt, good_suggestion)
    script = KILL_DURING_MOVES.format(root=str(ROOT), config=str(CONFIG), url=db_url, round_id=round_id, key=key)
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    states = lambda: [records.get(rt, SYSTEM, i)[0].state for i in ids]  # noqa: E731
    assert states() == ["candidate"] * 3  # nothing of the count stayed
    with rt.db.read() as session:
        assert session.get(VoteRound, round_id).state == "closed"
    voting.count_round(rt, CONGRESS_T01, round_id, count_key=key)  # counted again, whole
    assert states() == ["chosen", "chosen", "reserve"]


def test_the_command_line_acting_as_an_account_keeps_its_scope(rt, db_url, monkeypatch, tmp_path, good_suggestion):
    from typer.testing import CliRunner
    from apps.cli import app
    from engine.core import accounts
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("MINSHENG_LOG", str(tmp_path / "log.txt"))
    mine = suggestion(rt, good_suggestion, "t01", "s01", state="rejected")
    accounts.create_user(rt, SYSTEM, "wang", "瑞塔铺镇联络员", ["liaison_staff"], "Qiao-lu-2025-sangzhi", "t02")
    refused = CliRunner().invoke(app, ["sheet", "file", str(mine), "answer", "--as", "wang", "-v", "way=phone",
                                       "--config", str(CONFIG)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "t01" in refused.output or "township" in refused.output
    assert sheets.filed_sheets(rt, SYSTEM, mine) == []
    long_name = CliRunner().invoke(app, ["check", "--config", "x" * 300])
    assert long_name.exit_code == 1 and "the profile folder cannot be read: File name too long" in long_name.output


def test_an_uploads_name_loses_its_control_characters(rt, good_suggestion):
    form = rt.forms["suggestion"].form
    field = next(f for f in form.fields if f.type == "file")
    ending = (field.accept or ("jpg",))[0]
    made = records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, township="t01", station="s01"),
                          uploads={field.id: (f"现场\x00照片\x1b.{ending}", b"\xff\xd8\xff")})
    assert records.get(rt, SYSTEM, made.id)[0].data[field.id]["name"] == f"现场照片.{ending}"
