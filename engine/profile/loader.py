"""Load a profile folder: every file parsed, validated whole, cross-checked, then frozen.

All problems of a profile are collected and raised together in one ``ConfigError``, each naming
its file, line and key path, so an administrator fixes a profile in one pass.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from pydantic import BaseModel

from engine.schema.county import County
from engine.schema.documents import Document
from engine.schema.votes import VoteRules
from engine.schema.funds import FundPool
from engine.schema.delivery import Delivery
from engine.schema.reports import Report
from engine.schema.forms import Form
from engine.schema.imports import ImportMapping
from engine.schema.workflow import Workflow
from engine.profile.files import COUNTY_FILE, FOLDERS, extra_files
from engine.profile.township_rules import is_township_file, load_township_rules
from engine.lang.expr import Compiled
from engine.lang.tables import CompiledRules
from engine.lang.rules_compile import compile_rules
from engine.kernel.errors import ConfigError, ConfigProblem
from engine.profile.inherit import PROFILE_FILE, ChainError, chain_of, chain_version, effective_text, files_of
from engine.profile.reader import FileReader
from engine.profile.checks.references import check_references
from engine.profile.checks.workflows import check_workflows
from engine.profile.checks.documents import check_documents
from engine.profile.checks.votes import check_votes
from engine.profile.checks.forms import check_form_checks
from engine.profile.checks.funds import check_funds
from engine.profile.checks.delivery import check_delivery
from engine.profile.checks.reports import check_reports


@dataclass(frozen=True)
class Profile:
    root: Path
    version: str
    county: County
    forms: Mapping[str, Form]
    workflows: Mapping[str, Workflow]
    imports: Mapping[str, ImportMapping]
    documents: Mapping[str, Document] = field(default_factory=dict)
    votes: Mapping[str, VoteRules] = field(default_factory=dict)
    funds: Mapping[str, FundPool] = field(default_factory=dict)
    delivery: Mapping[str, Delivery] = field(default_factory=dict)
    reports: Mapping[str, Report] = field(default_factory=dict)
    rules: Mapping[str, CompiledRules] = field(default_factory=dict)
    # a township's own versions of rule files, where county.yaml allows them: township -> id -> rules
    township_rules: Mapping[str, Mapping[str, CompiledRules]] = field(default_factory=dict)
    # (workflow id, form id, transition index) -> the transition's compiled `when`
    conditions: Mapping[tuple[str, str, int], Compiled] = field(default_factory=dict)
    files: tuple[str, ...] = field(default=())
    # a profile that extends another: each file's copies along the chain, base first (else empty)
    sources: Mapping[str, tuple[tuple[Path, str], ...]] = field(default_factory=dict)
    # single files other packages read (demo.yaml: the demo year), by file name; see engine.profile.files
    extras: Mapping[str, BaseModel] = field(default_factory=dict)

    def file_texts(self) -> dict[str, str]:
        """Each file's text as this version reads it: a merged file as the YAML it merges to."""
        return {rel: effective_text(self.sources[rel]) if rel in self.sources
                else (self.root / rel).read_text(encoding="utf-8") for rel in self.files}

    def rules_for(self, rules_id: str, township: str | None) -> CompiledRules:
        """The rules a record of this township is decided by: its own, or the county's."""
        return self.township_rules.get(township or "", {}).get(rules_id) or self.rules[rules_id]

    def roles_for(self, action: str) -> tuple[str, ...]:
        return getattr(self.county.permissions, action)

    def reference_choices(self, target: str) -> list[tuple[str, str, str | None]]:
        """(id, label, label_en) of a township, station, channel or group list."""
        return self.county.choices(target)


