"""The demo year reproduces the source's intake figures, from the profile alone."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.services import sheets
from engine.services.actors import SYSTEM
from engine.services.demo import seed_demo
from engine.store.tables import Record, RecordLink, User


def test_demo_year(rt):
    lines = seed_demo(rt)
    demo = rt.profile.demo
    with rt.db.read() as session:
        def n(*where):
            return session.scalar(select(func.count()).select_from(Record).where(*where))
        assert n(Record.form_id == "offline_session") == demo.offline_sessions == 68
        assert n(Record.form_id == "suggestion") == demo.suggestions == 84
        townships = session.scalars(select(Record.township).where(Record.form_id == "suggestion").distinct()).all()
        assert len(townships) == len(rt.profile.county.townships) == 23
        stations = session.scalars(select(Record.station).where(Record.form_id == "offline_session").distinct()).all()
        assert len(stations) == len(rt.profile.county.stations) == 24
        # suggestions raised at a session are linked to it
        linked = session.scalar(select(func.count()).select_from(RecordLink).where(RecordLink.field_id == "session"))
        offline = n(Record.form_id == "suggestion", Record.channel.in_(["courtyard_talk", "neighbour_talk"]))
        assert linked == offline > 0
        assert session.scalar(select(func.count()).select_from(User)) == len(demo.accounts)

        # Stages 2-4, decided by the profile's own rules: 42 of the 80 distinct suggestions admitted
        # (4 more merged into them as duplicates), 38 answered with reasons, every admitted one reviewed.
        merged = select(RecordLink.record_id).where(RecordLink.field_id == "merged_into")
        distinct = [Record.form_id == "suggestion", Record.id.not_in(merged)]
        assert n(*distinct) == 80
        assert n(*distinct, Record.state == "candidate") == 42
        assert n(Record.form_id == "suggestion", Record.id.in_(merged), Record.state == "candidate") == 4
        not_admitted = n(*distinct, Record.state.in_(["pending", "rejected"]))
        assert not_admitted == 38
        answers = select(func.count(func.distinct(RecordLink.target_id))).join(
            Record, Record.id == RecordLink.record_id).where(Record.form_id == "answer")
        assert session.scalar(answers) == 38
        reserve_townships = session.scalars(select(Record.township).where(*distinct, Record.state == "candidate")
                                            .distinct()).all()
        assert len(reserve_townships) >= 18  # spread over the county, not one township's list
    assert sheets.awaiting(rt, SYSTEM, "suggestion", "answer").total == 0
    assert lines[0].startswith(f"accounts: {len(demo.accounts)} created")
    assert "screening: 80 screened" in "\n".join(lines)
    # a second run adds nothing
    assert seed_demo(rt)[-1].startswith("demo records already present")


def test_demo_is_deterministic(tmp_path):
    from engine.runtime import Runtime
    from tests.conftest import CONFIG
    titles = []
    for name in ("a", "b"):
        rt = Runtime.open(CONFIG, f"sqlite:///{tmp_path / name}.db")
        seed_demo(rt)
        with rt.db.read() as session:
            titles.append(session.execute(select(Record.title, Record.township, Record.channel).order_by(Record.id)).all())
        rt.db.dispose()
    assert titles[0] == titles[1]
