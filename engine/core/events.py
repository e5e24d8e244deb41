"""The core's hooks: where features join the core without the core naming them.

In the spirit of Frappe's hooks and pluggy's hook specifications, kept small: each hook below is a
point in the core's work; a feature registers a function on it with a decorator when the feature's
module loads (``engine.features`` imports every feature), and the core calls every registered
function at that point, in the order they were registered. Each hook takes a whole batch, so bulk
work stays a few queries per batch whatever a feature does there.

Adding a stage means writing a feature that registers on these hooks; no core module changes.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterator, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    """One point of the core's work that features may join."""

    def __init__(self, name: str, signature: str):
        self.name = name
        self.signature = signature  # what a registered function takes and returns, for the reader
        self._functions: list[F] = []

    def __call__(self, function: F) -> F:
        """Register `function` (use as a decorator); registering the same function twice is a no-op."""
        if function not in self._functions:
            self._functions.append(function)
        return function

    def __iter__(self) -> Iterator[F]:
        return iter(tuple(self._functions))

    def __repr__(self) -> str:
        return f"Hook({self.name}: {len(self._functions)} registered)"


class PrefixHook(Generic[F]):
    """A hook whose functions each own the names that start with their prefix (deadlines)."""

    def __init__(self, name: str, signature: str):
        self.name = name
        self.signature = signature
        self._by_prefix: dict[str, F] = {}

    def register(self, prefix: str) -> Callable[[F], F]:
        def decorate(function: F) -> F:
            owner = self._by_prefix.setdefault(prefix, function)
            if owner is not function:
                raise ValueError(f"{self.name}: the prefix {prefix!r} belongs to {owner.__qualname__} already")
            return function
        return decorate

    def owner_of(self, name: str) -> tuple[str, F] | None:
        return next(((p, f) for p, f in self._by_prefix.items() if name.startswith(p)), None)


@dataclass
class JobResult:
    """What one job of `tick` did: counts by name (the tick's report adds them up) and lines of detail."""

    counts: Counter = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)


sheet_defaults: Hook = Hook(
    "sheet_defaults", "(runtime, session, subjects, sheet form id) -> {record id: {field: default value}}")
"""Default values offered for new sheets about these records (delivery: a responsibility list's dates)."""

sheets_filed: Hook = Hook("sheets_filed", "(runtime, session, [FiledRow]) -> None, in the sheets' transaction")
"""What filing sheets does besides storing them (delivery: a milestone's deadline, the kept figures)."""

records_moved: Hook = Hook("records_moved", "(runtime, session, [(record id, form id)]) -> None, in the moves' transaction")
"""What moving records does besides moving them (delivery: a project's kept figures)."""

deadlines_fired: PrefixHook = PrefixHook(
    "deadlines_fired", "(session, runtime, [(record id, deadline name, payload)], at) -> JobResult, in the claim's transaction")
"""Deadlines a feature set under its own name prefix, fired by `tick` (delivery: milestones falling due)."""

tick_jobs: Hook = Hook("tick_jobs", "(runtime, at: datetime) -> JobResult")
"""Work `tick` does after the deadlines and automatic transitions (closing ballots, escalations)."""


work_items: Hook = Hook("work_items", "(runtime, session, actor) -> [WorkItem]")
"""What waits for a user besides the workflows' actions and sheets (voting: a ballot to cast)."""

publish_guards: Hook = Hook(
    "publish_guards", "(runtime, session, proposed profile) -> [(refusal code, params)]")
"""Reasons to refuse publishing a profile edit (voting: the rules of a vote with a ballot open)."""
