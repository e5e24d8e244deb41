"""Profile versions: a record keeps the version it started under until it is migrated on purpose.

Every version that wrote anything is stored in the database with the text of its files, so an
older version can be loaded again after the files on disk have changed. An administrator's edit
applies to new records at once, and to running records only through `minsheng migrate`, which
moves them to the current version one by one, with an audit row each.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, update

from engine.store.audit import audit
from engine.profile.loader import load_profile
from engine.kernel.errors import NotFound
from engine.store.tables import ProfileVersion, Record

_CACHE_ROOT = Path(tempfile.gettempdir()) / "minsheng-versions"


def load_version(db, version: str):
    """The Profile of a stored version (its files written to a cache folder, then loaded)."""
    folder = _CACHE_ROOT / version
    if not (folder / "county.yaml").is_file():
        with db.read() as session:
            stored = session.get(ProfileVersion, version)
            if stored is None:
                raise NotFound(f"profile version {version}")
            files = dict(stored.files)
        staging = Path(tempfile.mkdtemp(prefix=f"{version}-", dir=_mkdir(_CACHE_ROOT)))
        for rel, text in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            staging.rename(folder)  # atomic: another process may have written the same version
        except OSError:
            pass
    return load_profile(folder, version)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class MigrationReport:
    moved: int = 0
    skipped: list[str] = field(default_factory=list)


def migrate_records(rt, form_id: str, actor_name: str = "system", dry_run: bool = False) -> MigrationReport:
    """Move a form's running records to the current profile version, audited one by one.

    A record whose state the current workflow no longer has is left where it is and reported.
    """
    report = MigrationReport()
    form = rt.profile.forms.get(form_id)
    if form is None:
        raise NotFound(f"form {form_id}")
    workflow = rt.profile.workflows.get(form.workflow) if form.workflow else None
    states = {s.id for s in workflow.states} if workflow else None
    last_id = 0
    while True:
        with rt.db.read() as session:
            rows = session.execute(select(Record.id, Record.state, Record.profile_version).where(
                Record.form_id == form_id, Record.profile_version != rt.version, Record.id > last_id)
                .order_by(Record.id).limit(500)).all()
        if not rows:
            return report
        for record_id, state, version in rows:
            last_id = record_id
            pinned = rt.for_version(version)
            old_workflow = pinned.profile.workflows.get(pinned.profile.forms[form_id].workflow or "") \
                if form_id in pinned.profile.forms else None
            old_state = old_workflow.state(state) if old_workflow and state else None
            if old_state is not None and old_state.frozen:
                report.skipped.append(f"record {record_id}: state '{state}' is frozen (its rules stay as they were)")
                continue
            if states is not None and state is not None and state not in states:
                report.skipped.append(f"record {record_id}: state '{state}' is not in the current workflow")
                continue
            if dry_run:
                report.moved += 1
                continue
            with rt.db.transaction() as session:
                current = rt.ensure_version(session)
                moved = session.execute(update(Record).where(Record.id == record_id, Record.profile_version == version)
                                        .values(profile_version=current))
                if moved.rowcount == 1:
                    audit(session, actor=actor_name, action="record.migrate", entity="record", entity_id=record_id,
                          before={"version": version}, after={"version": current}, version=current)
                    report.moved += 1


def pinned_summary(rt) -> list[str]:
    """Plain sentences on records that follow an older profile version (for check and start-up)."""
    lines = []
    with rt.db.read() as session:
        rows = session.execute(select(Record.form_id, Record.state, Record.profile_version, func.count())
                               .where(Record.profile_version != rt.version)
                               .group_by(Record.form_id, Record.state, Record.profile_version)).all()
    for form_id, state, version, count in rows:
        try:
            pinned = rt.for_version(version)
        except Exception:  # a version whose files no longer load: say so, do not fail
            lines.append(f"{count} {form_id} record(s) follow version {version}, which no longer loads")
            continue
        form = pinned.profile.forms.get(form_id)
        workflow = pinned.profile.workflows.get(form.workflow) if form and form.workflow else None
        found = workflow.state(state) if workflow and state else None
        if found is not None and found.frozen:
            lines.append(f"{count} {form_id} record(s) in state '{state}' are frozen under version {version}: "
                         f"your edits do not apply to them")
        elif found is None or not found.final:
            lines.append(f"{count} {form_id} record(s) in state '{state}' still follow version {version}; "
                         f"`minsheng migrate {form_id}` moves them to this one")
    return lines
