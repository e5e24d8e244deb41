"""JSON Schema files for each kind of profile file, so editors autocomplete and underline mistakes.

The files are generated from the same pydantic models that validate a profile at load, so the
editor and `minsheng check` can never disagree about what a key is.
"""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from engine.config.county import County
from engine.config.demo import Demo
from engine.config.forms import Form
from engine.config.imports import ImportMapping
from engine.config.workflow import Workflow

KINDS: dict[str, tuple[type[BaseModel], str]] = {
    "county": (County, "county.yaml"),
    "form": (Form, "forms/*.yaml"),
    "workflow": (Workflow, "workflows/*.yaml"),
    "import": (ImportMapping, "imports/*.yaml"),
    "demo": (Demo, "demo.yaml"),
}


def schema_for(kind: str) -> dict:
    model, pattern = KINDS[kind]
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"Minsheng profile file: {pattern}"
    return schema


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        path = folder / f"{kind}.schema.json"
        path.write_text(json.dumps(schema_for(kind), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
