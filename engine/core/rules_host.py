"""Reactions to events, correlated with durable-rules. The one module that touches it.

durable-rules does the correlation ("three delay reports about the same project" is three
matching events, consumed together when the reaction fires); the database keeps the state. A
post replays the events the database says are still pending for the record, posts the new event,
reads back what is still pending, and then empties the session again, so nothing about the
record stays in the process: memory does not grow with the number of records, and every process
sees the same count because it reads it from the same table.

What was measured with durable-rules 2.0.28 shapes the rest:
- a ruleset takes about 96 MB, and a name cannot be registered twice or removed: a ruleset is
  named after a digest of its reactions and shared by every profile version and runtime with the
  same reactions, so there are as many as there are distinct reaction definitions;
- it refuses a ruleset's 1,025th live session, and `delete_state` corrupts its heap (a segfault or
  "free(): invalid pointer" in most runs once the app's libraries are loaded): so one session,
  `WORK`, serves every record in turn, and is emptied by posting one `__drain__` token per pending
  event, which a drain rule consumes together with that event;
- a message that no rule matches also corrupts it, so only events some rule counts are posted;
- an exception inside an action does not reach the caller, so actions here only note that a
  reaction fired and the engine acts after `post` returns;
- identical events posted at once are refused, so each event carries a unique sequence number
  and posts are serialised.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from durable.engine import Host, MessageNotHandledException
from durable.lang import c, m, ruleset, when_all

from engine.schema.workflow import Reaction

WORK = "work"  # the one durable-rules session, used by each record in turn and emptied after each post
DRAIN = "__drain__"  # the event that empties it (no config id starts with an underscore)
_tokens = itertools.count(1)
_post_lock = threading.Lock()  # one post at a time: durable-rules refuses identical concurrent events
_fired = threading.local()
_registered: dict[str, "ReactionSet"] = {}  # ruleset name -> its set, process-wide (names cannot be reused)
_register_lock = threading.Lock()


class _QuietHost(Host):
    """durable-rules' host without its background threads. The stock host dispatches every
    ruleset from two timer threads, five times a second, forever; they would race with the
    session deletes below (a segfault, measured) and spin for nothing: every action here runs
    inside `post`, and no durable-rules timer is used (deadlines are in the database)."""

    def _run(self) -> None:
        pass


_host = _QuietHost()


def get_host() -> Host:
    return _host


@dataclass
class ReactionSet:
    """The reactions of one workflow, registered with durable-rules under a name of their content."""

    name: str
    reactions: dict[str, Reaction] = field(default_factory=dict)
    listens: frozenset[tuple[str, str]] = frozenset()  # (event, name) some reaction waits for
    streams: frozenset[tuple[str, str]] = frozenset()  # (event, stream) some reaction counts

    def listens_to(self, event: str, name: str) -> bool:
        return (event, name) in self.listens

    def counts(self, event: str, stream_name: str) -> bool:
        return (event, stream_name) in self.streams

    def post(self, record_id: int, pending: list[dict[str, Any]],
             new: list[dict[str, Any]]) -> tuple[list[Reaction], list[dict[str, Any]]]:
        """Post `new` events about a record whose still-pending events are `pending` (as stored).

        Each event is ``{"event", "name", "seq"}``, seq unique. Returns the reactions the new events
        complete, in order, and the events still pending afterwards (to store)."""
        host = get_host()
        with _post_lock:
            try:
                _fired.ids = []
                for message in sorted(pending, key=lambda e: e["seq"]):
                    self._post(host, message)
                _fired.ids = []  # replayed events completed nothing before; they complete nothing now
                for message in new:
                    self._post(host, message)
                fired = list(_fired.ids)
                remaining = sorted(({"event": e["event"], "name": e["name"], "seq": e["seq"]}
                                    for e in host.get_pending_events(self.name, WORK)), key=lambda e: e["seq"])
            finally:
                _fired.ids = []
                self._empty(host)
        return [self.reactions[i] for i in fired], remaining

    def _post(self, host, message: dict[str, Any]) -> None:
        if not self.counts(message["event"], message["name"]):
            return  # no rule counts it (posting it would corrupt durable-rules, see above)
        try:
            host.post(self.name, {"sid": WORK, "event": message["event"], "name": message["name"],
                                  "seq": message["seq"]})
        except MessageNotHandledException:
            pass

    def _empty(self, host) -> None:
        """Consume every event still pending in the working session, one drain token each."""
        for _ in range(3):
            left = host.get_pending_events(self.name, WORK)
            if not left:
                return
            for e in left:
                if (e["event"], e["name"]) in self.streams:
                    host.post(self.name, {"sid": WORK, "event": DRAIN, "name": e["name"], "seq": -next(_tokens)})
        raise RuntimeError(f"durable-rules session of {self.name} could not be emptied")


def pending_in_process(reaction_set: ReactionSet) -> list[dict[str, Any]]:
    """What durable-rules holds in this process for the reaction set (empty between posts), for tests."""
    return list(get_host().get_pending_events(reaction_set.name, WORK))


def _noting(reaction_id: str):
    def noted(_context, *_rest):  # durable-rules may pass a completion callback too
        # No work here: an exception inside a durable-rules action would be swallowed.
        getattr(_fired, "ids", []).append(reaction_id)
    noted.__name__ = reaction_id  # durable-rules names a rule after its function
    return noted


def _draining(index: int):
    def drained(_context, *_rest):
        pass  # the token and the event it met are consumed: that is all
    drained.__name__ = f"__drain_{index}"
    return drained


def stream(reaction: Reaction) -> str:
    """The stream a reaction counts: a reaction with `where` listens only to the events that met it."""
    return f"{reaction.name}|{reaction.id}" if reaction.where else reaction.name


def register(workflow_id: str, reactions: tuple[Reaction, ...]) -> ReactionSet | None:
    """The ruleset for these reactions; validated config only (everything was checked at load)."""
    if not reactions:
        return None
    digest = hashlib.sha256(json.dumps([r.model_dump(mode="json") for r in reactions], sort_keys=True,
                                       ensure_ascii=False).encode()).hexdigest()[:20]
    name = f"minsheng_{workflow_id}_{digest}"
    with _register_lock:
        if name in _registered:
            return _registered[name]
        result = ReactionSet(name=name, listens=frozenset((r.event, r.name) for r in reactions),
                             streams=frozenset((r.event, stream(r)) for r in reactions))
        definition = ruleset(name)
        with definition:
            for reaction in reactions:
                result.reactions[reaction.id] = reaction
                condition = (m.event == reaction.event) & (m.name == stream(reaction))
                terms = [getattr(c, f"e{i}") << condition for i in range(reaction.count)]
                when_all(*terms)(_noting(reaction.id))
            for index, (event, stream_name) in enumerate(sorted(result.streams)):
                drained = (m.event == event) & (m.name == stream_name)
                when_all(c.token << ((m.event == DRAIN) & (m.name == stream_name)), c.pending << drained)(
                    _draining(index))
        _host.register_rulesets(dict([definition.define()]))
        _registered[name] = result
        return result
