"""demo.yaml: the size and accounts of the demo year that `minsheng demo` seeds."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from engine.config.base import ConfigModel, Identifier


class DemoAccount(ConfigModel):
    username: Identifier
    """The name to sign in with."""
    display_name: str
    """The name shown in the app."""
    roles: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """Role ids from county.yaml."""
    township: Identifier | None = None
    """For staff of one township: its id."""
    password: Annotated[str, Field(min_length=4)]
    """The demo password (change it before real use)."""


class Demo(ConfigModel):
    seed: int = 1
    """Everything random in the demo is drawn from this number: the same seed, the same demo."""
    offline_sessions: Annotated[int, Field(ge=0)]
    """How many offline sessions to record, spread over every station."""
    suggestions: Annotated[int, Field(ge=0)]
    """How many suggestions to enter, spread over every township."""
    session_form: Identifier
    """The form offline sessions are recorded with."""
    suggestion_form: Identifier
    """The form suggestions are entered with."""
    accounts: tuple[DemoAccount, ...] = ()
    """Accounts to create for trying the app."""
    suggestion_samples: Annotated[tuple[dict[Identifier, Any], ...], Field(min_length=1)]
    """Field values that demo suggestions are drawn from (title, content, category ...)."""
    session_samples: tuple[dict[Identifier, Any], ...] = ()
    """Field values that demo sessions are drawn from (place, notes ...)."""
    phone_template: str = "{:011d}"
    """How demo phone numbers are written: a Python format for an 8-digit number, e.g. 139{:08d}."""
    online_share: Annotated[int, Field(ge=0, le=100)] = 40
    """Percent of demo suggestions that come in online; the rest are raised at sessions."""
    people: Annotated[tuple[str, ...], Field(min_length=1)]
    """Names given to demo proposers and deputies."""