def profile_version(root: Path) -> str:
    """Hash of every YAML file's path and bytes: the same files give the same version."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def disk_version(root: str | Path) -> str:
    """The version the folder's files (and those of the profiles it extends) would load as, without
    loading them: a process compares it with its own to see that another one published an edit."""
    root = Path(root)
    levels = chain_of(root, str(root))
    return chain_version(levels) if len(levels) > 1 else profile_version(root)


def load_profile(root: str | Path, version: str | None = None) -> Profile:
    """Read, validate and freeze a profile folder, or raise ConfigError listing every problem.
    `version`: the stored version a folder was written back from (engine.core.versions)."""
    shown_root = str(root)
    root = Path(root)
    try:
        found = root.is_dir()
    except OSError as exc:  # a name too long for the file system, say
        raise ConfigError([ConfigProblem(shown_root[:120] + ("…" if len(shown_root) > 120 else ""), None, (),
                                         f"the profile folder cannot be read: {exc.strerror}")]) from None
    if not found:
        raise ConfigError([ConfigProblem(shown_root, None, (), "profile folder not found")])
    try:
        levels = chain_of(root, shown_root)
    except ChainError as exc:
        raise ConfigError([ConfigProblem(exc.file, exc.line, (), exc.message)]) from None
    sources = files_of(levels) if len(levels) > 1 else {}
    loader = FileReader(root, shown_root, dict(sources))  # its own: townships' files are merged into it
    if sources:
        rels = sorted(sources)
    else:
        rels = [p.relative_to(root).as_posix() for p in sorted(root.rglob("*.y*ml"))]
        rels = [rel for rel in rels if rel != PROFILE_FILE]

    if COUNTY_FILE not in rels:
        loader.problems.append(ConfigProblem(loader.shown(COUNTY_FILE), None, (), "required file is missing"))
    extras = extra_files()
    single_files = {COUNTY_FILE: County, **{name: f.model for name, f in extras.items()}}

    singles: dict[str, BaseModel] = {}
    grouped: dict[str, dict[str, tuple[str, BaseModel]]] = {folder: {} for folder in FOLDERS}
    township_files = [rel for rel in rels if is_township_file(rel)]
    for rel in rels:
        path = Path(rel)
        parts = rel.split("/")
        if is_township_file(rel):
            continue  # read below, over the county's rule files
        if path.suffix == ".yml":
            loader.problems.append(ConfigProblem(loader.shown(rel), None, (), "use the ending .yaml"))
        elif rel in single_files:
            obj = loader.read(rel, single_files[rel])
            if obj is not None:
                singles[rel] = obj
        elif len(parts) == 2 and parts[0] in FOLDERS:
            obj = loader.read(rel, FOLDERS[parts[0]][0])
            if obj is None:
                loader.broken.add((parts[0], path.stem))
            else:
                if obj.id != path.stem:
                    loader.add(rel, ("id",), f"id {obj.id!r} must match the file name {path.stem!r}")
                # Filed under its file name, which the rest of the profile uses: a wrong id inside is
                # one mistake, not one more for every reference ("did you mean" the misspelt id).
                grouped[parts[0]][path.stem] = (rel, obj)
        else:
            expected = ", ".join(list(single_files) + [f"{f}/*.yaml" for f in FOLDERS])
            loader.problems.append(ConfigProblem(
                loader.shown(rel), None, (), f"unknown file; a profile holds {expected}"))

    # Expressions are type-checked and compiled here, once, so a mistake is found at load.
    compiled_rules = {}
    for rules_id, (rel, rules) in grouped["rules"].items():
        compiled, problems = compile_rules(rules, loader.shown(rel))
        for path, message in problems:
            loader.add(rel, path, message)
        if compiled is not None:
            compiled_rules[rules_id] = compiled

    county = singles.get(COUNTY_FILE)
    by_township = load_township_rules(loader, county, township_files, grouped["rules"], compiled_rules, sources)
    conditions: dict[tuple[str, str, int], Compiled] = {}
    if county is not None:
        check_references(loader, county, grouped)
        conditions = check_workflows(loader, county, grouped, compiled_rules)
        check_form_checks(loader, grouped, conditions)
        check_documents(loader, county, grouped)
        check_votes(loader, grouped)
        check_funds(loader, county, grouped)
        check_delivery(loader, county, grouped, conditions)
        check_reports(loader, county, grouped)
        for name, obj in singles.items():
            if name in extras and extras[name].check is not None:
                extras[name].check(loader, county, grouped, obj)
    if loader.problems or county is None:
        raise ConfigError(loader.problems)
    return Profile(
        root=root,
        version=version or (chain_version(levels) if sources else profile_version(root)),
        county=county,
        forms=MappingProxyType({k: v for k, (_, v) in grouped["forms"].items()}),
        workflows=MappingProxyType({k: v for k, (_, v) in grouped["workflows"].items()}),
        imports=MappingProxyType({k: v for k, (_, v) in grouped["imports"].items()}),
        documents=MappingProxyType({k: v for k, (_, v) in grouped["documents"].items()}),
        votes=MappingProxyType({k: v for k, (_, v) in grouped["votes"].items()}),
        funds=MappingProxyType({k: v for k, (_, v) in grouped["funds"].items()}),
        delivery=MappingProxyType({k: v for k, (_, v) in grouped["delivery"].items()}),
        reports=MappingProxyType({k: v for k, (_, v) in grouped["reports"].items()}),
        extras=MappingProxyType({name: obj for name, obj in singles.items() if name in extras}),
        rules=MappingProxyType(compiled_rules),
        township_rules=MappingProxyType({t: MappingProxyType(r) for t, r in by_township.items()}),
        conditions=MappingProxyType(conditions),
        files=tuple(sorted(loader.docs)),
        sources=MappingProxyType({rel: tuple(copies) for rel, copies in sources.items()}),
    )
