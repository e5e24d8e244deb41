"""Profiles that inherit: a profile folder holds only what differs from the profile it extends.

A folder's `profile.yaml` may say ``extends: <folder>`` (relative to it, or a template's name, see
engine.profile.templates), and ``remove:`` files of
the base it does not use. Each file is then the base's file with this folder's file laid over it:

- a mapping's keys are merged one by one, a plain value or a list of plain values replaced, and
  ``key: {$delete: true}`` drops the base's key;
- a list of objects with ids is merged by id: an item with the id of a base item is merged into
  it (it keeps its place), a new id is added at the end, and ``{id: x, $delete: true}`` drops x;
  a workflow's sheets, which have no ids, are merged the same way by their `form`;
- ``$replace: true`` in a mapping (the whole file, a list item, any value) replaces it instead of
  merging, and a list with the item ``{$replace: true}`` replaces the base's list.

Chains may have several levels (a province's template, a county, a township's exceptions). Every
value remembers the file and line it came from, so an error points at the right file of the chain.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from engine.profile.problems import did_you_mean
from engine.profile.templates import is_profile_folder, template_folder, templates
from engine.profile.yamlfile import YamlDocument, YamlSyntaxError, load_yaml

PROFILE_FILE = "profile.yaml"
DELETE, REPLACE = "$delete", "$replace"
Path_ = tuple[Any, ...]


class ChainError(Exception):
    """The chain of profiles cannot be followed: a base that is missing, or a circle."""

    def __init__(self, file: str, line: int | None, message: str):
        self.file, self.line, self.message = file, line, message
        super().__init__(message)


@dataclass(frozen=True)
class Level:
    """One folder of a chain, base first: where it is and how its files are shown in messages."""

    root: Path
    shown: str
    removes: tuple[str, ...] = ()


@dataclass
class Merged:
    """A file's data after the chain, with the file and line of every value."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    files: dict[Path_, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # the files merged, base first

    def document(self) -> YamlDocument:
        return YamlDocument(self.data, self.lines, self.files)


def chain_of(root: Path, shown: str) -> list[Level]:
    """The folders a profile is made of, base first (a folder without profile.yaml is one level)."""
    levels: list[Level] = []
    seen: list[Path] = []
    here, here_shown = root, shown
    while True:
        resolved = here.resolve()
        if resolved in seen:
            names = " → ".join(str(p) for p in seen + [resolved])
            raise ChainError(_join(here_shown, PROFILE_FILE), None, f"profiles extend each other in a circle: {names}")
        seen.append(resolved)
        extends, removes, line = _read_profile_file(here, here_shown)
        levels.insert(0, Level(here, here_shown, removes))
        if extends is None:
            return levels
        base = (here / extends)
        if is_profile_folder(base):
            here, here_shown = base, extends if Path(extends).is_absolute() else os.path.normpath(_join(here_shown, extends))
            continue
        template = template_folder(extends) if _is_a_name(extends) else None
        if template is None:
            raise ChainError(_join(here_shown, PROFILE_FILE), line, _not_a_base(extends, base))
        here, here_shown = template, str(template)


def _is_a_name(extends: str) -> bool:
    """A template's name, not a path: no folder separator, not . or .."""
    return "/" not in extends and os.sep not in extends and extends not in (".", "..")


def _not_a_base(extends: str, base: Path) -> str:
    known = sorted(templates())
    if not _is_a_name(extends):
        return f"extends {extends!r}, but {base} is no profile folder (it has no county.yaml)"
    offered = f"; templates: {', '.join(known)}" if known else "; no templates are installed"
    return (f"extends {extends!r}, but there is no profile folder {base} and no template of that name"
            f"{did_you_mean(extends, known)}{offered}")


def _read_profile_file(folder: Path, shown: str) -> tuple[str | None, tuple[str, ...], int | None]:
    path = folder / PROFILE_FILE
    if not path.is_file():
        return None, (), None
    where = _join(shown, PROFILE_FILE)
    try:
        doc = load_yaml(path)
    except YamlSyntaxError as exc:
        raise ChainError(where, exc.line, exc.message) from None
    data = doc.data or {}
    if not isinstance(data, dict):
        raise ChainError(where, 1, "expected keys: extends (the folder of the base profile) and remove (its files not used)")
    unknown = sorted(set(data) - {"extends", "remove"})
    if unknown:
        raise ChainError(where, doc.line_of((unknown[0],)),
                         f"unknown key {unknown[0]!r}; profile.yaml holds extends and remove")
    extends = data.get("extends")
    if extends is not None and not isinstance(extends, str):
        raise ChainError(where, doc.line_of(("extends",)), "extends is the path of the base profile's folder, e.g. ../../config")
    removes = data.get("remove") or []
    if not isinstance(removes, list) or not all(isinstance(r, str) for r in removes):
        raise ChainError(where, doc.line_of(("remove",)), "remove is a list of the base's files, e.g. [forms/survey.yaml]")
    return extends, tuple(removes), doc.line_of(("extends",))


