"""Profiles shipped or kept by name, for `extends: <name>` (a province's template, a county's base).

A name is looked up, in this order, in the folders listed in the MINSHENG_TEMPLATES environment
variable (separated like PATH; each holds one template per subfolder, e.g. a shared mount with a
province's templates), then among the templates packages register as entry points in the group
``minsheng.profile_templates`` (name = "module:ATTRIBUTE", the attribute a folder's path). The
engine ships no template of its own: it names no county.
"""
from __future__ import annotations

import functools
import os
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

ENTRY_POINT_GROUP = "minsheng.profile_templates"
FOLDERS_VARIABLE = "MINSHENG_TEMPLATES"


def is_profile_folder(folder: Path) -> bool:
    return (folder / "county.yaml").is_file() or (folder / "profile.yaml").is_file()


def templates() -> dict[str, Path]:
    """Every template by name, the first of a name winning (the environment's before the packages')."""
    found: dict[str, Path] = {}
    for root in filter(None, os.environ.get(FOLDERS_VARIABLE, "").split(os.pathsep)):
        folder = Path(root)
        if folder.is_dir():
            for sub in sorted(folder.iterdir()):
                if sub.is_dir() and is_profile_folder(sub):
                    found.setdefault(sub.name, sub)
    for name, folder in _registered():
        if is_profile_folder(folder):  # a folder an installation left out is none either
            found.setdefault(name, folder)
    return found


@functools.cache
def _registered() -> tuple[tuple[str, Path], ...]:
    """The packages' templates. Read once a process: scanning the installed packages takes
    milliseconds, and a profile that extends a template by name is resolved at every page run
    (to see whether the files changed); what is installed does not change under a process."""
    out = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        module, _, attribute = point.value.partition(":")
        try:
            out.append((point.name, Path(getattr(import_module(module), attribute))))
        except (ImportError, AttributeError):
            continue  # a package that is gone is no template; the name then reads as unknown
    return tuple(out)


def template_folder(name: str) -> Path | None:
    """The folder of the template of this name, or None."""
    return templates().get(name)
