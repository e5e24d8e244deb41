"""imports/*.yaml: how the columns of an outside export (a 12345 hotline sheet, say) fill a form."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from engine.config.base import ConfigModel, Identifier, Labelled


class ImportMapping(Labelled):
    id: Identifier
    form: Identifier
    columns: Annotated[dict[Identifier, str], Field(min_length=1)] = Field(
        description="Form field id -> column header in the file."
    )
    fixed: dict[Identifier, Any] = Field(
        default_factory=dict, description="Form field id -> value given to every imported row."
    )
    key_columns: tuple[str, ...] = Field(
        default=(),
        description="Headers that identify a row, so importing the same file twice adds nothing. "
        "Empty: every mapped column.",
    )
    date_formats: tuple[str, ...] = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")
    roles: Annotated[tuple[Identifier, ...], Field(min_length=1)]
