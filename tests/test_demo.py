"""The demo year reproduces the source's intake figures, from the profile alone."""
from __future__ import annotations

from decimal import Decimal

import pytest

from sqlalchemy import func, select

from engine.core import sheets
from engine.core.actors import SYSTEM
from demo.schema import demo_of
from demo.seed import seed_demo
from engine.core.signin import authenticate
from engine.store.tables import Flag, FundPoolYear, Record, RecordLink, User, VoteCandidate, VoteRound

# chosen by the vote, whatever has happened since
CHOSEN = ("chosen", "delivering", "completed", "evaluated", "rectifying", "rectification_overdue", "re_evaluating")


def test_demo_year(rt, tmp_path):
    lines = seed_demo(rt)
    demo = demo_of(rt.profile)
    account = demo.accounts[0]  # the demo made this database: its accounts sign in with the demo's password
    assert authenticate(rt, account.username, account.password).username == account.username
    year = str(rt.profile.county.year)
    with rt.db.read() as session:
        def n(*where):
            return session.scalar(select(func.count()).select_from(Record).where(*where))
        merged = set(session.scalars(select(RecordLink.record_id).where(RecordLink.field_id == "merged_into")))
        suggestions = session.execute(select(Record.id, Record.state, Record.township, Record.data).where(
            Record.form_id == "suggestion")).all()
        this_year = [s for s in suggestions if s.data["submitted_on"].startswith(year)]
        last_year = [s for s in suggestions if s.data["submitted_on"] < year]
        next_year = [s for s in suggestions if s.data["submitted_on"] > f"{year}-12-31"]
        assert n(Record.form_id == "offline_session") == demo.offline_sessions == 68
        assert len(this_year) == demo.suggestions == 84
        assert len({s.township for s in this_year}) == len(rt.profile.county.townships) == 23
        # the next year's intake has begun in the demo screener's township, waiting to be screened
        assert len(next_year) == demo.next_suggestions == 3
        assert {(s.township, s.state) for s in next_year} == {("t01", "received")}
        stations = session.scalars(select(Record.station).where(Record.form_id == "offline_session").distinct()).all()
        assert len(stations) == len(rt.profile.county.stations) == 24
        # suggestions raised at a session are linked to it
        linked = session.scalar(select(func.count()).select_from(RecordLink).where(RecordLink.field_id == "session"))
        offline = n(Record.form_id == "suggestion", Record.channel.in_(["courtyard_talk", "neighbour_talk"]))
        assert linked == offline > 0
        assert session.scalar(select(func.count()).select_from(User)) == len(demo.accounts)

        # Stages 2-4, decided by the profile's own rules: 42 of the 80 distinct suggestions admitted
        # (4 more merged into them as duplicates), 38 answered with reasons, every admitted one reviewed.
        distinct = [s for s in this_year if s.id not in merged]
        assert len(distinct) == 80
        assert sum(1 for s in this_year if s.id in merged and s.state in CHOSEN) == 4  # they follow
        assert sum(1 for s in distinct if s.state in ("pending", "rejected")) == 38
        answers = select(func.count(func.distinct(RecordLink.target_id))).join(
            Record, Record.id == RecordLink.record_id).where(Record.form_id == "answer")
        assert session.scalar(answers) == 38

        # Stages 5-6: every township congress voted; 42 projects chosen across the 23 townships; the
        # projects carried over from last year's reserve pool made every ballot differential, and
        # those not chosen are back in the pool.
        chosen = [s for s in distinct if s.state in CHOSEN]
        assert len(chosen) == 42 and len({s.township for s in chosen}) == 23
        assert len(last_year) == 23 and all(s.state in CHOSEN + ("reserve",) for s in last_year)
        rounds = session.scalars(select(VoteRound).where(VoteRound.kind == "first")).all()
        assert len(rounds) == 23 and all(r.state == "counted" for r in rounds)
        for r in rounds:
            on_ballot = session.scalar(select(func.count()).select_from(VoteCandidate).where(VoteCandidate.round_id == r.id))
            assert on_ballot > r.places
    # Stage 8: 6.73 million yuan in the pool, all allocated to the chosen projects, part paid.
    from engine.features.funds import balance
    with rt.db.read() as session:
        pool_id = session.scalar(select(FundPoolYear.id))
    money = balance(rt, SYSTEM, pool_id)
    assert money.total == money.allocated == Decimal("6730000.00")
    assert Decimal(0) < money.paid < money.allocated  # the projects still under way are not paid in full
    assert all(balance(rt, SYSTEM, pool_id, c.id).allocated > 0 for c in chosen)
    assert sheets.awaiting(rt, SYSTEM, "suggestion", "answer").total == 0

    # Stages 7 and 9: every chosen project was listed and started; most completed (and paid in
    # full), the rest under way; late milestones were flagged when they fell due, and the watch list
    # holds exactly the projects two milestones behind today; some follow-ups are closed, some open.
    from engine.features import delivery
    assert sheets.awaiting(rt, SYSTEM, "suggestion", "responsibility_list").total == 0
    states = {c.id: c.state for c in chosen}
    done = [r for r, state in states.items() if state not in ("chosen", "delivering")]
    going = [r for r, state in states.items() if state == "delivering"]
    assert len(done) + len(going) == 42 and len(done) > len(going) > 0
    assert all(balance(rt, SYSTEM, pool_id, r).paid == balance(rt, SYSTEM, pool_id, r).allocated for r in done)
    assert money.paid <= Decimal("6730000.00")
    behind = {r for r in states if delivery.figures_of(rt, "livelihood_delivery", r)["milestones_behind"] >= 2}
    with rt.db.read() as session:
        watched = set(session.scalars(select(Flag.record_id).where(Flag.watch.is_(True), Flag.cleared_at.is_(None))))
        late = session.execute(select(Flag.record_id, Flag.cleared_at).where(Flag.rule == "overdue")).all()
        follow_ups = session.scalars(select(Record.state).where(Record.form_id == "follow_up")).all()
    assert watched == behind == set(going)
    assert any(cleared for _, cleared in late) and {r for r, _ in late} - set(going)  # late, then caught up
    assert "closed" in follow_ups and "open" in follow_ups
    scores = delivery.scorecard(rt, SYSTEM, "livelihood_delivery")
    assert len(scores) == 23 and sum(s.completed for s in scores) == len(done)

    # Stage 10: every completed project rated; those the rules failed got an order with a public
    # explanation; the rectified ones were rated again and passed; the other is past its 30 days.
    from engine.core.workflow import last_decision

    def states_township(record_id):
        return next(c.township for c in chosen if c.id == record_id)
    left = [r for r in done if states[r] == "completed"]  # left for the demo's own deputy to rate
    assert len(left) == demo.evaluation.left_to_rate == 1 and states_township(left[0]) == "t01"
    done = [r for r in done if r not in left]
    assert all(states[r] in ("evaluated", "rectification_overdue") for r in done)
    with rt.db.read() as session:
        ordered = set(session.scalars(select(RecordLink.target_id).join(Record, Record.id == RecordLink.record_id)
                                      .where(Record.form_id == "rectification_order")))
    rectifying = {r for r in done if states[r] == "rectification_overdue"}
    assert rectifying and rectifying < ordered and len(ordered) == demo.evaluation.poorly_rated
    assert len(ordered - rectifying) == demo.evaluation.rectified
    assert all("低于 80%" in last_decision(rt, r)["reason"] for r in rectifying)
    assert all("达到 80%" in last_decision(rt, r)["reason"] for r in ordered - rectifying)
    # The dashboard's alerts agree with its statuses: the unit of each overdue rectification's
    # township is alerted to it (it can report the rectification done); finance, with nothing to do, is not.
    from engine.core.actors import Actor
    for overdue in rectifying:
        township = next(c.township for c in chosen if c.id == overdue)
        unit = Actor("unit", "乡镇人民政府", frozenset({"government_unit"}), township)
        alerts = delivery.alerts_for(rt, unit, "livelihood_delivery")
        assert [a.state for a in alerts if a.record_id == overdue] == ["rectification_overdue"]
        assert all(a.township == township for a in alerts)
    # A ballot tells each candidate's cost (the Party committee's estimate) and why it is on the list
    from engine.features import voting
    from engine.kernel.errors import PermissionDenied
    with rt.db.read() as session:
        first_round = session.scalar(select(VoteRound.id).where(VoteRound.kind == "first").order_by(VoteRound.id))
    shown = voting.ballot_candidates(rt, SYSTEM, first_round)
    assert shown and all(c.cost and c.cost > 0 for c in shown)
    assert all("乡镇党委会议同意列为候选项目" in c.reason and f"{c.cost:.0f}" in c.reason for c in shown)
    with pytest.raises(PermissionDenied):  # a deputy of no roster of this round
        voting.ballot_candidates(rt, Actor("stranger", "代表", frozenset({"deputy"})), first_round)
    # The public projects page: every chosen project with its unit, money and progress; the rated
    # ones with the rules' words; nothing but those projects' chains
    from engine.kernel.errors import NotFound
    listed = delivery.public_projects(rt, "livelihood_delivery", page_size=100)
    assert listed.total == 42 and {p.record_id for p in listed.items} == {c.id for c in chosen}
    assert all(p.unit and p.allocated > 0 and 0 <= p.percent <= 100 for p in listed.items)
    rated = [p for p in listed.items if p.record_id in ordered or states[p.record_id] == "evaluated"]
    assert rated and all("名代表参加测评" in p.rating for p in rated)
    assert all(p.rating is None for p in listed.items if states[p.record_id] in ("delivering", "completed"))
    shown = delivery.public_project(rt, "livelihood_delivery", listed.items[0].record_id)
    assert "phone" not in shown.data and "proposer_name" not in shown.data
    with pytest.raises(NotFound):  # an answered suggestion is no public project
        delivery.public_project(rt, "livelihood_delivery", next(s.id for s in distinct if s.state == "rejected"))
    finance = Actor("finance", "县财政局", frozenset({"finance"}))
    assert not [a for a in delivery.alerts_for(rt, finance, "livelihood_delivery") if a.state]
    # The annual report counts what the stages stored: every figure agrees with the database.
    from engine.output import reports
    from apps.i18n import report_words
    title, paragraphs, tables = reports.build(rt, SYSTEM, "annual_report", 2025, report_words())
    assert title == "桑植县2025年民生实事项目人大代表票决制工作情况报告" and "全年共征集群众建议84条" in paragraphs[0]
    channels, towns, outcomes, votes, money_rows, delivered = tables
    assert channels.rows[-1] == ["合计", 84] and towns.rows[-1] == ["合计", 84] and len(towns.rows) == 24
    assert dict((r[0], r[1]) for r in outcomes.rows)["纳入储备库并通过初审"] == 42 and outcomes.rows[-1][1] == 80
    assert votes.rows[-1][4] == 42 and len(votes.rows) == 24  # 23 ballots and the total
    assert money_rows.rows[-1][1:] == [money.allocated, money.paid]
    assert delivered.rows[-1][1:3] == [42, len(done) + len(left)] and delivered.rows[-1][5] == len(rectifying)
    out = tmp_path / "report.xlsx"
    reports.xlsx(title, paragraphs, tables, out)
    from openpyxl import load_workbook
    book = load_workbook(out)
    assert len(book.sheetnames) == 7 and all(len(book[n]._charts) == 1 for n in book.sheetnames[1:])
    assert [c.value for c in book["4"][2]] == ["乡镇", "候选项目", "应选项目", "收回选票", "票决通过"]
    from tests.test_documents import ocr
    text = ocr(reports.pdf(rt, title, paragraphs, tables), tmp_path).replace(" ", "")
    for heading in ("工作情况报告", "建议征集情况", "按渠道", "屋场夜话"):
        assert heading in text
    assert lines[0].startswith(f"accounts: {len(demo.accounts)} created")
    text = "\n".join(lines)
    assert "screening: 80 screened" in text and "42 projects chosen" in text
    # a second run adds nothing
    assert seed_demo(rt)[-1].startswith("demo records already present")


