"""workflows/*.yaml: the states a record moves through. Transitions come with the rules engine."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from engine.config.base import ConfigModel, Identifier, Labelled


class State(Labelled):
    id: Identifier
    description: str | None = None
    final: bool = False


class Workflow(Labelled):
    id: Identifier
    states: Annotated[tuple[State, ...], Field(min_length=1)]
    initial: Identifier

    def state(self, state_id: str) -> State | None:
        return next((s for s in self.states if s.id == state_id), None)
