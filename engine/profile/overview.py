"""A profile as it reads after its chain, and how two profiles' policies differ.

`show` prints the effective files with the file and line every value came from; `differences`
says, file by file and key by key, what one profile decides otherwise than another. Both read the
files only: they work on a profile that does not load, so an administrator can see where a value
came from while fixing it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from engine.profile.inherit import PROFILE_FILE, Merged, chain_of, dump_value, files_of, item_key, merged_file


def effective_files(root: Path, shown: str | None = None) -> dict[str, Merged]:
    """Every file of the profile (a chain merged, base first), by its path in the profile."""
    levels = chain_of(root, str(root) if shown is None else shown)
    return {rel: merged_file(copies) for rel, copies in sorted(files_of(levels).items()) if rel != PROFILE_FILE}


def show(root: Path, only: str | None = None) -> Iterator[str]:
    """The effective files as YAML, each value followed by `# file:line` of where it was set."""
    for rel, merged in effective_files(root).items():
        if only is not None and rel != only:
            continue
        yield f"# ---- {rel}" + (f"  (merged from {', '.join(merged.sources)})" if len(merged.sources) > 1 else "")
        yield from _lines(merged.data, (), merged, 0)


def _origin(merged: Merged, path: tuple) -> str:
    line = merged.lines.get(path)
    return f"{merged.files.get(path, '?')}:{line}" if line else ""


def _plain(value: Any) -> bool:
    return not isinstance(value, (dict, list)) or not value or (
        isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value))


def _lines(value: Any, path: tuple, merged: Merged, indent: int, first: str = "") -> Iterator[str]:
    pad = " " * indent
    if isinstance(value, dict):
        for n, (key, item) in enumerate(value.items()):
            lead = (first if n == 0 else " " * len(first)) if first else ""
            here = path + (key,)
            if _plain(item):
                yield f"{pad}{lead}{key}: {dump_value(item)}  # {_origin(merged, here)}"
            else:
                yield f"{pad}{lead}{key}:  # {_origin(merged, here)}"
                yield from _lines(item, here, merged, indent + len(lead) + 2)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            here = path + (i,)
            if isinstance(item, dict) and item:
                yield from _lines(item, here, merged, indent, first="- ")
            else:
                yield f"{pad}- {dump_value(item)}  # {_origin(merged, here)}"
    else:
        yield f"{pad}{dump_value(value)}  # {_origin(merged, path)}"


def differences(a: Path, b: Path) -> list[str]:
    """What profile `b` decides otherwise than `a`, one line per difference, in the files' words:
    ``votes/township_congress.yaml: majority → of: all_members → present``."""
    files_a, files_b = effective_files(a), effective_files(b)
    out: list[str] = []
    for rel in sorted(set(files_a) | set(files_b)):
        if rel not in files_b:
            out.append(f"{rel}: only in {a}")
        elif rel not in files_a:
            out.append(f"{rel}: only in {b}")
        else:
            out.extend(f"{rel}: {line}" for line in _walk(files_a[rel].data, files_b[rel].data, ()))
    return out


def _name(path: tuple) -> str:
    return " → ".join(str(p) for p in path)


def _walk(a: Any, b: Any, path: tuple) -> Iterator[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in b:
                yield f"{_name(path + (key,))}: {dump_value(a[key])} → (none)"
            elif key not in a:
                yield f"{_name(path + (key,))}: (none) → {dump_value(b[key])}"
            else:
                yield from _walk(a[key], b[key], path + (key,))
    elif isinstance(a, list) and isinstance(b, list) and (key := item_key(a, b)):
        old = {item[key]: item for item in a}
        new = {item[key]: item for item in b}
        for item_id in list(old) + [i for i in new if i not in old]:
            here = path + (f"[{item_id}]",)
            if item_id not in new:
                yield f"{_name(here)}: removed"
            elif item_id not in old:
                yield f"{_name(here)}: added"
            else:
                yield from _walk(old[item_id], new[item_id], here)
        if [i for i in old if i in new] != [i for i in new if i in old]:
            yield f"{_name(path)}: the order changed"
    elif a != b:
        yield f"{_name(path)}: {dump_value(a)} → {dump_value(b)}"