def test_demo_is_deterministic(tmp_path):
    from engine.core.runtime import Runtime
    from tests.conftest import CONFIG
    titles = []
    for name in ("a", "b"):
        rt = Runtime.open(CONFIG, f"sqlite:///{tmp_path / name}.db")
        seed_demo(rt)
        with rt.db.read() as session:
            titles.append(session.execute(select(Record.title, Record.township, Record.channel, Record.state)
                                          .order_by(Record.id)).all())
        rt.db.dispose()
    # two empty runs would be equal too: the demo year must be there, in more than one state
    assert len(titles[0]) > 84 and len({row.state for row in titles[0]}) > 3
    assert titles[0] == titles[1]


def test_preview_of_the_demo_year_tells_the_truth(rt, profile_dir):
    """Right after the demo year, the unchanged profile changes no stored decision (before, preview
    did not read the sheets a decision was made from and reported 220 of 220 as changing); a
    stricter screening threshold changes exactly the suggestions it should."""
    import re
    from engine.features.preview import preview
    from engine.profile.loader import load_profile
    seed_demo(rt)
    same = preview(rt, rt.profile)
    assert same.checked > 200 and same.changes == [] and same.notes == []
    rules = profile_dir / "rules/screening.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("          - total >= 15\n", "          - total >= 18\n", 1),
                     encoding="utf-8")
    stricter = preview(rt, load_profile(profile_dir))
    totals = [int(re.search(r"合计 (\d+) 分", c.before_reason).group(1)) for c in stricter.changes]
    assert stricter.changes and all(c.before == "reserve" and c.after != "reserve" for c in stricter.changes)
    assert all(15 <= t < 18 for t in totals)  # those between the old and the new threshold, and only those


