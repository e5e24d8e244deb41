"""Quotas across records: a workflow's `counts` read by conditions, e.g. at most five candidates a
township; the sixth is refused with the rule's words, one at a time and in a bulk run alike."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from engine.core import records
from engine.core.actors import ANONYMOUS, SYSTEM
from engine.core.runtime import Runtime
from engine.core.workflow import TransitionRefused, transition
from engine.kernel.errors import ConfigError
from engine.profile.loader import load_profile
from engine.store.tables import AuditEntry, Record


def quota_profile(folder, config):
    (folder / "workflows").mkdir(parents=True)
    (folder / "profile.yaml").write_text(f"extends: {config}\n", encoding="utf-8")
    # Sangzhi's `reconsider` moves a pending suggestion back to screening; here at most five of a
    # township may be back at once (a quota on an action without a decision table)
    (folder / "workflows" / "suggestion.yaml").write_text("""\
counts:
  township_back: {states: [received], per: township}
  township_reserve: {states: [reserve], per: township}
""", encoding="utf-8")
    return folder


@pytest.fixture
def qrt(tmp_path, db_url):
    from tests.conftest import CONFIG
    base = load_profile(CONFIG).workflows["suggestion"]
    index = next(i for i, t in enumerate(base.transitions) if t.action == "reconsider")
    folder = quota_profile(tmp_path / "quota", CONFIG)
    text = (folder / "workflows" / "suggestion.yaml").read_text(encoding="utf-8")
    # the transitions have no ids: the reconsider transition is written whole, with the quota added
    transitions = [t.model_dump(by_alias=True, exclude_defaults=True) for t in base.transitions]
    transitions[index]["when"] = "township_back < 5"
    back = next(i for i, t in enumerate(base.transitions) if t.action == "back_to_reserve")
    transitions[back]["when"] = "township_reserve < 5"  # an action without a form: taken in bulk too
    import yaml
    (folder / "workflows" / "suggestion.yaml").write_text(
        text + yaml.safe_dump({"transitions": [{"$replace": True}] + transitions}, allow_unicode=True, sort_keys=False),
        encoding="utf-8")
    runtime = Runtime.open(folder, db_url)
    yield runtime
    runtime.db.dispose()


def pending(rt, good, n, township="t02"):
    ids = [records.submit(rt, ANONYMOUS, "suggestion", dict(good, township=township)).id for _ in range(n)]
    with rt.db.transaction() as session:
        session.execute(update(Record).where(Record.id.in_(ids)).values(state="pending"))
    return ids


CHANGED = {"changed_on": "2025-09-01", "what_changed": "省里下达了农村公路专项资金"}


def test_a_quota_refuses_the_sixth_of_a_township(qrt, good_suggestion):
    ids = pending(qrt, good_suggestion, 6)
    other = pending(qrt, good_suggestion, 1, township="t05")
    for record_id in ids[:5]:
        assert transition(qrt, SYSTEM, record_id, "reconsider", CHANGED).state == "received"
    with pytest.raises(TransitionRefused) as info:
        transition(qrt, SYSTEM, ids[5], "reconsider", CHANGED)
    assert info.value.code == "condition_false"
    assert transition(qrt, SYSTEM, other[0], "reconsider", CHANGED).state == "received"  # another township's own count


def test_a_quota_holds_within_one_bulk_batch(qrt, good_suggestion):
    """Seven candidates of one township sent back to the reserve pool in one bulk run: the counts
    follow each planned move, so five go and two are refused, not seven."""
    from engine.core.bulk import bulk_action
    ids = pending(qrt, good_suggestion, 7)
    with qrt.db.transaction() as session:
        session.execute(update(Record).where(Record.id.in_(ids)).values(state="candidate"))
    report = bulk_action(qrt, SYSTEM, "suggestion", "back_to_reserve", township="t02")
    assert dict(report.moved) == {"reserve": 5}
    assert sum(report.refused.values()) == 2


def test_a_count_of_an_unknown_state_is_a_config_error(tmp_path):
    from tests.conftest import CONFIG
    folder = quota_profile(tmp_path / "bad", CONFIG)
    (folder / "workflows" / "suggestion.yaml").write_text("counts:\n  township_back: {states: [recieved]}\n",
                                                          encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_profile(folder)
    assert [str(p) for p in info.value.problems] == [
        f"{folder}/workflows/suggestion.yaml:2: At Workflow(id='suggestion') -> counts -> township_back -> states: "
        f"unknown state 'recieved' (did you mean 'received'?) (merged with {CONFIG}/workflows/suggestion.yaml)"]


def sum_profile(folder):
    """Sangzhi with an estimated cost on suggestions and two actions held to a township's total:
    `reconsider` (the costs of the suggestions already back at screening, plus this one's) and
    `back_to_reserve` (likewise for the reserve pool, an action taken in bulk)."""
    from tests.conftest import CONFIG
    import yaml
    (folder / "forms").mkdir(parents=True)
    (folder / "forms" / "suggestion.yaml").write_text(
        "fields:\n  - id: estimated_cost\n    label: 估算金额\n    type: money\n    required: false\n", encoding="utf-8")
    quota_profile(folder, CONFIG)
    base = load_profile(CONFIG).workflows["suggestion"]
    transitions = [t.model_dump(by_alias=True, exclude_defaults=True) for t in base.transitions]
    whens = {"reconsider": "township_cost + estimated_cost <= 1000000.10",
             "back_to_reserve": "reserve_cost + estimated_cost <= 1000000"}
    for i, t in enumerate(base.transitions):
        if t.action in whens:
            transitions[i]["when"] = whens[t.action]
    (folder / "workflows" / "suggestion.yaml").write_text(yaml.safe_dump({
        "counts": {"township_cost": {"states": ["received"], "sum": "estimated_cost"},
                   "reserve_cost": {"states": ["reserve"], "sum": "estimated_cost"},
                   "township_people": {"states": ["received"], "sum": "beneficiaries"}},
        "transitions": [{"$replace": True}] + transitions}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture
def srt(tmp_path, db_url):
    runtime = Runtime.open(sum_profile(tmp_path / "sums"), db_url)
    yield runtime
    runtime.db.dispose()


def test_a_sum_across_records_holds_a_townships_total_to_the_fen(srt, good_suggestion):
    costs = ["300000.05", "300000.05", "400000.00", "0.01"]
    ids = [pending(srt, dict(good_suggestion, estimated_cost=cost), 1)[0] for cost in costs]
    other = pending(srt, dict(good_suggestion, estimated_cost="900000"), 1, township="t05")
    for record_id in ids[:3]:  # 1,000,000.10 in all: exactly the total allowed
        assert transition(srt, SYSTEM, record_id, "reconsider", CHANGED).state == "received"
    with pytest.raises(TransitionRefused) as info:  # one fen over
        transition(srt, SYSTEM, ids[3], "reconsider", CHANGED)
    assert info.value.code == "condition_false"
    assert transition(srt, SYSTEM, other[0], "reconsider", CHANGED).state == "received"  # another township's total
    from engine.core.counts import tally
    with srt.db.read() as session:
        row = session.get(Record, ids[3])
        values = tally(srt, session, [row]).values(srt.profile.workflows["suggestion"], row)
    assert values == {"township_cost": Decimal("1000000.10"), "reserve_cost": 0,
                      "township_people": 1260}  # 3 × 420 people


def test_a_sum_follows_each_planned_move_of_a_bulk_batch(srt, good_suggestion):
    """Five candidates of 300,000 yuan sent back to the reserve pool in one bulk run, at most a
    million a township: three go, two are refused, whatever the batch."""
    from engine.core.bulk import bulk_action
    ids = [pending(srt, dict(good_suggestion, estimated_cost="300000"), 1)[0] for _ in range(5)]
    with srt.db.transaction() as session:
        session.execute(update(Record).where(Record.id.in_(ids)).values(state="candidate"))
    report = bulk_action(srt, SYSTEM, "suggestion", "back_to_reserve", township="t02")
    assert dict(report.moved) == {"reserve": 3}
    assert sum(report.refused.values()) == 2


@pytest.mark.parametrize("counts, message", [
    ("{states: [received], sum: beneficiary}",
     "form 'suggestion' has no number or money field 'beneficiary' (did you mean 'beneficiaries'?)"),
    ("{states: [received], sum: title}", "form 'suggestion' has no number or money field 'title'"),
])
def test_a_sum_of_a_field_that_is_not_a_number_is_a_config_error(tmp_path, counts, message):
    from tests.conftest import CONFIG
    folder = quota_profile(tmp_path / "bad", CONFIG)
    (folder / "workflows" / "suggestion.yaml").write_text(f"counts:\n  township_people: {counts}\n",
                                                          encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_profile(folder)
    assert [str(p) for p in info.value.problems] == [
        f"{folder}/workflows/suggestion.yaml:2: At Workflow(id='suggestion') -> counts -> township_people -> sum: "
        f"{message} (merged with {CONFIG}/workflows/suggestion.yaml)"]


def _prereview_quota(folder, most: int):
    """Sangzhi with a township's candidates counted, and pre-review passing a project only while
    its township has fewer than `most` candidates."""
    from tests.conftest import overlay
    return overlay(folder, {
        "workflows/suggestion.yaml": "counts:\n  township_candidates: {states: [candidate], per: township}\n",
        "rules/prereview.yaml": "inputs:\n  township_candidates: number\ntables:\n- id: prereview\n  rows:\n"
                                "  - id: passed\n    when:\n    - decision == 'approve'\n    - estimated_cost > 0\n"
                                f"    - township_candidates < {most}\n"})


def test_preview_decides_again_with_the_counts_each_decision_saw(tmp_path, db_url):
    """The counts have moved since the decisions were made (every project is past pre-review now):
    preview reads what each decision saw, so the unchanged profile changes nothing, and a
    tighter quota changes exactly the projects whose township had that many candidates then."""
    from demo.seed import seed_demo
    from engine.features.preview import preview
    rt = Runtime.open(_prereview_quota(tmp_path / "quota", 50), db_url)
    try:
        seed_demo(rt)
        same = preview(rt, rt.profile)
        assert same.checked > 50 and same.changes == [] and same.notes == []
        seen = {}  # each passed project: its township's candidates when it was pre-reviewed
        with rt.db.read() as session:
            for entry in session.scalars(select(AuditEntry).where(AuditEntry.action == "record.transition")):
                decision = (entry.after or {}).get("decision") or {}
                if (decision.get("table"), decision.get("outcome")) == ("prereview", "passed") \
                        and not entry.after.get("followed"):
                    seen[int(entry.entity_id)] = decision["seen"]["township_candidates"]
        assert seen and max(seen.values()) >= 1 and min(seen.values()) == 0
        tighter = preview(rt, load_profile(_prereview_quota(tmp_path / "tighter", 1)))
        assert sorted(c.record_id for c in tighter.changes) == sorted(r for r, n in seen.items() if n >= 1)
        assert {(c.before, c.after) for c in tighter.changes} == {("passed", "incomplete")}
    finally:
        rt.db.dispose()
