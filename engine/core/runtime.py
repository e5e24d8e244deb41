"""A running profile: the loaded config, its forms compiled once, and the database."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from engine.schema.forms import REFERENCE_TARGETS, Form
from engine.profile.checks.forms import form_check_key
from engine.profile.loader import Profile, load_profile
from engine.kernel.errors import NotFound
from engine.forms.compiled import CompiledForm
from engine.core import profile_journal
from engine.core.rules_host import register
from engine.store.db import Database
from engine.store.migrate import upgrade
from engine.store.audit import now
from engine.store.tables import ProfileVersion
from engine.store.upsert import insert_ignoring
from engine.core.versions import load_version


class Runtime:
    def __init__(self, profile: Profile, db: Database | None):
        self.profile = profile
        self.db = db
        choices: dict[str, dict[str, str]] = {}
        for target in REFERENCE_TARGETS:
            lookup = choices[target] = {}
            for id_, label, label_en in profile.reference_choices(target):
                lookup.update({label: id_, **({label_en: id_} if label_en else {})})
            for id_, _, _ in profile.reference_choices(target):
                lookup[id_] = id_  # an id always means itself, even if it is some label too
        by_township: dict[str, list[str]] = {t.id: [] for t in profile.county.townships}
        for s in profile.county.stations:
            by_township[s.township].append(s.id)
        self.forms = {fid: CompiledForm(form, choices, by_township,
                                        [profile.conditions[form_check_key(fid, i)] for i in range(len(form.checks))])
                      for fid, form in profile.forms.items()}
        self._stations_by_township = by_township
        self._versions: dict[str, Runtime] = {profile.version: self}
        self._reaction_sets: dict[str, object] = {}
        self._gather_plans: dict[str, tuple] = {}
        self._labels = {t: {c[0]: (c[1], c[2]) for c in profile.reference_choices(t)}
                        for t in REFERENCE_TARGETS}

    @classmethod
    def open(cls, config_dir: str | Path = "config", database_url: str | None = None, migrate: bool = True) -> "Runtime":
        db = Database(database_url)
        if migrate:
            upgrade(db.engine)
        # a publication killed between its files and its audit row is finished or undone first
        profile_journal.recover(Path(config_dir), db)
        return cls(load_profile(config_dir), db)

    @classmethod
    def offline(cls, config_dir: str | Path) -> "Runtime":
        """A profile without a database: for work that only reads config (checks, preparing rows)."""
        return cls(load_profile(config_dir), None)

    def reactions(self, workflow_id: str):
        """This version's reactions of a workflow, registered with durable-rules on first use
        (versions with the same reactions share one ruleset)."""
        if workflow_id not in self._reaction_sets:
            workflow = self.profile.workflows[workflow_id]
            self._reaction_sets[workflow_id] = register(workflow_id, workflow.reactions)
        return self._reaction_sets[workflow_id]

    def gather_plan(self, workflow_id: str) -> tuple[tuple[str, str, str, object], ...]:
        """A workflow's `gather` lists as (name, sheet form, field, compiled `where` or None),
        worked out once: bulk screening asks for them for every record."""
        if workflow_id not in self._gather_plans:
            workflow = self.profile.workflows[workflow_id]
            self._gather_plans[workflow_id] = tuple(
                (name, spec.form, spec.field, self.profile.conditions.get((workflow_id, spec.form, f"gather:{name}")))
                for name, spec in workflow.gather.items())
        return self._gather_plans[workflow_id]

    def for_version(self, version: str) -> "Runtime":
        """This runtime as of another profile version (a record keeps the one it started under)."""
        if version not in self._versions:
            other = Runtime(load_version(self.db, version), self.db)
            other._versions = self._versions
            self._versions[version] = other
        return self._versions[version]

    @property
    def version(self) -> str:
        return self.profile.version

    def form(self, form_id: str) -> CompiledForm:
        try:
            return self.forms[form_id]
        except KeyError:
            raise NotFound(f"form {form_id}") from None

    def stations_of(self, township: str | None) -> list[str]:
        return list(self._stations_by_township.get(township or "", []))

    def state_label(self, form_id: str, state: str | None, lang: str = "zh") -> str:
        form = self.profile.forms.get(form_id)
        workflow = self.profile.workflows.get(form.workflow) if form and form.workflow else None
        found = workflow.state(state) if workflow and state else None
        return found.text(lang) if found else (state or "")

    def reference_label(self, target: str, value: str, lang: str = "zh") -> str:
        label, label_en = self._labels.get(target, {}).get(value, (value, None))
        return label_en if lang == "en" and label_en else label

    def display_value(self, form: Form, field_id: str, value, lang: str = "zh") -> str:
        """A stored value as people read it: labels for options and references."""
        if value is None or value == "":
            return ""
        f = form.field(field_id)
        if f.type in ("choice", "multichoice"):
            labels = {o.id: o.text(lang) for o in f.options}
            if isinstance(value, list):
                return (", " if lang == "en" else "、").join(labels.get(v, v) for v in value)
            return labels.get(value, value)
        if f.type == "reference" and f.to in self._labels:
            return self.reference_label(f.to, value, lang)
        if f.type == "file" and isinstance(value, dict):
            return value.get("name", "")
        return str(value)

    def ensure_version(self, session: Session) -> str:
        """Store this profile version (with its files' text) the first time it writes anything."""
        # Checked inside the caller's transaction every time: a cached "saved" flag would lie
        # after that transaction rolled back.
        if session.get(ProfileVersion, self.version) is None:
            files = self.profile.file_texts()
            # two processes may start on a new version at once: the second insert is a no-op
            insert_ignoring(session, ProfileVersion.__table__, [
                {"version": self.version, "county": self.profile.county.id, "files": files,
                 "first_used": now()}], ["version"])
        return self.version