def test_the_demo_follows_who_the_profile_lets_submit(tmp_path, db_url):
    """Where only deputies may propose (a county's rule), the demo year submits its suggestions as
    a deputy, or as the system where no demo deputy sits, instead of failing as the public."""
    from sqlalchemy import String, cast
    from engine.core.runtime import Runtime
    from engine.store.tables import AuditEntry
    from tests.conftest import CONFIG
    (tmp_path / "forms").mkdir()
    (tmp_path / "profile.yaml").write_text(f"extends: {CONFIG}\n", encoding="utf-8")
    (tmp_path / "forms" / "suggestion.yaml").write_text("access:\n  submit: [deputy]\n", encoding="utf-8")
    rt = Runtime.open(tmp_path, db_url)
    try:
        lines = seed_demo(rt)
        assert any(line.startswith("suggestions: 80 from 23 townships") for line in lines)
        with rt.db.read() as session:
            submitters = set(session.scalars(select(AuditEntry.actor).join(
                Record, cast(Record.id, String) == AuditEntry.entity_id).where(
                AuditEntry.action == "record.submit", Record.form_id == "suggestion")))
        assert submitters == {"deputy", "system"}  # the demo deputy in township 01, the system elsewhere
    finally:
        rt.db.dispose()


HALF_MARKS = """\
fields:
""" + "".join(f"  - {{id: {f}, type: number, min: 1, max: 5, step: 0.5, scale: {{$delete: true}}}}\n"
              for f in ("necessity", "feasibility", "universality", "urgency"))


