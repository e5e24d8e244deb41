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


def require_township(actor: Actor, township: str | None) -> None:
    """Staff tied to a township act on that township's records only."""
    if actor is SYSTEM or not actor.township or not township or actor.township == township:
        return
    raise PermissionDenied(f"township:{township}")
