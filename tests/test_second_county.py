"""A second county, configured in YAML only (examples/qingshan): its whole demo year runs from
intake to closed rectification, and every stage follows its own rules, not Sangzhi's."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.core.runtime import Runtime
from engine.core.actors import SYSTEM
from demo.seed import seed_demo
from engine.core.workflow import last_decision
from engine.store.tables import FundEntry, Record, RecordLink, VoteRound
from tests.conftest import ROOT

QINGSHAN = ROOT / "examples" / "qingshan"


@pytest.fixture
def qrt(db_url):
    runtime = Runtime.open(QINGSHAN, db_url)
    yield runtime
    runtime.db.dispose()


def test_the_second_county_runs_its_year_by_its_own_rules(qrt, tmp_path):
    lines = seed_demo(qrt)
    text = "\n".join(lines)
    assert "screening: 38 screened" in text and "16 projects chosen" in text
    with qrt.db.read() as session:
        suggestions = session.execute(select(Record.id, Record.state).where(Record.form_id == "suggestion")).all()
        merged = set(session.scalars(select(RecordLink.record_id).where(RecordLink.field_id == "merged_into")))
        rounds = session.scalars(select(VoteRound).where(VoteRound.kind == "first")).all()
        sources = set(session.scalars(select(FundEntry.source).where(FundEntry.kind == "contribution")))
        ordered = set(session.scalars(select(RecordLink.target_id).join(Record, Record.id == RecordLink.record_id)
                                      .where(Record.form_id == "rectification_order")))
    states = {r: s for r, s in suggestions if r not in merged}
    reasons = {r: (last_decision(qrt, r) or {}).get("reason", "") for r in states}
    # screening: a weighted score, a veto and a negative list, not Sangzhi's trimmed means
    assert any("加权得分" in reasons[r] for r, s in states.items() if s == "pending")
    assert all("合计" not in reason for reason in reasons.values())
    # the ballot: yes/no per candidate, a majority of the deputies present, 1.2 candidates per place
    assert len(rounds) == 8
    for r in rounds:
        lines = r.result["lines"]
        assert all("出席代表" in line["reason"] for line in lines) and r.result["base"] == r.present
        assert len(lines) >= Decimal("1.2") * r.places
    # the pool: 2.4 million, township matching funds within their range
    assert sources == {"county", "township_match"}
    # evaluation: three tiers over all 15 members; the unsatisfied rectified, one rated again
    evaluated = [r for r, s in states.items() if s == "evaluated"]
    assert evaluated and all(("满意" in reasons[r] and "全体代表 15 人" in reasons[r]) for r in evaluated)
    assert len(ordered) == 2 and sum(states[r] == "evaluated" for r in ordered) == 1
    still = [r for r in ordered if states[r] != "evaluated"]
    assert len(still) == 1 and "不满意" in reasons[still[0]]
    # the county's own report
    from apps.i18n import report_words
    from engine.output import reports
    title, _, tables = reports.build(qrt, SYSTEM, "annual_report", 2025, report_words())
    assert title.startswith("青山县2025年") and tables[3].rows[-1][4] == 16
    # preview on the unchanged profile changes no stored decision (issue 16), here as in Sangzhi
    from engine.features.preview import preview
    same = preview(qrt, qrt.profile)
    assert same.checked > 80 and same.changes == [] and same.notes == []


def test_the_second_county_is_an_overlay_of_the_first():
    """examples/qingshan holds only what differs from config/ (profile.yaml: extends), a third of
    the 1,968 lines the fork had, and every one of its files still says something of its own."""
    from engine.profile.overview import differences
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in QINGSHAN.rglob("*.yaml"))
    assert lines <= 1968 // 3
    assert (QINGSHAN / "profile.yaml").read_text(encoding="utf-8").startswith("extends: ../../config")
    changed = {line.split(":")[0] for line in differences(ROOT / "config", QINGSHAN)}
    assert changed == {p.relative_to(QINGSHAN).as_posix() for p in QINGSHAN.rglob("*.yaml")} - {"profile.yaml"}
