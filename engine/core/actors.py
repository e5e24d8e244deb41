"""Who is acting, and the one place where roles are checked against an action."""
from __future__ import annotations

from dataclasses import dataclass

from engine.schema.county import PUBLIC
from engine.kernel.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    username: str
    display_name: str
    roles: frozenset[str]
    township: str | None = None
    station: str | None = None  # staff of one liaison station (within their township)
    groups: frozenset[str] = frozenset()  # the county's groups this person belongs to (none: not limited)

    @property
    def signed_in(self) -> bool:
        return self.username != PUBLIC

    def may(self, allowed_roles: tuple[str, ...] | frozenset[str]) -> bool:
        return PUBLIC in allowed_roles or bool(self.roles & set(allowed_roles))


ANONYMOUS = Actor(username=PUBLIC, display_name="", roles=frozenset({PUBLIC}))
# The command line on the server runs as the operating-system administrator.
SYSTEM = Actor(username="system", display_name="system", roles=frozenset({"*"}))


def require(actor: Actor, allowed_roles: tuple[str, ...], action: str) -> None:
    """Refuse the action unless one of the actor's roles is allowed (the CLI's SYSTEM always is)."""
    if actor is SYSTEM or actor.may(allowed_roles):
        return
    raise PermissionDenied(action)


def in_scope(actor: Actor, township: str | None, station: str | None = None) -> bool:
    """Staff tied to a township (and a station) act on that township's (station's) records only."""
    if actor is SYSTEM:
        return True
    if actor.township and township and actor.township != township:
        return False
    return not (actor.station and station and actor.station != station)


def in_group(actor: Actor, group: str | None) -> bool:
    """Members of groups act, where a sheet is for the record's group only, on their groups'
    records only (a record assigned to none is no group's); accounts in no group are not limited."""
    return actor is SYSTEM or not actor.groups or group in actor.groups


def require_group(actor: Actor, group: str | None) -> None:
    if not in_group(actor, group):
        raise PermissionDenied(f"group:{group or ''}")


def require_township(actor: Actor, township: str | None, station: str | None = None) -> None:
    """Refuse unless the record is in the actor's township and, for station staff, station."""
    if not in_scope(actor, township, station):
        raise PermissionDenied(f"station:{station}" if township == actor.township else f"township:{township}")
