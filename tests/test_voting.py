"""Ballot rounds in the database: set-up rules, quorum, one ballot per deputy while the round is
open, 100 deputies at the same moment, a close during casting, paper ballots checked by a second
teller, the count stored and recounted, and no stored data linking a deputy to a choice."""
from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from sqlalchemy import func, inspect, select, text, update

from engine.core import records
from engine.core.actors import ANONYMOUS, Actor
from engine.features import voting
from engine.features.voting import (VoteRefused, cast, chosen_in, close_due, close_round, confirm_paper, create_round, enter_paper, follow_up, hand_out_paper, recount)
from engine.store.tables import Ballot, Record, VoteRound, VoteVoter

PRESIDIUM = Actor("presidium", "主席团", frozenset({"congress_staff"}))
TELLER1 = Actor("teller1", "计票员甲", frozenset({"congress_staff"}))
TELLER2 = Actor("teller2", "计票员乙", frozenset({"congress_staff"}))
PRESIDIUM_VIEW = Actor("viewer", "人大", frozenset({"congress_staff"}))


def deputy(n: int) -> Actor:
    return Actor(f"d{n:03d}", f"代表{n}", frozenset({"deputy"}))


# Each round's count key, as the presidium keeps it from the opening to the count.
KEYS: dict[int, str] = {}


def open_round(rt, actor, round_id):
    KEYS[round_id] = voting.open_round(rt, actor, round_id)
    return KEYS[round_id]


def count_round(rt, actor, round_id, presidium_choice=None):
    return voting.count_round(rt, actor, round_id, presidium_choice, count_key=KEYS.get(round_id))


def candidates(rt, good, n: int) -> list[int]:
    ids = [records.submit(rt, ANONYMOUS, "suggestion", dict(good, title=f"候选项目第{i + 1}个")).id for i in range(n)]
    with rt.db.transaction() as session:  # as if screened and reviewed (tested in test_screening)
        session.execute(update(Record).where(Record.id.in_(ids)).values(state="candidate"))
    return ids


def roster(members: int, present: int | None = None):
    present = members if present is None else present
    return [(f"d{n:03d}", f"代表{n}", "present" if n < present else "leave") for n in range(members)]


def open_ballot(rt, good, places=2, n_candidates=3, members=9, present=None, **kw) -> tuple[int, list[str]]:
    ids = candidates(rt, good, n_candidates)
    round_id = create_round(rt, PRESIDIUM, "township_congress", "t02", "瑞塔铺镇人代会票决", places, ids,
                            roster(members, present), **kw)
    open_round(rt, PRESIDIUM, round_id)
    return round_id, [str(i) for i in ids]


def test_the_candidate_list_needs_more_candidates_than_places(rt, good_suggestion):
    ids = candidates(rt, good_suggestion, 3)
    with pytest.raises(VoteRefused) as info:
        create_round(rt, PRESIDIUM, "township_congress", "t02", "票决", 3, ids, roster(9))
    assert (info.value.code, info.value.params) == ("too_few_candidates", {"needed": 4, "candidates": 3, "places": 3})
    other = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)  # still awaiting screening
    with pytest.raises(VoteRefused) as info:
        create_round(rt, PRESIDIUM, "township_congress", "t02", "票决", 2, ids[:2] + [other.id], roster(9))
    assert info.value.code == "not_a_candidate"
    with pytest.raises(Exception) as info:
        create_round(rt, deputy(1), "township_congress", "t02", "票决", 2, ids, roster(9))
    assert type(info.value).__name__ == "PermissionDenied"


def test_no_quorum_no_vote(rt, good_suggestion):
    ids = candidates(rt, good_suggestion, 3)
    round_id = create_round(rt, PRESIDIUM, "township_congress", "t02", "票决", 2, ids, roster(9, present=5))
    with pytest.raises(VoteRefused) as info:
        open_round(rt, PRESIDIUM, round_id)
    assert (info.value.code, info.value.params) == ("no_quorum", {"members": 9, "present": 5})
    with pytest.raises(VoteRefused):
        cast(rt, deputy(0), round_id, {ids[0]: "yes"})


