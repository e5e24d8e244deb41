"""demo.yaml: the size and accounts of the demo year that `minsheng demo` seeds."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from engine.config.base import ConfigModel, Identifier


class DemoAccount(ConfigModel):
    username: Identifier
    display_name: str
    roles: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    township: Identifier | None = None
    password: Annotated[str, Field(min_length=4)]


class Demo(ConfigModel):
    seed: int = 1
    offline_sessions: Annotated[int, Field(ge=0)]
    suggestions: Annotated[int, Field(ge=0)]
    session_form: Identifier
    suggestion_form: Identifier
    accounts: tuple[DemoAccount, ...] = ()
    suggestion_samples: Annotated[tuple[dict[Identifier, Any], ...], Field(min_length=1)] = Field(
        description="Field values that demo suggestions are drawn from (title, content, category ...)."
    )
    session_samples: tuple[dict[Identifier, Any], ...] = ()
    phone_template: str = Field(
        default="{:011d}", description="How demo phone numbers are written: a Python format for a number.")
    online_share: Annotated[int, Field(ge=0, le=100)] = Field(
        default=40, description="Percent of demo suggestions that come in online; the rest at sessions.")
    people: Annotated[tuple[str, ...], Field(min_length=1)] = Field(
        description="Names given to demo proposers and deputies."
    )
