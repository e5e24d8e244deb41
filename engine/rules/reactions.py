"""Reactions to events, correlated per record with durable-rules. The one module that touches it.

What was measured with durable-rules 2.0.28 shapes this adapter: an exception inside an action
does not reach the caller, so actions here only note that a reaction fired and the engine acts
after `post` returns (errors then reach the caller); a ruleset name cannot be registered twice or
removed, so names carry the profile version and a process-wide counter; identical events posted
at once are refused, so each event carries a sequence number and posts are serialised; state lives
only in memory, so durable-rules holds no deadlines (those are in the database).

Each record is its own durable-rules session (sid = record id): "three delay reports about the
same project" is three correlated events in that session.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from engine.config.workflow import Reaction

_names = itertools.count(1)
_post_lock = threading.Lock()  # one post at a time: durable-rules refuses identical concurrent events
_sequence = itertools.count(1)
_fired = threading.local()


@dataclass
class ReactionSet:
    """The reactions of one workflow under one profile version, registered with durable-rules."""

    name: str
    reactions: dict[str, Reaction] = field(default_factory=dict)

    def post(self, event: str, name: str, record_id: int) -> list[Reaction]:
        """Post an event about a record; the reactions it completes, in declaration order."""
        from durable.engine import MessageNotHandledException
        from durable.lang import post
        _fired.ids = []
        with _post_lock:
            try:
                post(self.name, {"sid": str(record_id), "event": event, "name": name, "seq": next(_sequence)})
            except MessageNotHandledException:
                pass  # no reaction waits for this kind of event: nothing to do
        fired, _fired.ids = _fired.ids, []
        return [self.reactions[i] for i in fired]


def _noting(reaction_id: str):
    def noted(_context, *_rest):  # durable-rules may pass a completion callback too
        # No work here: an exception inside a durable-rules action would be swallowed.
        getattr(_fired, "ids", []).append(reaction_id)
    noted.__name__ = reaction_id  # durable-rules names a rule after its function
    return noted


def register(workflow_id: str, version: str, reactions: tuple[Reaction, ...]) -> ReactionSet | None:
    """A ruleset for these reactions; validated config only (everything was checked at load)."""
    if not reactions:
        return None
    from durable.lang import c, m, ruleset, when_all
    result = ReactionSet(name=f"minsheng_{workflow_id}_{version}_{next(_names)}")
    with ruleset(result.name):
        for reaction in reactions:
            result.reactions[reaction.id] = reaction
            # a reaction with `where` listens to its own stream: only the events that met it
            listens = f"{reaction.name}|{reaction.id}" if reaction.where else reaction.name
            condition = (m.event == reaction.event) & (m.name == listens)
            terms = [getattr(c, f"e{i}") << condition for i in range(reaction.count)]

            when_all(*terms)(_noting(reaction.id))
    return result