def test_closing_before_most_have_voted_asks_for_a_reason_that_is_audited(rt, good_suggestion):
    from apps.i18n import refusal_text
    from engine.store.tables import AuditEntry
    round_id, (a, b, c) = open_ballot(rt, good_suggestion, members=9, present=8)
    for n in range(4):  # 4 of 8 present: not most of them, and below the quorum of 2/3 of 9 members
        cast(rt, deputy(n), round_id, {a: "yes"})
    for blank in (None, "", "   "):
        with pytest.raises(VoteRefused) as info:
            close_round(rt, PRESIDIUM, round_id, reason=blank)
        assert (info.value.code, info.value.params) == ("close_needs_reason", {"voted": 4, "present": 8, "members": 9})
    assert refusal_text(info.value).startswith("已投票 4 人（出席 8 人，全体代表 9 人）")
    close_round(rt, PRESIDIUM, round_id, reason="表决器故障，其余代表改用纸质选票")
    with rt.db.read() as session:
        closed = session.scalars(select(AuditEntry).where(AuditEntry.action == "vote.closed",
                                                          AuditEntry.entity_id == str(round_id))).one()
    assert (closed.actor, closed.after["reason"], closed.after["voted"], closed.after["early"]) == (
        "presidium", "表决器故障，其余代表改用纸质选票", 4, True)

    second, (a, b, c) = open_ballot(rt, good_suggestion, members=9, present=8)
    for n in range(6):  # 6 of 8 present and 2/3 of the 9 members: no reason needed
        cast(rt, deputy(n), second, {a: "yes"})
    close_round(rt, PRESIDIUM, second)


def test_one_ballot_per_deputy_while_open(rt, good_suggestion):
    round_id, (a, b, c) = open_ballot(rt, good_suggestion, members=9, present=7)
    cast(rt, deputy(0), round_id, {a: "yes", b: "yes"})
    with pytest.raises(VoteRefused) as info:
        cast(rt, deputy(0), round_id, {c: "yes"})
    assert info.value.code == "already_voted"
    with pytest.raises(VoteRefused) as info:
        cast(rt, deputy(8), round_id, {a: "yes"})  # on leave
    assert info.value.code == "not_on_roster"
    with pytest.raises(VoteRefused) as info:
        cast(rt, deputy(1), round_id, {a: "yes", b: "yes", c: "yes"})  # 3 marks for 2 places
    assert (info.value.code, info.value.params) == ("too_many_marks", {"places": 2})
    with pytest.raises(Exception):
        cast(rt, PRESIDIUM, round_id, {a: "yes"})  # not a voting role
    close_round(rt, PRESIDIUM, round_id, reason="（测试）提前结束")
    with pytest.raises(VoteRefused) as info:
        cast(rt, deputy(2), round_id, {a: "yes"})
    assert info.value.code == "not_open"
    with rt.db.read() as session:
        assert session.scalar(select(text("count(*)")).select_from(Ballot)) == 1


def test_a_declared_closing_time_is_kept(rt, good_suggestion):
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)
    round_id, (a, *_) = open_ballot(rt, good_suggestion, closes_at=soon)
    cast(rt, deputy(0), round_id, {a: "yes"})
    assert close_due(rt, at=soon - dt.timedelta(minutes=1)) == []
    assert close_due(rt, at=soon) == [round_id]
    with pytest.raises(VoteRefused):
        cast(rt, deputy(1), round_id, {a: "yes"})


def _together(n: int, work) -> list:
    """Run work(i) in n threads released at the same moment; returns each one's exception or None."""
    barrier = threading.Barrier(n)
    outcomes: list = [None] * n

    def run(i):
        barrier.wait()
        try:
            work(i)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            outcomes[i] = exc
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes


def test_a_hundred_deputies_at_the_same_moment(rt, good_suggestion):
    round_id, ids = open_ballot(rt, good_suggestion, places=3, n_candidates=5, members=100)
    choices = [{ids[i % 5]: "yes", ids[(i + 1) % 5]: "yes"} for i in range(100)]
    outcomes = _together(100, lambda i: cast(rt, deputy(i), round_id, choices[i]))
    assert [o for o in outcomes if o is not None] == []
    # and each tries again at once: every second attempt is refused
    again = _together(100, lambda i: cast(rt, deputy(i), round_id, choices[i]))
    assert all(isinstance(o, VoteRefused) and o.code == "already_voted" for o in again)
    close_round(rt, PRESIDIUM, round_id)
    result = count_round(rt, PRESIDIUM, round_id)
    assert result.ballots == result.valid == 100
    assert {line.candidate: line.tally.yes for line in result.lines} == {c: 40 for c in ids}


