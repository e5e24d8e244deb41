"""Delivery and supervision: responsibility lists with default dates, milestones flagged late once
(through the deadline mechanism), escalation rules under two profiles, follow-up actions tracked
to closure, the dashboard's figures, the official exports opened and read back, and role checks."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
from decimal import Decimal

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from engine.kernel.errors import PermissionDenied
from engine.core.runtime import Runtime
from engine.features import delivery
from engine.output import delivery_files
from engine.core import records
from engine.core.actors import ANONYMOUS, SYSTEM, Actor
from engine.core.sheets import file_sheet
from engine.jobs import tick
from engine.core.workflow import TransitionRefused, transition
from engine.store.tables import AuditEntry, Flag, Record

UNIT = Actor("unit", "澧源镇人民政府", frozenset({"government_unit"}), "t01")
COUNTY_UNIT = Actor("traffic", "县交通运输局", frozenset({"government_unit"}))
CONGRESS = Actor("congress", "县人大工作人员", frozenset({"congress_staff"}))
SUPERVISOR = Actor("supervisor", "监督人员", frozenset({"supervisor"}))
STANDING = Actor("standing", "县人大常委会", frozenset({"standing_committee"}))
DEPUTY = Actor("deputy", "代表", frozenset({"deputy"}), "t01")
D = "livelihood_delivery"


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(8), tzinfo=dt.timezone.utc)


def chosen(rt, good, township="t01", title="硬化村组道路约2公里") -> int:
    station = {"t01": "s01", "t02": "s02"}[township]
    record_id = records.submit(rt, ANONYMOUS, "suggestion", dict(good, township=township, station=station,
                                                                 title=title)).id
    with rt.db.transaction() as session:  # as if chosen by the vote (tested in test_voting)
        session.execute(update(Record).where(Record.id == record_id).values(state="chosen"))
    return record_id


LISTING = {"supervising_unit": "县人大常委会农业农村工作委员会", "implementing_unit": "澧源镇人民政府",
           "leading_official": "王乡长", "team": "乡交通站、村委会", "deadline": "2025-12-31",
           "acceptance_standard": "硬化道路2公里，宽4.5米，验收合格"}


def under_way(rt, good, milestones, **kw) -> int:
    """A chosen project with its responsibility list and milestones, started."""
    record_id = chosen(rt, good, **kw)
    unit = UNIT if kw.get("township", "t01") == "t01" else COUNTY_UNIT
    file_sheet(rt, CONGRESS, record_id, "responsibility_list", LISTING)
    for name, due in milestones:
        file_sheet(rt, unit, record_id, "milestone", {"name": name, "due": due})
    transition(rt, unit, record_id, "start")
    return record_id


def report(rt, record_id, day, percent, milestone="", unit=UNIT):
    return file_sheet(rt, unit, record_id, "progress_report",
                      {"report_date": day, "percent": percent, "milestone": milestone, "text": "按计划推进。"})


def open_flags(rt, record_id) -> list[tuple[str, str]]:
    with rt.db.read() as session:
        return [(f.rule, f.subject) for f in session.scalars(
            select(Flag).where(Flag.record_id == record_id, Flag.cleared_at.is_(None)).order_by(Flag.id))]


def notified(rt, record_id) -> list[str]:
    with rt.db.read() as session:
        return [a["role"] for a in session.scalars(select(AuditEntry.after).where(
            AuditEntry.action == "notify", AuditEntry.entity_id == str(record_id)).order_by(AuditEntry.id))]


def test_responsibility_list_gets_the_profiles_default_dates_and_gates_the_start(rt, good_suggestion):
    record_id = chosen(rt, good_suggestion)
    with pytest.raises(TransitionRefused) as info:  # no responsibility list yet
        transition(rt, UNIT, record_id, "start")
    assert info.value.code == "condition_false"
    with rt.db.read() as session:
        chosen_on = delivery.started_on(session, session.get(Record, record_id), ("chosen",))
    # the profile: completed within the year; preparatory work within 30 days of the vote
    assert delivery.default_values(rt, record_id, "responsibility_list") == {
        "deadline": f"{chosen_on.year}-12-31", "preparation_deadline": (chosen_on + dt.timedelta(days=30)).isoformat()}
    listing = dict(LISTING)
    del listing["deadline"]  # left to the default
    filed = file_sheet(rt, CONGRESS, record_id, "responsibility_list", listing)
    assert filed.data["deadline"] == f"{chosen_on.year}-12-31"
    assert transition(rt, UNIT, record_id, "start").state == "delivering"


def test_a_progress_report_carries_its_photo(rt, good_suggestion):
    from engine.store.tables import Attachment
    record_id = under_way(rt, good_suggestion, [("前期工作完成", "2025-05-31")])
    photo = b"\xff\xd8\xff\xe0" + b"jpeg" * 100
    filed = file_sheet(rt, UNIT, record_id, "progress_report",
                       {"report_date": "2025-05-20", "percent": 30, "milestone": "前期工作完成", "text": "路基完成。"},
                       uploads={"photo": ("site.jpg", photo)})
    assert filed.data["photo"]["name"] == "site.jpg" and filed.data["photo"]["size"] == len(photo)
    with rt.db.read() as session:
        assert session.get(Attachment, filed.data["photo"]["attachment_id"]).content == photo
    from engine.kernel.errors import InputError
    with pytest.raises(InputError) as info:  # the form's allowed endings are kept
        file_sheet(rt, UNIT, record_id, "progress_report", {"report_date": "2025-05-21", "percent": 31, "text": "x"},
                   uploads={"photo": ("notes.exe", b"MZ")})
    assert list(info.value.problems) == ["photo"]


def test_a_late_milestone_is_flagged_once_and_cleared_by_its_report(rt, good_suggestion):
    record_id = under_way(rt, good_suggestion, [("前期工作完成", "2025-05-31"), ("主体工程完工", "2025-08-31"),
                                                ("路面硬化", "2025-10-31")])
    report(rt, record_id, "2025-05-20", 30, "前期工作完成")  # on time
    first = tick(rt, at("2025-06-02"))
    assert (first.deadlines_fired, first.flags_raised) == (1, 0)  # reached: nothing to flag
    assert open_flags(rt, record_id) == []

    late = tick(rt, at("2025-09-02"))
    assert (late.deadlines_fired, late.flags_raised) == (1, 1)
    assert open_flags(rt, record_id) == [("overdue", "主体工程完工")]
    assert notified(rt, record_id) == ["supervisor"]
    with rt.db.read() as session:
        reason = session.scalar(select(Flag.reason).where(Flag.record_id == record_id))
    assert reason == "里程碑节点“主体工程完工”计划于2025年8月31日完成，到期未报告完成。"
    again = tick(rt, at("2025-09-03"))  # fires once: the deadline is spent
    assert (again.deadlines_fired, again.flags_raised) == (0, 0)
    assert notified(rt, record_id) == ["supervisor"]

    # Re-planned before its date: the old date no longer counts, the new one does.
    file_sheet(rt, UNIT, record_id, "milestone", {"name": "路面硬化", "due": "2025-12-15"})
    replanned = tick(rt, at("2025-11-02"))
    assert (replanned.deadlines_fired, replanned.flags_raised) == (1, 0)

    report(rt, record_id, "2025-09-10", 70, "主体工程完工")  # reached, late: the flag is cleared
    assert open_flags(rt, record_id) == []
    figures = delivery.figures_of(rt, D, record_id, dt.date(2025, 11, 2))
    assert figures == {"milestones": 3, "milestones_behind": 0, "milestones_late": 1, "percent": 70,
                       "follow_ups_open": 0, "follow_up_days_overdue": 0, "days_past_deadline": 0}


def test_sangzhi_escalations(rt, good_suggestion):
    behind = under_way(rt, good_suggestion, [("前期工作完成", "2025-05-31"), ("主体工程完工", "2025-07-31")])
    one = under_way(rt, good_suggestion, [("前期工作完成", "2025-05-31"), ("主体工程完工", "2025-10-31")],
                    title="修建村级文化广场")
    tick(rt, at("2025-08-05"))
    # Sangzhi: two milestones behind puts a project on the watch list and tells the standing committee.
    assert open_flags(rt, behind) == [("overdue", "前期工作完成"), ("overdue", "主体工程完工"), ("watch_list", "")]
    assert notified(rt, behind) == ["supervisor", "supervisor", "standing_committee"]
    assert open_flags(rt, one) == [("overdue", "前期工作完成")]  # one behind: late, not watched
    page = delivery.project_statuses(rt, STANDING, D, watched_only=True)
    assert [s.record.id for s in page.items] == [behind]
    assert page.items[0].flags[-1].reason == "项目有2个里程碑节点逾期未完成，列入人大重点督办。"

    # A follow-up action overdue by 15 days tells the standing committee; at 14 days it does not.
    follow = file_sheet(rt, SUPERVISOR, one, "follow_up", {"action": "补齐施工安全标识", "responsible_unit": "澧源镇人民政府",
                                                           "due": "2025-08-10", "origin": "2025年8月专项督查"})
    assert follow.state == "open"
    tick(rt, at("2025-08-24"))
    assert ("follow_up_overdue", "") not in open_flags(rt, one)
    tick(rt, at("2025-08-25"))
    assert ("follow_up_overdue", "") in open_flags(rt, one)
    assert notified(rt, one)[-1] == "standing_committee"
    tick(rt, at("2025-08-26"))
    assert notified(rt, one).count("standing_committee") == 1  # told once while it holds

    # Closed: the flag is cleared at the next tick; catching up takes a project off the watch list.
    transition(rt, COUNTY_UNIT, follow.id, "report", {"done_on": "2025-08-27", "result": "已补齐标识。"})
    transition(rt, SUPERVISOR, follow.id, "close")
    report(rt, behind, "2025-08-20", 60, "前期工作完成")
    result = tick(rt, at("2025-08-28"))
    assert result.flags_cleared == 2
    assert ("follow_up_overdue", "") not in open_flags(rt, one)
    assert open_flags(rt, behind) == [("overdue", "主体工程完工")]


def test_another_profile_escalates_sooner(profile_dir, db_url, good_suggestion):
    path = profile_dir / "delivery" / "livelihood_delivery.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["escalations"] = [
        {"id": "behind", "label": "滞后项目", "when": "milestones_behind >= 1 or percent < 50 and days_past_deadline > 0",
         "watch_list": True, "reason": "{milestones_behind}个节点滞后。"},
        {"id": "follow_up_week", "label": "督办超期一周", "when": "follow_up_days_overdue > 7", "notify": ["supervisor"],
         "reason": "督办事项逾期{follow_up_days_overdue}天。"}]
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    other = Runtime.open(profile_dir, db_url)
    try:
        project = under_way(other, good_suggestion, [("前期工作完成", "2025-05-31"), ("主体工程完工", "2025-10-31")])
        file_sheet(other, SUPERVISOR, project, "follow_up", {"action": "公示资金使用情况", "responsible_unit": "乡财政所",
                                                             "due": "2025-06-01"})
        tick(other, at("2025-06-08"))  # the follow-up is 7 days overdue: not yet
        assert open_flags(other, project) == [("overdue", "前期工作完成"), ("behind", "")]  # one is enough here
        tick(other, at("2025-06-09"))  # 8 days overdue
        assert open_flags(other, project)[-1] == ("follow_up_week", "")
        assert notified(other, project) == ["supervisor", "supervisor"]
    finally:
        other.db.dispose()


def test_follow_ups_are_tracked_to_closure(rt, good_suggestion):
    project = under_way(rt, good_suggestion, [("完工", "2025-12-01")])
    follow = file_sheet(rt, STANDING, project, "follow_up", {"action": "整改排水沟", "responsible_unit": "澧源镇人民政府",
                                                             "due": "2025-09-30"})
    assert delivery.figures_of(rt, D, project, dt.date(2025, 10, 5))["follow_up_days_overdue"] == 5
    with pytest.raises(TransitionRefused):
        transition(rt, SUPERVISOR, follow.id, "close")  # not reported yet
    with pytest.raises(TransitionRefused) as info:
        transition(rt, DEPUTY, follow.id, "report", {"done_on": "2025-10-01", "result": "已整改"})
    assert info.value.code == "not_allowed"
    transition(rt, UNIT, follow.id, "report", {"done_on": "2025-10-01", "result": "排水沟已整改。"})
    assert transition(rt, SUPERVISOR, follow.id, "reopen").state == "open"  # sent back
    transition(rt, UNIT, follow.id, "report", {"done_on": "2025-10-08", "result": "排水沟已重新整改并验收。"})
    assert transition(rt, SUPERVISOR, follow.id, "close").state == "closed"
    assert delivery.figures_of(rt, D, project, dt.date(2025, 10, 9))["follow_ups_open"] == 0


def test_every_delivery_action_checks_roles_and_townships(rt, good_suggestion):
    project = under_way(rt, good_suggestion, [("完工", "2025-12-01")])
    elsewhere = under_way(rt, good_suggestion, [("完工", "2025-12-01")], township="t02", title="修建便民桥")
    with pytest.raises(PermissionDenied):
        report(rt, elsewhere, "2025-06-01", 10)  # the t01 unit reports on t01's projects only
    for actor, form, values in [
            (SUPERVISOR, "progress_report", {"report_date": "2025-06-01", "percent": 10, "text": "x"}),
            (DEPUTY, "milestone", {"name": "x", "due": "2025-06-01"}),
            (UNIT, "supervision_record", {"kind": "periodic_inspection", "held_on": "2025-06-01",
                                          "participants": "x", "findings": "x"}),
            (UNIT, "follow_up", {"action": "x", "responsible_unit": "x", "due": "2025-06-01"}),
            (SUPERVISOR, "funding_need", {"item": "x", "amount": "1", "department": "x"})]:
        with pytest.raises(PermissionDenied):
            file_sheet(rt, actor, project, form, values)
    with pytest.raises(TransitionRefused) as info:
        transition(rt, SUPERVISOR, project, "complete", {"accepted_on": "2025-12-01", "accepted_by": "x", "summary": "x"})
    assert info.value.code == "not_allowed"
    for call in (lambda a: delivery.project_statuses(rt, a, D), lambda a: delivery.scorecard(rt, a, D),
                 lambda a: delivery.open_flags(rt, a, D),
                 lambda a: list(delivery.responsibility_rows(rt, a, D))):
        for outsider in (DEPUTY, ANONYMOUS):
            with pytest.raises(PermissionDenied):
                call(outsider)
    # A township's unit sees its own township only; the county's staff see every township.
    assert [s.record.id for s in delivery.project_statuses(rt, UNIT, D).items] == [project]
    assert {s.record.id for s in delivery.project_statuses(rt, CONGRESS, D).items} == {project, elsewhere}


def test_dashboard_figures_money_and_scorecard(rt, good_suggestion):
    from engine.features import funds
    finance = Actor("finance", "财政局", frozenset({"finance"}))
    done = under_way(rt, good_suggestion, [("前期工作完成", "2025-05-31"), ("竣工", "2025-09-30")])
    late = under_way(rt, good_suggestion, [("前期工作完成", "2025-05-31"), ("竣工", "2025-09-30")], township="t02",
                     title="修建便民桥")
    file_sheet(rt, UNIT, done, "funding_need", {"item": "路基", "amount": "120000", "department": "乡财政所"})
    file_sheet(rt, UNIT, done, "funding_need", {"item": "路面", "amount": "80000.50", "department": "县交通运输局"})
    file_sheet(rt, UNIT, done, "funding_need", {"item": "路基", "amount": "100000", "department": "乡财政所"})  # replaces
    pool = funds.open_pool(rt, finance, "livelihood_pool", 2025)
    funds.contribute(rt, finance, pool, "county", "6730000", dt.date(2025, 4, 30))
    funds.allocate(rt, finance, pool, done, "180000", dt.date(2025, 4, 30))
    funds.pay(rt, finance, pool, done, "90000", dt.date(2025, 6, 30), "某公司", "首期工程款", "局长", "凭证1")
    report(rt, done, "2025-05-30", 40, "前期工作完成")
    report(rt, done, "2025-09-28", 100, "竣工")
    transition(rt, UNIT, done, "complete", {"accepted_on": "2025-10-10", "accepted_by": "乡政府、村民代表",
                                            "summary": "符合验收标准。"})
    tick(rt, at("2025-10-15"))
    page = delivery.project_statuses(rt, CONGRESS, D, today=dt.date(2025, 10, 15))
    by_id = {s.record.id: s for s in page.items}
    assert (by_id[done].needs, by_id[done].allocated, by_id[done].paid) == (
        Decimal("180000.50"), Decimal("180000"), Decimal("90000"))
    assert by_id[done].record.state == "completed" and by_id[done].figures["percent"] == 100
    assert by_id[late].figures["milestones_behind"] == 2 and by_id[late].watched
    assert by_id[done].unit == "澧源镇人民政府" and by_id[done].deadline == dt.date(2025, 12, 31)
    scores = {s.township: s for s in delivery.scorecard(rt, CONGRESS, D, dt.date(2025, 10, 15))}
    assert (scores["t01"].projects, scores["t01"].completed, scores["t01"].milestones_due, scores["t01"].on_time,
            scores["t01"].on_time_rate) == (1, 1, 2, 2, Decimal("100.0"))
    assert (scores["t02"].behind, scores["t02"].watched, scores["t02"].on_time_rate) == (2, 1, Decimal("0.0"))
    # a year's assessment counts the projects due to be completed that year
    assert len(delivery.scorecard(rt, CONGRESS, D, dt.date(2025, 10, 15), year=2025)) == 2
    assert delivery.scorecard(rt, CONGRESS, D, dt.date(2025, 10, 15), year=2026) == []

    out = io.BytesIO()
    assert delivery_files.scorecard_xlsx(rt, CONGRESS, D, [f"h{i}" for i in range(14)], out, dt.date(2025, 10, 15)) == 2
    rows = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(values_only=True))
    assert rows[1][:6] == ("澧源镇", 1, 1, 2, 2, 100)


def scorecard_from_sheets(rt, today, year=None):
    """The townships' scorecard worked out project by project from the sheets (the reference the
    counted-in-SQL scorecard must agree with)."""
    from engine.features.delivery import TownshipScore
    d = delivery.spec(rt, D)
    with rt.db.read() as session:
        projects = list(session.execute(select(Record.__table__).where(
            Record.form_id == "suggestion", Record.state.in_(d.states + d.done_states)).order_by(Record.id)))
        watched = set(session.scalars(select(Flag.record_id).where(Flag.watch.is_(True), Flag.cleared_at.is_(None))))
        scores = {}
        for record, status in zip(projects, delivery.statuses(rt, session, d, projects, today, SYSTEM)):
            if year is not None and (status.deadline.year if status.deadline else rt.profile.county.year) != year:
                continue
            s = scores.setdefault(record.township, TownshipScore(record.township))
            s.projects += 1
            s.completed += record.state in d.done_states
            s.rated += record.state in d.rated_states
            s.rectifying += record.state in d.rectification_states
            due = [m for m in status.milestones if m.due and m.due < today]
            s.milestones_due += len(due)
            s.on_time += sum(m.on_time for m in due)
            s.behind += status.figures["milestones_behind"]
            s.watched += record.id in watched
            s.open_follow_ups += status.figures["follow_ups_open"]
            s.percent_sum += status.figures["percent"]
    return scores


def test_scorecard_counted_in_sql_agrees_with_the_sheets(rt, good_suggestion):
    """The scorecard counts kept figures in the database; they are rewritten whenever a sheet is
    filed, a project or one of its follow-ups moves, and filled in when missing, so on any day and
    for any year it says what the sheets say."""
    from engine.store.tables import ProjectFigures, ProjectMilestone
    on_time = under_way(rt, good_suggestion, [("前期工作完成", "2025-05-31"), ("竣工", "2025-09-30")])
    late = under_way(rt, good_suggestion, [("前期工作完成", "2025-05-31"), ("竣工", "2025-09-30")], township="t02",
                     title="修建便民桥")
    next_year = under_way(rt, good_suggestion, [("完工", "2026-03-01")], title="新建文化广场")
    file_sheet(rt, CONGRESS, next_year, "responsibility_list", dict(LISTING, deadline="2026-06-30"))  # replaces
    chosen(rt, good_suggestion, title="改造农贸市场")  # no sheets at all yet
    report(rt, on_time, "2025-05-30", 40, "前期工作完成")
    report(rt, late, "2025-07-10", 20, "前期工作完成", unit=COUNTY_UNIT)  # reached, but late
    follow = file_sheet(rt, STANDING, on_time, "follow_up", {"action": "整改排水沟", "responsible_unit": "澧源镇人民政府",
                                                             "due": "2025-09-30"})
    tick(rt, at("2025-10-15"))

    def agree(today, year=None):
        counted = {s.township: s for s in delivery.scorecard(rt, CONGRESS, D, today, year=year)}
        reference = scorecard_from_sheets(rt, today, year)
        assert counted == reference, (today, year)
        d = delivery.spec(rt, D)
        with rt.db.read() as session:  # what the escalation rules see: every figure, project by project
            projects = list(session.execute(select(Record.__table__).where(
                Record.form_id == "suggestion", Record.state.in_(d.states + d.done_states))))
            assert delivery.kept_day_figures(session, d, projects, today) == {
                r.id: s.figures for r, s in zip(projects, delivery.statuses(rt, session, d, projects, today, SYSTEM))}
        return counted

    for day in ("2025-05-30", "2025-06-01", "2025-07-11", "2025-10-01", "2025-12-31"):
        agree(dt.date.fromisoformat(day))
    assert set(agree(dt.date(2025, 10, 15), 2026)) == {"t01"}
    first = agree(dt.date(2025, 10, 15), 2025)
    assert (first["t01"].projects, first["t01"].open_follow_ups, first["t01"].on_time) == (2, 1, 1)
    assert (first["t02"].milestones_due, first["t02"].on_time, first["t02"].behind) == (2, 0, 1)

    # a follow-up's moves rewrite its project's figures in their own transaction
    transition(rt, UNIT, follow.id, "report", {"done_on": "2025-10-01", "result": "排水沟已整改。"})
    transition(rt, SUPERVISOR, follow.id, "close")
    with rt.db.read() as session:
        assert session.scalar(select(ProjectFigures.follow_ups_open).where(ProjectFigures.record_id == on_time)) == 0
    report(rt, on_time, "2025-09-29", 100, "竣工")
    transition(rt, UNIT, on_time, "complete", {"accepted_on": "2025-10-10", "accepted_by": "乡政府、村民代表",
                                               "summary": "符合验收标准。"})
    after = agree(dt.date(2025, 10, 15), 2025)
    assert (after["t01"].completed, after["t01"].open_follow_ups, after["t01"].percent_sum) == (1, 0, 100)

    # a database upgraded with projects but no kept figures: the scorecard fills them in first
    with rt.db.transaction() as session:
        session.execute(ProjectMilestone.__table__.delete())
        session.execute(ProjectFigures.__table__.delete())
    assert agree(dt.date(2025, 10, 15), 2025) == after
    with rt.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProjectFigures)) == 4


def test_responsibility_list_exports_open_and_read_back(rt, good_suggestion, tmp_path):
    project = under_way(rt, good_suggestion, [("前期工作完成", "2025-05-31"), ("竣工验收", "2025-11-30")])
    under_way(rt, good_suggestion, [("竣工", "2025-10-31")], township="t02", title="修建便民桥")
    headings = delivery.responsibility_headings(rt, D, "项目名称", "乡镇", "里程碑节点")
    assert headings == ["项目名称", "乡镇", "督办单位", "实施单位", "牵头领导", "工作专班成员", "前期工作完成时限",
                        "完成时限", "验收标准", "里程碑节点"]
    out = io.BytesIO()
    assert delivery_files.responsibility_xlsx(rt, CONGRESS, D, headings, out) == 2
    rows = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(values_only=True))
    assert rows[0] == tuple(headings)
    first = dict(zip(headings, rows[1]))
    assert first["项目名称"] == "硬化村组道路约2公里" and first["乡镇"] == "澧源镇"
    assert first["牵头领导"] == "王乡长" and first["完成时限"] == "2025-12-31"
    assert first["里程碑节点"] == "前期工作完成 2025-05-31; 竣工验收 2025-11-30"
    # a township's unit exports its own township only
    assert delivery_files.responsibility_xlsx(rt, UNIT, D, headings, io.BytesIO()) == 1

    content = delivery_files.responsibility_pdf(rt, CONGRESS, D, headings, "2025年民生实事项目责任清单")
    path = tmp_path / "list.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for words in ("2025年民生实事项目责任清单", "督办单位", "牵头领导", "王乡长", "修建便民桥", "瑞塔铺镇"):
        assert words in text
    assert project
