"""`minsheng user`: local accounts. Like every command, each imports the engine when it runs, so
`minsheng --help` starts at once."""
from __future__ import annotations

from typing import Optional

import typer

from apps.cli_base import ConfigOption, console, friendly, runtime_for

user_app = typer.Typer(help="Local accounts.", no_args_is_help=True)


@user_app.command("add")
@friendly
def user_add(
    username: str,
    name: str = typer.Option(..., "--name", help="Name shown in the app."),
    role: list[str] = typer.Option(..., "--role", help="A role id from county.yaml; repeat for several."),
    township: Optional[str] = typer.Option(None, help="Township id, for staff of one township."),
    station: Optional[str] = typer.Option(None, help="Liaison station id, for staff of one station (of its township)."),
    group: list[str] = typer.Option([], "--group", help="A group id from county.yaml (a supervision group); repeat for several."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    config: str = ConfigOption,
) -> None:
    """Create an account."""
    from engine.core import accounts
    from engine.core.actors import SYSTEM
    user = accounts.create_user(runtime_for(config), SYSTEM, username, name, list(role), password, township,
                                station=station, groups=list(group))
    console.print(f"created {user.username} ({', '.join(sorted(user.roles))})", markup=False)


@user_app.command("groups")
@friendly
def user_groups(username: str,
                group: list[str] = typer.Option([], "--group", help="A group id from county.yaml; repeat for several; "
                                                "none: the account leaves every group."),
                config: str = ConfigOption) -> None:
    """Set the groups an account belongs to (it takes effect at the account's next sign-in)."""
    from engine.core import accounts
    from engine.core.actors import SYSTEM
    accounts.set_groups(runtime_for(config), SYSTEM, username, list(group))
    console.print(f"{username}: groups {', '.join(sorted(set(group))) or '(none)'}", markup=False)


@user_app.command("passwd")
@friendly
def user_passwd(username: str, password: str = typer.Option(..., prompt=True, hide_input=True,
                                                             confirmation_prompt=True),
                config: str = ConfigOption) -> None:
    """Set an account's password."""
    from engine.core import accounts
    from engine.core.actors import SYSTEM
    accounts.set_password(runtime_for(config), SYSTEM, username, password)
    console.print(f"password changed for {username}", markup=False)


@user_app.command("list")
@friendly
def user_list(config: str = ConfigOption) -> None:
    """List accounts."""
    from engine.core import accounts
    from engine.core.actors import SYSTEM
    for user in accounts.list_users(runtime_for(config), SYSTEM):
        console.print(f"{user.username:20} {user.display_name:20} {', '.join(sorted(user.roles))} "
                      f"{user.township or ''}{' groups: ' + ', '.join(sorted(user.groups)) if user.groups else ''}",
                      markup=False)


@user_app.command("unlock")
@friendly
def user_unlock(username: str, config: str = ConfigOption) -> None:
    """Lift an account's lock after too many wrong passwords (and forget its wrong tries)."""
    from engine.core.actors import SYSTEM
    from engine.core.signin import unlock
    unlock(runtime_for(config), SYSTEM, username)
    console.print(f"{username} unlocked", markup=False)