def test_a_close_during_casting_counts_every_accepted_ballot_once(rt, good_suggestion):
    round_id, ids = open_ballot(rt, good_suggestion, places=2, n_candidates=3, members=60)

    def work(i):
        if i == 30:
            close_round(rt, PRESIDIUM, round_id, reason="（测试）提前结束")
        else:
            cast(rt, deputy(i), round_id, {ids[0]: "yes"})
    outcomes = _together(60, work)
    accepted = [i for i, o in enumerate(outcomes) if o is None and i != 30]
    refused = [o for i, o in enumerate(outcomes) if o is not None]
    assert all(isinstance(o, VoteRefused) and o.code == "not_open" for o in refused)
    with rt.db.read() as session:
        voters = set(session.scalars(select(VoteVoter.deputy).where(VoteVoter.round_id == round_id)))
        ballots = session.scalar(select(text("count(*)")).select_from(Ballot).where(Ballot.round_id == round_id))
        assert session.get(VoteRound, round_id).state == "closed"
    assert voters == {f"d{i:03d}" for i in accepted} and ballots == len(accepted)


def test_no_stored_data_links_a_deputy_to_a_choice(rt, good_suggestion):
    round_id, ids = open_ballot(rt, good_suggestion, places=3, n_candidates=6, members=20)
    subsets = [dict.fromkeys(s, "yes") for k in (1, 2, 3) for s in itertools.combinations(ids, k)][:20]
    for i in range(20):  # cast one by one, each ballot different, in a known order
        cast(rt, deputy(i), round_id, subsets[i])
    close_round(rt, PRESIDIUM, round_id)
    with rt.db.read() as session:
        columns = {t: {c["name"] for c in inspect(session.connection()).get_columns(t)} for t in ("ballots", "vote_voters")}
        assert columns == {"ballots": {"id", "round_id", "marks", "sealed", "channel", "weight"},
                           "vote_voters": {"round_id", "deputy", "channel"}}
        sealed = session.execute(select(Ballot.marks, Ballot.sealed).where(Ballot.round_id == round_id)).all()
        assert len(sealed) == 20 and all(marks is None for marks, _ in sealed)  # nothing readable until opened
        assert session.scalar(select(func.count()).select_from(Ballot).where(Ballot.weight.is_not(None))) == 0
        assert len({len(box) for _, box in sealed}) == 1  # one length: a ballot's size tells nothing
    with pytest.raises(VoteRefused) as info:
        recount(rt, round_id)  # no one counts sealed ballots
    assert info.value.code == "still_sealed"
    with pytest.raises(VoteRefused) as info:
        voting.count_round(rt, PRESIDIUM, round_id, count_key="bm90LXRoZS1rZXktbm90LXRoZS1rZXktbm90LXRoZS0=")
    assert info.value.code == "wrong_count_key"
    assert voting.count_round(rt, PRESIDIUM, round_id, count_key=KEYS[round_id]).ballots == 20
    with rt.db.read() as session:
        stored = [dict(m) for m in session.scalars(select(Ballot.marks).where(Ballot.round_id == round_id).order_by(Ballot.id))]
        assert sorted(map(sorted, stored)) == sorted(map(sorted, subsets))  # every ballot is there ...
        assert stored != subsets  # ... but not in the order cast (1 chance in 20! of this failing by luck)
        if rt.db.is_sqlite:
            with pytest.raises(Exception):  # no hidden row number to order by
                session.execute(text("SELECT rowid FROM ballots")).all()
        else:  # every plain ballot written by the one transaction that opened the box: xmin tells nothing
            assert session.scalar(text("SELECT count(DISTINCT xmin::text) FROM ballots")) == 1
            assert session.scalar(text("SELECT count(DISTINCT xmin::text) FROM vote_voters")) == 1
        audit_rows = session.execute(text("SELECT after FROM audit_log WHERE action = 'vote.cast'")).all()
    assert len(audit_rows) == 20 and all("marks" not in str(a) and ids[0] not in str(a) for (a,) in audit_rows)