def _join(shown: str, rel: str) -> str:
    return f"{shown.rstrip('/')}/{rel}" if shown else rel


def files_of(levels: list[Level]) -> dict[str, list[tuple[Path, str]]]:
    """Each file of the effective profile: the folders' copies to merge, base first."""
    files: dict[str, list[tuple[Path, str]]] = {}
    for level in levels:
        for rel in level.removes:
            files.pop(rel, None)
        for path in sorted(level.root.rglob("*.y*ml")):
            rel = path.relative_to(level.root).as_posix()
            if rel == PROFILE_FILE or any(part.startswith(".") for part in Path(rel).parts):
                continue
            files.setdefault(rel, []).append((path, _join(level.shown, rel)))
    return files


def merged_file(copies: list[tuple[Path, str]]) -> Merged:
    """One file through the chain; YamlSyntaxError (with the file that has it in `file`)."""
    result: Merged | None = None
    for path, shown in copies:
        try:
            doc = load_yaml(path)
        except YamlSyntaxError as exc:
            exc.file = shown
            raise
        layer = Merged(doc.data, dict(doc.lines), {p: shown for p in doc.lines}, [shown])
        if result is None or (isinstance(doc.data, dict) and doc.data.get(REPLACE) is True):
            if isinstance(doc.data, dict):
                doc.data.pop(REPLACE, None)
            result = layer if result is None else Merged(layer.data, layer.lines, layer.files, result.sources + [shown])
            continue
        try:
            result = Merged(*_merge(result.data, layer.data, (), result, layer), sources=result.sources + [shown])
        except _NothingToDelete as exc:
            raise YamlSyntaxError(layer.lines.get(exc.path + ("id",)) or layer.lines.get(exc.path), str(exc), shown) from None
    return result


def _merge(base: Any, over: Any, path: Path_, old: Merged, new: Merged) -> tuple[Any, dict, dict]:
    """The merged value at `path`, with the lines and files of everything under it."""
    lines: dict[Path_, int] = {}
    files: dict[Path_, str] = {}
    if isinstance(over, dict) and over.get(REPLACE) is True:  # this mapping, whole
        _copy_origin(new, path, path, lines, files)
        return _without_markers(over), lines, files
    if isinstance(over, list) and any(_is_replace_marker(i) for i in over):  # this list, whole
        kept = [i for i in over if not _is_replace_marker(i)]
        n = len(path)
        for p, line in new.lines.items():
            if p[:n] == path:
                lines[p] = line
                files[p] = new.files[p]
        return kept, _renumber(lines, path, over), _renumber(files, path, over)
    if isinstance(base, dict) and isinstance(over, dict):
        data = {}
        _copy_origin(new if path in new.lines else old, path, path, lines, files, deep=False)
        for key in list(base) + [k for k in over if k not in base]:
            if key in over and over[key] == {DELETE: True}:  # `key: {$delete: true}` drops the base's key
                continue
            if key in over:
                value, sub_lines, sub_files = _merge(base.get(key, _MISSING), over[key], path + (key,), old, new)
            else:
                value = base[key]
                _copy_origin(old, path + (key,), path + (key,), lines, files)
                data[key] = value
                continue
            data[key] = value
            lines.update(sub_lines)
            files.update(sub_files)
        return data, lines, files
    if isinstance(base, list) and isinstance(over, list) and (key := item_key(base, over)):
        return _merge_by_id(base, over, path, old, new, key)
    # a plain value, a list replaced, or a key the base does not have: the overlay's, whole
    _copy_origin(new, path, path, lines, files)
    if isinstance(over, dict):
        over = _without_markers(over)
    return over, lines, files


_MISSING = object()


def _is_replace_marker(item: Any) -> bool:
    return isinstance(item, dict) and item == {REPLACE: True}


