"""workflows/*.yaml: the states a record moves through. Transitions come with the rules engine."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from engine.config.base import Identifier, Labelled


class State(Labelled):
    id: Identifier
    """Short code of the state, e.g. received."""
    description: str | None = None
    """What the state means, shown to staff."""
    final: bool = False
    """True if nothing happens to a record after it reaches this state."""


class Workflow(Labelled):
    id: Identifier
    """Short code of the workflow; must match the file name."""
    states: Annotated[tuple[State, ...], Field(min_length=1)]
    """Every state a record can be in."""
    initial: Identifier
    """The state a new record starts in."""

    def state(self, state_id: str) -> State | None:
        return next((s for s in self.states if s.id == state_id), None)
