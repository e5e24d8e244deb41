"""county.yaml: who the profile is for. Townships, liaison stations, channels, roles, actions."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from engine.config.base import ConfigModel, Identifier, Labelled

# Role id that stands for everyone, signed in or not. It is the engine's, not a county's.
PUBLIC = "public"

# Actions that are not tied to one form. Each is granted to roles in county.yaml `permissions`.
GLOBAL_ACTIONS = ("manage_users", "view_audit")


class Township(ConfigModel):
    id: Identifier
    name: str
    name_en: str | None = None


class Station(ConfigModel):
    """A deputies' liaison station; it belongs to one township."""

    id: Identifier
    name: str
    name_en: str | None = None
    township: Identifier


class Channel(Labelled):
    """Where a suggestion came in. Offline channels are sessions held by deputies at a station."""

    id: Identifier
    kind: Literal["online", "offline"]


class Role(Labelled):
    id: Identifier
    description: str | None = None


class Permissions(ConfigModel):
    manage_users: tuple[Identifier, ...] = ()
    view_audit: tuple[Identifier, ...] = ()


class County(ConfigModel):
    id: Identifier
    name: str
    name_en: str | None = None
    congress: str = Field(description="The body that runs the chain, as printed on letters and notices.")
    year: Annotated[int, Field(ge=2000, le=2100)]
    receipt_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,6}$")] = Field(
        description="Capital letters put in front of every receipt code, e.g. SZ."
    )
    townships: Annotated[tuple[Township, ...], Field(min_length=1)]
    stations: tuple[Station, ...] = ()
    channels: Annotated[tuple[Channel, ...], Field(min_length=1)]
    roles: Annotated[tuple[Role, ...], Field(min_length=1)]
    permissions: Permissions = Permissions()

    def township(self, township_id: str) -> Township:
        return next(t for t in self.townships if t.id == township_id)