def test_paper_ballots_are_checked_by_a_second_teller(rt, good_suggestion):
    round_id, (a, b, c) = open_ballot(rt, good_suggestion, members=9)
    for i in range(3):
        hand_out_paper(rt, TELLER1, round_id, f"d{i:03d}")
    with pytest.raises(VoteRefused):
        cast(rt, deputy(0), round_id, {a: "yes"})  # took a paper ballot: has voted
    cast(rt, deputy(5), round_id, {a: "yes", c: "yes"})
    with pytest.raises(VoteRefused) as info:
        enter_paper(rt, TELLER1, round_id, {a: "yes"})
    assert info.value.code == "paper_after_close"
    close_round(rt, PRESIDIUM, round_id, reason="（测试）提前结束")
    first = enter_paper(rt, TELLER1, round_id, {a: "yes", b: "yes"})
    second = enter_paper(rt, TELLER1, round_id, {a: "yes", b: "yes", c: "yes"})  # too many marks: kept, invalid
    third = enter_paper(rt, TELLER2, round_id, {b: "yes"})
    with pytest.raises(VoteRefused) as info:
        enter_paper(rt, TELLER1, round_id, {b: "yes"})  # three handed out, three entered
    assert info.value.code == "more_paper_than_handed_out"
    with pytest.raises(VoteRefused) as info:
        confirm_paper(rt, TELLER1, first, {a: "yes", b: "yes"})
    assert info.value.code == "same_teller"
    with pytest.raises(VoteRefused) as info:
        confirm_paper(rt, TELLER2, first, {a: "yes"})
    assert info.value.code == "paper_mismatch"
    with pytest.raises(VoteRefused) as info:
        recount(rt, round_id)
    assert info.value.code == "paper_unchecked"
    confirm_paper(rt, TELLER2, first, {a: "yes", b: "yes"})
    confirm_paper(rt, TELLER2, second, {a: "yes", b: "yes", c: "yes"})
    confirm_paper(rt, TELLER1, third, {b: "yes"})
    result = count_round(rt, PRESIDIUM, round_id)
    assert (result.ballots, result.valid, result.invalid) == (4, 3, {"too_many_marks": 1})
    tallies = {line.candidate: line.tally.yes for line in result.lines}
    assert tallies == {a: 2, b: 2, c: 1}
    assert result.chosen == ()  # 2 of 9 is not more than half
    assert recount(rt, round_id) == result  # anyone with access recounts to the same result
    with rt.db.read() as session:
        stored = session.get(VoteRound, round_id)
        assert stored.state == "counted" and stored.result["chosen"] == []
        assert stored.result["lines"][0]["reason"] == "获得赞成票 2 票，未超过全体代表 9 人的半数，未当选"
    with pytest.raises(VoteRefused):
        count_round(rt, PRESIDIUM, round_id)  # counted once


def test_a_decided_vote_moves_the_projects(rt, good_suggestion):
    round_id, (a, b, c) = open_ballot(rt, good_suggestion, members=9)
    for i, marks in enumerate([{a: "yes", b: "yes"}] * 5 + [{c: "yes"}] * 4):
        cast(rt, deputy(i), round_id, marks)
    close_round(rt, PRESIDIUM, round_id)
    result = count_round(rt, PRESIDIUM, round_id)
    assert result.chosen == (a, b)
    states = {str(r.id): r.state for r in (records.get(rt, PRESIDIUM_VIEW, int(x))[0] for x in (a, b, c))}
    assert states == {a: "chosen", b: "chosen", c: "reserve"}  # not chosen: back to the pool for next year


def test_a_tie_calls_a_runoff_and_the_vote_is_decided_after_it(rt, good_suggestion):
    round_id, (a, b, c) = open_ballot(rt, good_suggestion, members=9)
    for i, marks in enumerate([{a: "yes", b: "yes"}] * 4 + [{a: "yes", c: "yes"}] * 4 + [{b: "yes", c: "yes"}]):
        cast(rt, deputy(i), round_id, marks)
    close_round(rt, PRESIDIUM, round_id)
    first = count_round(rt, PRESIDIUM, round_id)
    assert first.chosen == (a,) and first.runoff == (b, c)
    assert records.get(rt, PRESIDIUM_VIEW, int(a))[0].state == "candidate"  # not decided yet
    runoff = follow_up(rt, round_id)
    with rt.db.read() as session:
        row = session.get(VoteRound, runoff)
        assert (row.kind, row.places, row.state, row.members) == ("runoff", 1, "draft", 9)
    open_round(rt, PRESIDIUM, runoff)
    for i, marks in enumerate([{c: "yes"}] * 6 + [{b: "yes"}] * 3):
        cast(rt, deputy(i), runoff, marks)
    close_round(rt, PRESIDIUM, runoff)
    assert count_round(rt, PRESIDIUM, runoff).chosen == (c,)
    assert chosen_in(rt, round_id) == [int(a), int(c)]
    states = [records.get(rt, PRESIDIUM_VIEW, int(x))[0].state for x in (a, b, c)]
    assert states == ["chosen", "reserve", "chosen"]


