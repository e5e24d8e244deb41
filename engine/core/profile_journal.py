"""A publication's journal: what the profile's files were before a publish began to change them.

Publishing writes files on disk and a row in the database; no transaction spans both. So a
publish first writes this journal (the files it will replace, as they were) next to the files,
then replaces the files one by one (each whole, by renaming a finished copy over it), then
commits its audit row naming the journal, then removes the journal. Killed anywhere in between,
the next start (`Runtime.open`: the app, the command line, `tick`) finds the journal: if the
audit row was committed the publication happened and the journal is just removed; if not, the
files are put back as they were and an audit row says the interrupted publication was undone.
So the app never starts on files no publication recorded.
"""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Mapping

from sqlalchemy import select

from engine.store.audit import audit
from engine.store.db import Database
from engine.store.tables import AuditEntry

PUBLISH = "profile.publish"  # the audit action of a publication, read back as the history
UNDONE = "profile.publish_undone"  # a publication interrupted before its row, its files put back
JOURNAL = ".publish-journal.json"  # in the profile folder; a dot file is no profile file


def journal_path(root: Path) -> Path:
    return Path(root) / JOURNAL


def write_atomically(target: Path, text: str) -> None:
    """The file replaced whole: a finished, flushed copy renamed over it (never half written)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)


def replace_files(root: Path, files: Mapping[str, str | None]) -> dict[str, str | None]:
    """Write (or remove, for None) the folder's files by relative path, each whole at once;
    returns what they were."""
    before: dict[str, str | None] = {}
    for rel, text in files.items():
        target = Path(root) / rel
        before[rel] = target.read_text(encoding="utf-8") if target.is_file() else None
        if text is None:
            target.unlink(missing_ok=True)
        else:
            write_atomically(target, text)
    return before


def begin(root: Path, before: Mapping[str, str | None], version: str) -> str:
    """Record, before any file changes, what the files to be replaced are now; returns its id."""
    journal_id = uuid.uuid4().hex
    write_atomically(journal_path(root), json.dumps({"id": journal_id, "version": version, "before": dict(before)},
                                                    ensure_ascii=False))
    return journal_id


def end(root: Path) -> None:
    journal_path(root).unlink(missing_ok=True)


def recover(root: Path, db: Database) -> str | None:
    """Finish what an interrupted publication left (see the module's text): None when there was
    nothing, "published" when its row was committed, "undone" when its files were put back."""
    path = journal_path(root)
    try:
        if not path.is_file():
            return None
    except OSError:  # a folder name the file system cannot hold: loading the profile says so
        return None
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
        journal_id, before = journal["id"], dict(journal["before"])
    except (OSError, ValueError, KeyError, TypeError):  # killed while writing the journal: no file was changed yet
        end(root)
        return None
    with db.transaction() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == PUBLISH)
                               .order_by(AuditEntry.id.desc()).limit(20)).all()
        if any((row.after or {}).get("journal") == journal_id for row in rows):
            outcome = "published"
        else:
            replace_files(root, before)
            audit(session, actor="system", action=UNDONE, entity="profile", entity_id=journal.get("version") or "",
                  before=None, after={"journal": journal_id, "files": sorted(before)}, version=None)
            outcome = "undone"
    end(root)
    return outcome
