"""Publishing a profile from the app: a draft checked, previewed and written as a new version.

The files on disk stay the source of truth. A draft is the profile folder with some of its own
files replaced; it is checked by loading it exactly as `minsheng check` does, from a staging
copy next to the folder (so `extends: ../config` still reaches its base). Publishing writes the
draft's files into the folder, stores the new version and one audit row with who, when, the
required note, the changes in words and the folder's own files before and after, all in one
transaction: if the database refuses, the files are put back; if the process dies before the
row is committed, the next start puts them back (engine.core.profile_journal). The audit rows are the version
history; returning to an earlier version publishes that version's files again, with its own note.

Features may refuse a publication through the `publish_guards` hook (voting: the rules of a vote
whose ballot is open stay as they are until it is counted).
"""
from __future__ import annotations

import datetime as dt
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from sqlalchemy import select

from engine.core import profile_journal
from engine.core.actors import Actor, require
from engine.core.profile_journal import PUBLISH
from engine.core.events import publish_guards
from engine.core.runtime import Runtime
from engine.kernel.errors import ConfigError, ConfigProblem, MinshengError
from engine.profile.loader import Profile, disk_version, load_profile
from engine.profile.overview import differences
from engine.store.audit import audit
from engine.store.tables import AuditEntry

NOTE_MAX = 2000


class PublishRefused(MinshengError):
    """A publication the engine will not make; the apps word `code` with `params`."""

    words = "publish."  # where the apps keep the words for each code

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(f"{code}: {params}")


@dataclass(frozen=True)
class Publication:
    """One entry of the version history."""

    entry_id: int
    at: dt.datetime
    actor: str
    note: str
    before: str  # the version it replaced
    after: str  # the version it published
    changes: tuple[str, ...]  # the policy differences in the files' words (engine.profile.overview)
    restored_from: str | None  # set when it returned to an earlier version


def own_files(root: Path) -> dict[str, str]:
    """The text of every YAML file the folder holds itself (not those it inherits), by relative path."""
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.yaml"))}


def changed_files(root: Path, edits: Mapping[str, str | None]) -> dict[str, str | None]:
    """The edits that change something: a new text, or None for a file to remove."""
    current = own_files(root)
    return {rel: text for rel, text in edits.items() if current.get(rel) != text}


@contextmanager
def staged(root: Path, edits: Mapping[str, str | None]) -> Iterator[Path]:
    """A copy of the folder with the edits applied, next to it (relative `extends:` paths still
    hold), removed afterwards."""
    root = Path(root)
    staging = root.parent / f".{root.name}.draft-{uuid.uuid4().hex[:8]}"
    shutil.copytree(root, staging, ignore=shutil.ignore_patterns(".*"))
    try:
        for rel, text in edits.items():
            target = _inside(staging, rel)
            if text is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_draft(root: Path, edits: Mapping[str, str | None]) -> Profile:
    """The profile the draft would be, or ConfigError with `minsheng check`'s messages, naming the
    folder's own files (not the staging copy)."""
    with staged(root, edits) as staging:
        try:
            return load_profile(staging)
        except ConfigError as exc:
            raise ConfigError([_renamed(p, staging, Path(root)) for p in exc.problems]) from None


def draft_problems(root: Path, edits: Mapping[str, str | None]) -> list[ConfigProblem]:
    """What `minsheng check` would say about the draft (nothing when it loads)."""
    try:
        load_draft(root, edits)
    except ConfigError as exc:
        return exc.problems
    return []