def test_the_demo_gives_half_marks_and_ties_where_its_data_asks(tmp_path, db_url):
    """A county scoring in half marks and a demo year with ties at the last place: the marks go
    in as 3.5, the rules decide from them, and two township congresses need their tie-break (a
    run-off under Sangzhi's rule) before their vote is decided."""
    from engine.core.runtime import Runtime
    from engine.store.tables import VoteRound
    from tests.conftest import CONFIG
    (tmp_path / "forms").mkdir()
    (tmp_path / "profile.yaml").write_text(f"extends: {CONFIG}\n", encoding="utf-8")
    (tmp_path / "forms" / "screening_score.yaml").write_text(HALF_MARKS, encoding="utf-8")
    (tmp_path / "demo.yaml").write_text("""\
vote: {ties: 2}
screening:
  bands:
    - {count: 42, step: 0.5, marks: {necessity: [4, 5], feasibility: [4, 5], universality: [4, 5], urgency: [3.5, 5]}}
    - {count: 16, step: 0.5, marks: {necessity: [3, 4], feasibility: [2, 2.5], universality: [3, 4], urgency: [3, 3.5]}}
    - {count: 22, step: 0.5, marks: {necessity: [1, 2], feasibility: [1, 2.5], universality: [1, 2], urgency: [1, 2]}}
""", encoding="utf-8")
    rt = Runtime.open(tmp_path, db_url)
    try:
        lines = seed_demo(rt)
        assert any(line.endswith("2 tie(s) at the last place decided by the tie-break") for line in lines), lines
        with rt.db.read() as session:
            marks = [r.data["urgency"] for r in session.scalars(select(Record).where(Record.form_id == "screening_score"))]
            runoffs = session.execute(select(VoteRound.township, VoteRound.places, VoteRound.state).where(
                VoteRound.kind == "runoff").order_by(VoteRound.id)).all()
            reserve = session.scalar(select(func.count()).select_from(Record).where(
                Record.form_id == "suggestion", Record.state.in_(["reserve", "candidate", "chosen", "delivering",
                                                                 "completed", "evaluated", "rectifying",
                                                                 "re_evaluating", "rectification_overdue"])))
        assert any(str(m).endswith(".5") for m in marks) and all(float(m) * 2 == int(float(m) * 2) for m in marks)
        assert [(places, state) for _, places, state in runoffs] == [(1, "counted"), (1, "counted")]
        assert reserve >= 42  # the half marks decided as the rules say: the first band admitted
    finally:
        rt.db.dispose()


def test_half_marks_for_a_field_of_whole_scores_are_a_config_error(tmp_path):
    from engine.kernel.errors import ConfigError
    from engine.profile.loader import load_profile
    from tests.conftest import CONFIG
    (tmp_path / "profile.yaml").write_text(f"extends: {CONFIG}\n", encoding="utf-8")
    (tmp_path / "demo.yaml").write_text(
        "screening:\n  bands:\n    - {count: 80, step: 0.5, marks: {necessity: [4, 5.25]}}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_profile(tmp_path)
    merged = f"(merged with {CONFIG}/demo.yaml)"
    assert [str(p) for p in refused.value.problems] == [
        f"{tmp_path}/demo.yaml:3: At Demo() -> screening -> bands -> DemoBand[0] -> marks -> necessity: "
        f"[4, 5.25] is not a whole number of steps of 0.5 {merged}",
        f"{tmp_path}/demo.yaml:3: At Demo() -> screening -> bands -> DemoBand[0] -> step: field 'necessity' of "
        f"form 'screening_score' takes whole marks (score); make it a number field to give marks such as 3.5 {merged}"]
