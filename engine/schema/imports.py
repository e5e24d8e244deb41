"""imports/*.yaml: how the columns of an outside export (a 12345 hotline sheet, say) fill a form."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from engine.schema.base import Identifier, Labelled


class ImportMapping(Labelled):
    id: Identifier
    """Short code of the import; must match the file name."""
    form: Identifier
    """The form whose records the rows become."""
    columns: Annotated[dict[Identifier, str], Field(min_length=1)]
    """Form field id -> the column header in the file that fills it."""
    fixed: dict[Identifier, Any] = Field(default_factory=dict)
    """Form field id -> a value given to every imported row (the channel, say)."""
    key_columns: tuple[str, ...] = ()
    """Headers whose values identify a row, so importing the same file twice adds nothing.
    Empty: every mapped column."""
    date_formats: tuple[str, ...] = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")
    """How the file writes dates (%Y year, %m month, %d day, %H:%M:%S time); ISO dates always work."""
    roles: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Roles that may run this import."""
