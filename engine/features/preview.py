"""Preview a proposed profile on the live data, before anything is saved.

Every decision a decision table made is stored with the record (in its transition's audit row).
Preview runs each of them again under the proposed profile's table, with the values the workflow
gives the table (the record's fields, the action form's, the lists gathered from the sheets that
counted when it was decided, such as the screening group's scores, and the counts of other records
the decision saw), and lists those whose outcome would change, with both reasons. It writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import select

from engine.profile.loader import Profile
from engine.lang.tables import DecisionError
from engine.core.counts import tally
from engine.core.runtime import Runtime
from engine.core.sheets import current_at, gathered_from, sheets_and_moves, workflow_of
from engine.core.workflow import record_values
from engine.store.tables import AuditEntry, Record


@dataclass(frozen=True)
class Change:
    record_id: int
    title: str
    table: str
    before: object
    after: object
    before_reason: object
    after_reason: object
    form_id: str = ""  # the record's form, so a page can name an outcome that is a state by its label

    def __str__(self) -> str:
        return (f"record {self.record_id} «{self.title}»: {self.table}: {self.before} -> {self.after} "
                f"(now: {self.after_reason}; was: {self.before_reason})")


@dataclass
class PreviewReport:
    checked: int = 0
    changes: list[Change] | None = None
    notes: list[str] | None = None


def preview(live: Runtime, proposed: Profile) -> PreviewReport:
    """Decisions stored in `live`'s database, decided again by `proposed`; nothing is written."""
    report = PreviewReport(changes=[], notes=[])
    for entry, record, data_record, gathered_lists in _decisions(live):
        decision = entry.after["decision"]
        rules_id, table_id = decision.get("rules"), decision.get("table")
        rules = proposed.rules_for(rules_id, record.township) if rules_id in proposed.rules else None
        if rules is None or table_id not in rules.tables:
            report.notes.append(f"record {record.id}: table {rules_id}/{table_id} is not in the proposed profile")
            continue
        pinned = live.for_version(record.profile_version)
        values = pinned.profile.county.clock_values(entry.at)  # the day the decision was made
        values.update(record_values(pinned, record.form_id, record.data))
        values.update(gathered_lists)
        if data_record is not None and data_record.form_id in pinned.forms:
            values.update(record_values(pinned, data_record.form_id, data_record.data))
        # counts of other records: as the decision saw them then (they have moved since); a count
        # it did not read is today's
        wf = workflow_of(pinned, record.form_id)
        seen = decision.get("seen") or {}
        values.update({name: seen[name] for name in (wf.counts if wf else {}) if name in seen})
        report.checked += 1
        try:
            again = rules.tables[table_id].decide(values, proposed.version)
        except DecisionError as exc:
            report.notes.append(f"record {record.id}: {exc}")
            continue
        if again.outcome != decision.get("outcome"):
            report.changes.append(Change(record.id, record.title, table_id, decision.get("outcome"), again.outcome,
                                         decision.get("reason"), again.reason, record.form_id))
    return report


def _decisions(rt: Runtime) -> Iterator[tuple[AuditEntry, Record, Record | None, dict[str, list]]]:
    """Each stored decision with its record, the action form it came with, and the record's
    gathered lists (its current sheets read for a page of decisions at once)."""
    last_id = 0
    while True:
        with rt.db.read() as session:
            entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "record.transition",
                                                               AuditEntry.id > last_id)
                                      .order_by(AuditEntry.id).limit(500)).all()
            if not entries:
                return
            found = []
            for entry in entries:
                last_id = entry.id
                if not (entry.after or {}).get("decision") or entry.after.get("followed"):
                    continue  # a merged duplicate moved with its record: that record's decision is checked
                record = session.get(Record, int(entry.entity_id))
                data_id = entry.after.get("data_record")
                found.append((entry, record, session.get(Record, data_id) if data_id else None))
            flows = {r.id: workflow_of(rt.for_version(r.profile_version), r.form_id) for _, r, _ in found
                     if r.form_id in rt.forms}
            sheets, moves = sheets_and_moves(session, {i: wf for i, wf in flows.items() if wf is not None and wf.gather})
            counted = [r for _, r, _ in found if flows.get(r.id) is not None and flows[r.id].counts]
            counts = tally(rt, session, counted) if counted else None
        for entry, record, data_record in found:
            wf = flows.get(record.id)
            lists = {}
            if record.id in sheets:  # the sheets that counted when the decision was made
                current = current_at(sheets[record.id], wf, moves.get(record.id, []), entry.at)
                lists = gathered_from(rt.for_version(record.profile_version), wf, current)
            if counts is not None and wf is not None and wf.counts:
                lists = {**counts.values(wf, record), **lists}
            yield entry, record, data_record, lists
