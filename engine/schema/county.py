"""county.yaml: who the profile is for. Townships, liaison stations, channels, roles, actions."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from engine.kernel.clock import now
from engine.schema.base import ConfigModel, Identifier, Labelled

# Role id that stands for everyone, signed in or not. It is the engine's, not a county's.
PUBLIC = "public"

# Names every workflow condition and decision table may read besides the record's own values:
# the county's date when the rule is applied, so a rule can hold on some days of every year
# (`today >= date('09-15')`) without an edit when the year turns. A field, gathered list or count
# of the same name is the record's own and wins. (Types in the expression language's words.)
CLOCK_NAMES = {"today": "date", "this_year": "number"}

# Actions that are not tied to one form. Each is granted to roles in county.yaml `permissions`.
GLOBAL_ACTIONS = ("manage_users", "view_audit", "edit_profile")


class Township(ConfigModel):
    id: Identifier
    """Short code used in the data and in other files (letters, digits, _), e.g. t01."""
    name: str
    """The township's name as people write it."""
    name_en: str | None = None
    """Its English name, if any."""


class Station(ConfigModel):
    """A deputies' liaison station; it belongs to one township."""

    id: Identifier
    """Short code of the station, e.g. s01."""
    name: str
    """The station's name as people write it."""
    name_en: str | None = None
    """Its English name, if any."""
    township: Identifier
    """The id of the township it belongs to."""


class Group(ConfigModel):
    """A group of people who follow some of the records together, e.g. a supervision group that
    the congress assigns projects to. Accounts belong to groups (minsheng user add --group); a
    workflow's sheet marked `group_only` is filed only by members of the record's group."""

    id: Identifier
    """Short code of the group, e.g. g1."""
    name: str
    """The group's name as people write it."""
    name_en: str | None = None
    """Its English name, if any."""


class Channel(Labelled):
    """Where a suggestion came in. Offline channels are sessions held by deputies at a station."""

    id: Identifier
    """Short code of the channel, e.g. hotline_12345."""
    kind: Literal["online", "offline"]
    """online (platform, hotline, chat group) or offline (met in person)."""


class Role(Labelled):
    id: Identifier
    """Short code of the role, used in access lists, e.g. liaison_staff."""
    description: str | None = None
    """What people with this role do."""


class Permissions(ConfigModel):
    manage_users: tuple[Identifier, ...] = ()
    """Roles that may create accounts and reset passwords."""
    view_audit: tuple[Identifier, ...] = ()
    """Roles that may read the audit log."""
    edit_profile: tuple[Identifier, ...] = ()
    """Roles that may change the profile in the app's policy page and publish it as a
    new version. Nobody may, unless named here; the files can always be edited on disk."""


class SignIn(ConfigModel):
    """How staff sign in: password rules, throttling of wrong guesses, how long a session lasts."""

    password_min_length: Annotated[int, Field(ge=8, le=128)] = 10
    """The shortest password an account may have."""
    password_min_strength: Annotated[int, Field(ge=0, le=4)] = 3
    """How hard a password must be to guess, 0 (anything) to 4 (very hard), as zxcvbn scores it:
    common passwords, keyboard runs, names and dates score low and are refused."""
    delay_after_failures: Annotated[int, Field(ge=1, le=100)] = 3
    """After this many wrong passwords in a row, each further try must wait (2, 4, 8 ... seconds,
    at most 5 minutes), for the account and for the computer it comes from."""
    lock_after_failures: Annotated[int, Field(ge=2, le=1000)] = 10
    """After this many wrong passwords in a row the account is locked until an administrator
    unlocks it (`minsheng user unlock NAME`)."""
    idle_minutes: Annotated[int, Field(ge=1, le=1440)] = 30  # at most a day
    """A session unused this long ends; the person signs in again."""
    session_hours: Annotated[int, Field(ge=1, le=168)] = 12  # at most a week
    """A session ends this long after signing in, however busy."""


class County(ConfigModel):
    id: Identifier
    """Short code of the county, in lower-case letters."""
    name: str
    """The county's name as printed."""
    name_en: str | None = None
    """Its English name."""
    congress: str
    """The body that runs the chain, as printed on letters and notices."""
    year: Annotated[int, Field(ge=2000, le=2100)]
    """The year of the cycle this profile runs."""
    receipt_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,6}$")]
    """Capital letters put in front of every receipt code (one to six)."""
    townships: Annotated[tuple[Township, ...], Field(min_length=1)]
    """Every township of the county."""
    stations: tuple[Station, ...] = ()
    """Every deputies' liaison station, each in one township."""
    channels: Annotated[tuple[Channel, ...], Field(min_length=1)]
    """The ways a suggestion can come in."""
    groups: tuple[Group, ...] = ()
    """Groups that records are assigned to (supervision groups, say); none by default."""
    township_rules: tuple[Identifier, ...] = ()
    """Rule files (by id, e.g. screening) a township may have its own version of, holding only what
    differs: townships/<township id>/rules/<id>.yaml. That township's records are decided by it."""
    roles: Annotated[tuple[Role, ...], Field(min_length=1)]
    """The kinds of account; forms and imports say which roles may do what."""
    permissions: Permissions = Permissions()
    """Roles allowed the actions that belong to no form."""
    sign_in: SignIn = SignIn()
    """Password rules, throttling of wrong passwords, session lifetimes."""
    date_format: str = "{year}-{month:02d}-{day:02d}"
    """How printed documents write a date: a Python format with {year}, {month} and {day}."""
    letterhead: tuple[str, ...] = ()
    """The letterhead printed at the top of letters and notices, one line each (the issuing
    body's name first, then address or telephone)."""
    time_zone: str = "Asia/Shanghai"
    """The county's time zone (an IANA name): the day a submission window opens and closes is the
    county's own day, from midnight to midnight."""

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone; write an IANA name such as Asia/Shanghai") from None
        return value

    def today(self, at: dt.datetime | None = None) -> dt.date:
        """The county's date now, or at a moment (the engine's clock, in the county's time zone)."""
        at = at or now()
        if at.tzinfo is None:  # a stored moment read back without its zone (SQLite) is UTC
            at = at.replace(tzinfo=dt.timezone.utc)
        return at.astimezone(zoneinfo.ZoneInfo(self.time_zone)).date()

    def clock_values(self, at: dt.datetime | None = None) -> dict[str, object]:
        """The values of CLOCK_NAMES now, or at the moment a decision was made."""
        day = self.today(at)
        return {"today": day, "this_year": day.year}

    def date_text(self, day: dt.date | None) -> str:
        """A date as the county's documents print it; empty for no date."""
        return "" if day is None else self.date_format.format(year=day.year, month=day.month, day=day.day)

    def choices(self, target: str) -> list[tuple[str, str, str | None]]:
        """(id, label, label_en) of a list reference fields choose from: townships, stations,
        channels or groups."""
        if target == "townships":
            return [(t.id, t.name, t.name_en) for t in self.townships]
        if target == "stations":
            return [(s.id, s.name, s.name_en) for s in self.stations]
        if target == "channels":
            return [(c.id, c.label, c.label_en) for c in self.channels]
        if target == "groups":
            return [(g.id, g.name, g.name_en) for g in self.groups]
        raise KeyError(target)

    def township(self, township_id: str) -> Township:
        return next(t for t in self.townships if t.id == township_id)
