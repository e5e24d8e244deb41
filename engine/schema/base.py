"""The base of every config model: frozen, typed, and strict about unknown keys."""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# Identifiers that administrators write and that the engine stores: lower-case words.
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
IDENTIFIER_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class ConfigModel(BaseModel):
    """YAML keys are these models' field names; unknown keys are refused, objects are frozen."""

    # A string right under a field documents it: it becomes the field's description in the JSON
    # Schema (editor hovers) and in docs/reference.md.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, use_attribute_docstrings=True)


class Labelled(ConfigModel):
    """Anything shown to people: a Chinese label (the default interface) and an optional English one."""

    label: str
    """What people see, in Chinese (the default interface)."""
    label_en: str | None = None
    """The English label, shown when a user switches to English."""

    def text(self, lang: str) -> str:
        return self.label_en if lang == "en" and self.label_en else self.label


class KeyProblem(ValueError):
    """A validator's complaint about one key of the object, so the error can point at that key."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(message)