def publish(rt: Runtime, actor: Actor, root: Path, edits: Mapping[str, str | None], note: str,
            base_version: str, restored_from: str | None = None) -> Publication:
    """Write the draft into the folder as a new profile version, audited; refused when the note is
    empty, nothing changes, the folder changed since the draft was made from `base_version`, the
    draft does not load, or a feature's guard refuses it."""
    require(actor, rt.profile.roles_for("edit_profile"), "edit_profile")
    root = Path(root)
    note = (note or "").strip()
    if not note:
        raise PublishRefused("note_required")
    if len(note) > NOTE_MAX:
        raise PublishRefused("note_too_long", most=NOTE_MAX)
    _refuse_if_stale(root, base_version)
    changes = changed_files(root, edits)
    if not changes:
        raise PublishRefused("unchanged")
    proposed = load_draft(root, changes)  # ConfigError: the same messages as `minsheng check`
    with staged(root, changes) as staging:
        words = tuple(differences(root, staging))
    with rt.db.transaction() as session:
        # one publication at a time, in every process: the second finds the folder changed
        rt.db.hold(session, PUBLISH)
        _refuse_if_stale(root, base_version)
        before_files = own_files(root)
        for code, params in (refusal for guard in publish_guards for refusal in guard(rt, session, proposed)):
            raise PublishRefused(code, **params)
        for rel in changes:
            _inside(root, rel)  # every name checked before anything is written
        # the files as they are, recorded before one changes: a start after a crash puts them back
        journal_id = profile_journal.begin(root, {rel: before_files.get(rel) for rel in changes}, rt.version)
        written = profile_journal.replace_files(root, changes)
        try:
            published = Runtime(load_profile(root), rt.db)
            published.ensure_version(session)
            audit(session, actor=actor.username, action=PUBLISH, entity="profile", entity_id=published.version,
                  before={"version": rt.version, "files": before_files},
                  after={"version": published.version, "files": own_files(root), "note": note,
                         "changes": list(words), "restored_from": restored_from, "journal": journal_id},
                  version=published.version)
            session.flush()
        except BaseException:
            profile_journal.replace_files(root, written)  # put the files back: the version was not stored
            profile_journal.end(root)
            raise
    profile_journal.end(root)  # committed: the journal has done its work
    return history(rt, limit=1)[0]


def _refuse_if_stale(root: Path, base_version: str) -> None:
    """Refused when the folder changed since the draft was made from `base_version`."""
    now_on_disk = disk_version(root)
    if now_on_disk != base_version:
        raise PublishRefused("stale", base=base_version, current=now_on_disk)


def history(rt: Runtime, limit: int = 50) -> list[Publication]:
    """The profile's publications, latest first."""
    with rt.db.read() as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.action == PUBLISH)
                               .order_by(AuditEntry.id.desc()).limit(limit)).scalars().all()
        return [Publication(entry_id=row.id, at=row.at, actor=row.actor, note=row.after.get("note", ""),
                            before=row.before.get("version"), after=row.after.get("version"),
                            changes=tuple(row.after.get("changes") or ()),
                            restored_from=row.after.get("restored_from")) for row in rows]


def files_of_version(rt: Runtime, version: str) -> dict[str, str] | None:
    """The folder's own files as they were at a version a publication replaced or published."""
    with rt.db.read() as session:
        for row in session.execute(select(AuditEntry).where(AuditEntry.action == PUBLISH)
                                   .order_by(AuditEntry.id.desc())).scalars():
            if row.after.get("version") == version:
                return dict(row.after["files"])
            if row.before.get("version") == version:
                return dict(row.before["files"])
    return None


def restore(rt: Runtime, actor: Actor, root: Path, version: str, note: str, base_version: str) -> Publication:
    """Publish an earlier version's files again (files it did not have are removed)."""
    files = files_of_version(rt, version)
    if files is None:
        raise PublishRefused("unknown_version", version=version)
    edits: dict[str, str | None] = {rel: None for rel in own_files(Path(root)) if rel not in files}
    edits.update(files)
    return publish(rt, actor, root, edits, note, base_version, restored_from=version)


def _inside(root: Path, rel: str) -> Path:
    """A profile file's path; a name reaching outside the folder is refused."""
    target = (root / rel).resolve()
    if root.resolve() not in target.parents or target.suffix != ".yaml":
        raise PublishRefused("bad_file_name", file=rel)
    return target


def _renamed(problem: ConfigProblem, staging: Path, root: Path) -> ConfigProblem:
    return ConfigProblem(problem.file.replace(str(staging), str(root)), problem.line, problem.crumbs,
                         problem.message.replace(str(staging), str(root)))
