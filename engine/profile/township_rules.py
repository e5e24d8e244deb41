"""A township's exceptions: its own version of a rule file, where the county allows it.

county.yaml lists the rule files a township may change (`township_rules: [screening]`); a
township's file is `townships/<township id>/rules/<rule file>.yaml` in the county's folder and
holds only what differs from the county's file (merged as an overlay: keys replaced, rows merged
by id, `$delete`). That township's records are decided by it; every other township's by the
county's. A township's file reads only inputs the county's gives (with their types) and decides
only outcomes the county's has, so the workflow around it is the county's.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from engine.lang.rules_compile import compile_rules
from engine.lang.tables import CompiledRules
from engine.profile.files import COUNTY_FILE
from engine.profile.problems import did_you_mean
from engine.profile.reader import FileReader
from engine.schema.county import County
from engine.schema.rules import RuleFile

TOWNSHIPS_FOLDER = "townships"


def is_township_file(rel: str) -> bool:
    return rel.split("/")[0] == TOWNSHIPS_FOLDER


def load_township_rules(loader: FileReader, county: County | None, rels: list[str],
                        rule_files: Mapping[str, tuple[str, RuleFile]], compiled: Mapping[str, CompiledRules],
                        sources: Mapping[str, list[tuple[Path, str]]]) -> dict[str, dict[str, CompiledRules]]:
    """Each township's own rule files, compiled: township id -> rule file id -> its rules."""
    out: dict[str, dict[str, CompiledRules]] = {}
    townships = [t.id for t in county.townships] if county else []
    for i, rules_id in enumerate(county.township_rules if county else ()):
        if rules_id not in rule_files and ("rules", rules_id) not in loader.broken:
            loader.add(COUNTY_FILE, ("township_rules", i), f"unknown rule file {rules_id!r}"
                       f"{did_you_mean(rules_id, list(rule_files))}; rule files are rules/<id>.yaml")
    for rel in rels:
        parts = rel.split("/")
        if len(parts) != 4 or parts[2] != "rules" or not rel.endswith(".yaml"):
            loader.add(rel, (), "unknown file; a township's own rules are townships/<township id>/rules/<rule file>.yaml")
            continue
        township, rules_id = parts[1], parts[3].removesuffix(".yaml")
        if county is None:
            continue
        if township not in townships:
            loader.add(rel, (), f"unknown township {township!r}{did_you_mean(township, townships)}; "
                       "townships are declared in county.yaml")
            continue
        if rules_id not in county.township_rules:
            allowed = ", ".join(county.township_rules) or "none"
            loader.add(rel, (), f"county.yaml does not let a township change the rules '{rules_id}' "
                       f"(township_rules: {allowed})")
            continue
        if rules_id not in rule_files:
            loader.add(rel, (), f"there is no rules/{rules_id}.yaml for it to change")
            continue
        base_rel, base = rule_files[rules_id]
        # the county's file (along its own chain) with the township's laid over it
        loader.sources[rel] = [*(sources.get(base_rel) or [(loader.root / base_rel, loader.shown(base_rel))]),
                               *(sources.get(rel) or [(loader.root / rel, loader.shown(rel))])]
        rules = loader.read(rel, RuleFile)
        if rules is None:
            continue
        if _compatible(loader, rel, base, rules) and rules_id in compiled:
            done, problems = compile_rules(rules, loader.shown(rel))
            for path, message in problems:
                loader.add(rel, path, message)
            if done is not None:
                out.setdefault(township, {})[rules_id] = done
    return out


def _outcomes(table) -> set[str]:
    return {row.outcome for row in (*table.rows, *((table.default,) if table.default else ())) if row.outcome}


def _compatible(loader: FileReader, rel: str, base: RuleFile, rules: RuleFile) -> bool:
    """The township's file fits the county's workflow: the same id, inputs the county's gives,
    the county's tables, and no outcome the county's tables do not have."""
    ok = True
    if rules.id != base.id:
        loader.add(rel, ("id",), f"the id must stay {base.id!r}")
        ok = False
    for name, kind in rules.inputs.items():
        if base.inputs.get(name) != kind:
            said = f"is {base.inputs[name]!r} in the county's file" if name in base.inputs else \
                "is not an input of the county's file, so nothing gives it"
            loader.add(rel, ("inputs", name), f"'{name}' {said}")
            ok = False
    tables = {t.id: t for t in base.tables}
    for i, table in enumerate(rules.tables):
        if table.id not in tables:
            loader.add(rel, ("tables", i, "id"), f"the county's file has no table {table.id!r}; a township "
                       f"changes the county's tables ({', '.join(tables)})")
            ok = False
            continue
        new = sorted(_outcomes(table) - _outcomes(tables[table.id]))
        if new:
            loader.add(rel, ("tables", i), f"outcome(s) {', '.join(new)} are not the county's: the workflow "
                       f"moves records on {', '.join(sorted(_outcomes(tables[table.id])))}")
            ok = False
    missing = sorted(set(tables) - {t.id for t in rules.tables})
    if missing:
        loader.add(rel, ("tables",), f"the county's table(s) {', '.join(missing)} may not be removed")
        ok = False
    return ok