def test_roster_from_the_imported_list_and_statuses(rt, good_suggestion, tmp_path):
    from engine.core.actors import SYSTEM
    from engine.core.importer import import_file
    from engine.features.voting import roster_from_records, set_status
    csv = tmp_path / "deputies.csv"
    csv.write_text("姓名,乡镇,联络站,登录账号\n" + "".join(
        f"代表{i},瑞塔铺镇,瑞塔铺镇人大代表联络站,{'d%03d' % i if i < 4 else ''}\n" for i in range(6))
        + "外乡代表,龙潭坪镇,,\n", encoding="utf-8")
    report = import_file(rt, SYSTEM, "deputies", csv)
    assert (report.rows_added, report.rows_rejected) == (7, 0)
    assert import_file(rt, SYSTEM, "deputies", csv).rows_added == 0  # the same list again adds nobody
    listed = roster_from_records(rt, "township_congress", "t02")
    assert [d for d, *_ in listed][:4] == ["d000", "d001", "d002", "d003"] and len(listed) == 6
    assert {weight for *_, weight in listed} == {1}  # no weight field: one vote each
    assert listed[4][0].startswith("#") and listed[4][1] == "代表4"  # paper only: listed by record number
    ids = candidates(rt, good_suggestion, 3)
    round_id = create_round(rt, PRESIDIUM, "township_congress", "t02", "票决", 2, ids, listed)
    set_status(rt, PRESIDIUM, round_id, "d001", "leave")
    set_status(rt, PRESIDIUM, round_id, "d002", "absent")
    set_status(rt, PRESIDIUM, round_id, "d003", "absent")
    with pytest.raises(VoteRefused) as info:  # 3 of 6 present: not two thirds
        open_round(rt, PRESIDIUM, round_id)
    assert info.value.params == {"members": 6, "present": 3}
    set_status(rt, PRESIDIUM, round_id, "d003", "present")
    open_round(rt, PRESIDIUM, round_id)  # 4 of 6: two thirds exactly
    with pytest.raises(VoteRefused) as info:
        cast(rt, deputy(1), round_id, {str(ids[0]): "yes"})  # on leave
    assert info.value.code == "not_on_roster"
    cast(rt, deputy(3), round_id, {str(ids[0]): "yes"})
    with pytest.raises(VoteRefused):
        set_status(rt, PRESIDIUM, round_id, "d001", "present")  # the roster is fixed once open


def test_rules_freeze_when_the_round_opens(rt, profile_dir, db_url, good_suggestion):
    """An edit to the vote's rules after opening does not change how the open round is counted."""
    from engine.core.runtime import Runtime
    round_id, (a, b, c) = open_ballot(rt, good_suggestion, members=9, present=7)
    vote = profile_dir / "votes/township_congress.yaml"
    vote.write_text(vote.read_text(encoding="utf-8").replace("  of: all_members", "  of: present"), encoding="utf-8")
    edited = Runtime.open(profile_dir, db_url)
    try:
        for i in range(4):  # 4 of 9 members (not more than half); 4 of 7 present would be
            cast(edited, deputy(i), round_id, {a: "yes"})
        close_round(edited, PRESIDIUM, round_id, reason="（测试）提前结束")
        result = count_round(edited, PRESIDIUM, round_id)
        assert result.base == 9 and result.chosen == ()
    finally:
        edited.db.dispose()


def test_result_notice_pdf(rt, good_suggestion, tmp_path):
    from engine.output import documents
    from tests.test_documents import ocr, pdf_text
    round_id, (a, b, c) = open_ballot(rt, good_suggestion, members=5)
    for i, marks in enumerate([{a: "yes", b: "yes"}] * 3 + [{c: "yes"}] * 2):
        cast(rt, deputy(i), round_id, marks)
    close_round(rt, PRESIDIUM, round_id)
    count_round(rt, PRESIDIUM, round_id)
    made = documents.result(rt, ANONYMOUS, "vote_result", round_id)  # public
    text = "".join(pdf_text(made.content).split())
    assert "瑞塔铺镇2025年民生实事项目票决结果公告" in text
    assert "从3个候选项目中" in text and "实到5名" in text and "共2个项目当选" in text
    assert "获得赞成票3票，超过全体代表5" in text and "获得赞成票2票，未超过全体代表5" in text  # cells wrap
    seen = ocr(made.content, tmp_path)
    for words in ("民生实事项目票决结果公告", "人民代表大会主席团"):
        assert words in seen, seen[:300]