def _renumber(origins: dict, path: tuple, items: list) -> dict:
    """Origins under a list whose marker items were dropped: later items move up."""
    n, shift, moved = len(path), {}, 0
    for i, item in enumerate(items):
        if _is_replace_marker(item):
            moved += 1
        else:
            shift[i] = i - moved
    out = {}
    for p, v in origins.items():
        if p[:n] == path and len(p) > n and isinstance(p[n], int):
            if p[n] in shift:
                out[path + (shift[p[n]],) + p[n + 1:]] = v
        else:
            out[p] = v
    return out


ITEM_KEYS = ("id", "form")  # what names a list's items: an id, or the form of a workflow's sheet


def item_key(base: list, over: list) -> str | None:
    """The key both lists' items are named by, each name once in each list (a workflow's sheets
    have no ids but one sheet a form), or None: the overlay's list then replaces the base's."""
    for key in ITEM_KEYS:
        if all(bool(items) and all(isinstance(i, dict) and key in i for i in items)
               and (key == "id" or len({repr(i[key]) for i in items}) == len(items)) for items in (base, over)):
            return key
    return None


def _merge_by_id(base: list, over: list, path: Path_, old: Merged, new: Merged,
                 key: str = "id") -> tuple[list, dict, dict]:
    lines: dict[Path_, int] = {}
    files: dict[Path_, str] = {}
    _copy_origin(new, path, path, lines, files, deep=False)
    changes = {item[key]: (i, item) for i, item in enumerate(over)}
    result: list = []
    for i, item in enumerate(base):
        change = changes.pop(item[key], None)
        target = path + (len(result),)
        if change is None:
            _copy_origin(old, path + (i,), target, lines, files)
            result.append(item)
            continue
        j, patch = change
        if patch.get(DELETE) is True:
            continue
        if patch.get(REPLACE) is True:
            _copy_origin(new, path + (j,), target, lines, files)
            result.append(_without_markers(patch))
            continue
        value, sub_lines, sub_files = _merge(item, patch, path + (j,), _Shifted(old, path + (i,), path + (j,)), new)
        result.append(value)
        for p, line in sub_lines.items():
            lines[target + p[len(path) + 1:]] = line
        for p, file in sub_files.items():
            files[target + p[len(path) + 1:]] = file
    for item_id, (j, patch) in sorted(changes.items(), key=lambda kv: kv[1][0]):
        if patch.get(DELETE) is True:
            raise _NothingToDelete(path + (j,), item_id, key)
        _copy_origin(new, path + (j,), path + (len(result),), lines, files)
        result.append(_without_markers(patch))
    return result, lines, files


class _NothingToDelete(Exception):
    def __init__(self, path: Path_, item_id: Any, key: str = "id"):
        self.path, self.item_id = path, item_id
        super().__init__(f"$delete: the base has no item with {key} {item_id!r} here")


class _Shifted:
    """The base's origins seen under the overlay item's index, so a merged item reads them there."""

    def __init__(self, merged: Merged, base_at: Path_, over_at: Path_):
        n = len(base_at)
        self.lines = {over_at + p[n:]: v for p, v in merged.lines.items() if p[:n] == base_at}
        self.files = {over_at + p[n:]: v for p, v in merged.files.items() if p[:n] == base_at}


def _copy_origin(source: Any, at: Path_, to: Path_, lines: dict, files: dict, deep: bool = True) -> None:
    n = len(at)
    for p, line in source.lines.items():
        if p == at or (deep and p[:n] == at):
            lines[to + p[n:]] = line
            files[to + p[n:]] = source.files[p]


def _without_markers(value: dict) -> dict:
    return {k: v for k, v in value.items() if k not in (DELETE, REPLACE)}


class _Dumper(yaml.SafeDumper):
    """Merged data back to YAML: exact decimals stay numbers, keys keep their order."""


_Dumper.add_representer(Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", str(value)))
_Dumper.add_representer(list, lambda dumper, value: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", value, flow_style=all(not isinstance(v, (dict, list)) for v in value)))


def effective_text(copies: list[tuple[Path, str]] | tuple) -> str:
    """A file as it reads after the chain, as YAML text (what a stored version keeps)."""
    return yaml.dump(merged_file(list(copies)).data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def dump_value(value: Any) -> str:
    """One value as YAML on one line: 15, total >= 14, [a, b], '001'."""
    text = yaml.dump(value, Dumper=_Dumper, allow_unicode=True, default_flow_style=True, width=10**9)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def chain_version(levels: list[Level]) -> str:
    """Every file of every level, with its level: the same folders give the same version."""
    digest = hashlib.sha256()
    for n, level in enumerate(levels):
        for path in sorted(level.root.rglob("*.yaml")):
            digest.update(f"{n}:{path.relative_to(level.root).as_posix()}".encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]

