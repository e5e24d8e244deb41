"""Which model reads which file of a profile, including the files other packages add.

The engine's own kinds are fixed below. A package outside the engine (the demo year, a county's
own extension) adds a single file of its own by registering a `ProfileFile`: explicitly with
`register_file`, or as an entry point in the group ``minsheng.profile_files`` of its distribution
(so it is known wherever the package is installed, without anyone importing it first). The loader
validates such a file with its model, runs its check against the rest of the profile, and keeps
the object in `Profile.extras`.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Callable, Mapping

from pydantic import BaseModel

from engine.schema.rules import RuleFile
from engine.schema.county import County
from engine.schema.delivery import Delivery
from engine.schema.documents import Document
from engine.schema.forms import Form
from engine.schema.funds import FundPool
from engine.schema.imports import ImportMapping
from engine.schema.reports import Report
from engine.schema.votes import VoteRules
from engine.schema.workflow import Workflow

ENTRY_POINT_GROUP = "minsheng.profile_files"

# Folders hold one object per file, named by its id; (folder, the kind's name in docs/schema).
FOLDERS: dict[str, tuple[type[BaseModel], str]] = {
    "forms": (Form, "form"), "workflows": (Workflow, "workflow"), "imports": (ImportMapping, "import"),
    "rules": (RuleFile, "rules"), "documents": (Document, "document"), "votes": (VoteRules, "vote"),
    "funds": (FundPool, "fund"), "delivery": (Delivery, "delivery"), "reports": (Report, "report")}
COUNTY_FILE = "county.yaml"  # the one file every profile must have

# A registered file's check: (the file reader, the county, the profile's objects by folder and id
# as (file, object), the file's object); it reports problems with reader.add(file, key path, words).
FileCheck = Callable[[Any, County, Mapping[str, Mapping[str, tuple[str, BaseModel]]], BaseModel], None]


@dataclass(frozen=True)
class ProfileFile:
    """A single YAML file at the top of a profile that some package reads."""

    name: str  # the file's name in the profile folder, e.g. "demo.yaml"
    kind: str  # its name in docs/schema and the reference, e.g. "demo"
    model: type[BaseModel]
    check: FileCheck | None = None


_registered: dict[str, ProfileFile] = {}
_entry_points_read = False


def register_file(file: ProfileFile) -> ProfileFile:
    """Add a file kind; registering the same one again is a no-op, a different one under a taken name an error."""
    known = _registered.setdefault(file.name, file)
    if known != file:
        raise ValueError(f"{file.name} is read by {known.model.__qualname__} already")
    return file


def extra_files() -> dict[str, ProfileFile]:
    """The registered single files (besides county.yaml), entry points included, by file name."""
    global _entry_points_read
    if not _entry_points_read:
        for point in entry_points(group=ENTRY_POINT_GROUP):
            register_file(point.load())
        _entry_points_read = True
    return dict(_registered)