def test_tick_closes_a_ballot_at_its_declared_time(rt, good_suggestion):
    from engine.jobs import tick
    at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    round_id, (a, *_) = open_ballot(rt, good_suggestion, closes_at=at)
    assert tick(rt, at=at - dt.timedelta(seconds=1)).rounds_closed == 0
    report = tick(rt, at=at)
    assert report.rounds_closed == 1 and f"ballot {round_id}: closed at its declared time" in report.details
    assert tick(rt, at=at).rounds_closed == 0  # once


def test_staff_of_another_township_cannot_run_its_ballot(rt, good_suggestion):
    import dataclasses
    from engine.kernel.errors import PermissionDenied
    round_id, (a, *_) = open_ballot(rt, good_suggestion)
    elsewhere = dataclasses.replace(PRESIDIUM, township="t05")
    with pytest.raises(PermissionDenied):
        close_round(rt, elsewhere, round_id, reason="（测试）提前结束")
    with pytest.raises(PermissionDenied):
        hand_out_paper(rt, dataclasses.replace(TELLER1, township="t05"), round_id, "d000")
    close_round(rt, dataclasses.replace(PRESIDIUM, township="t02"), round_id, reason="（测试）提前结束")


def test_the_desk_issues_the_result_so_a_public_print_only_reads_its_number(rt, good_suggestion):
    from sqlalchemy import func
    from engine.core.actors import ANONYMOUS
    from engine.output import documents
    from engine.store.tables import IssuedDocument
    round_id, (a, b, c) = open_ballot(rt, good_suggestion, members=5)
    for n in range(5):
        cast(rt, deputy(n), round_id, {a: "yes", b: "yes"})
    close_round(rt, PRESIDIUM, round_id)
    count_round(rt, PRESIDIUM, round_id)
    assert documents.issue_results(rt, PRESIDIUM, round_id) == ["桑人大票决〔2025〕1号"]
    made = documents.result(rt, ANONYMOUS, "vote_result", round_id)
    assert made.content.startswith(b"%PDF")
    with rt.db.read() as session:
        issued = session.execute(select(IssuedDocument.number, IssuedDocument.issued_by)).all()
        assert session.scalar(select(func.count()).select_from(IssuedDocument)) == 1
    assert issued == [(1, "presidium")]  # the public's print wrote nothing


def test_a_ballot_reads_what_the_opening_fixed_once_per_round_and_never_across_stores(rt, good_suggestion, tmp_path):
    """Candidates and attendance are fixed when a round opens: a process reads them with its first
    ballot of the round, then each ballot is four statements (the round, the voter, the ballot,
    its audit row; SQLite's BEGIN IMMEDIATE is a fifth). Another store whose round has the same
    number and other deputies is not served from what this one read."""
    from sqlalchemy import event
    from engine.core.runtime import Runtime
    round_id, (a, b, c) = open_ballot(rt, good_suggestion, members=9)
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(rt.db.engine, "before_cursor_execute", listen)
    try:
        cast(rt, deputy(0), round_id, {a: "yes"})
        first = len(statements)
        statements.clear()
        cast(rt, deputy(1), round_id, {b: "yes"})
        assert len(statements) == first - 2 == (5 if rt.db.is_sqlite else 4)  # PostgreSQL's BEGIN is no statement
    finally:
        event.remove(rt.db.engine, "before_cursor_execute", listen)
    other = Runtime.open(rt.profile.root, f"sqlite:///{tmp_path / 'other.db'}")
    try:  # the same round number in another store: its own roster, on which d001 is on leave
        ids = candidates(other, good_suggestion, 3)
        same = create_round(other, PRESIDIUM, "township_congress", "t02", "另一个库", 2, ids,
                            [(f"d{n:03d}", f"代表{n}", "leave" if n == 1 else "present") for n in range(9)])
        assert same == round_id
        open_round(other, PRESIDIUM, same)
        with pytest.raises(VoteRefused) as refused:
            cast(other, deputy(1), same, {str(ids[0]): "yes"})
        assert refused.value.code == "not_on_roster"
    finally:
        other.db.dispose()
