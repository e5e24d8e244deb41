"""What every `minsheng` command shares: the console, the --config option, and `friendly`, which
turns a user's mistake into a plain message and exit code 1 and logs a bug instead of showing it."""
from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console

from apps.i18n import denied_text, problem_text, refusal_text
from engine.kernel.errors import ConfigError, InputError, MinshengError, NotFound, PermissionDenied

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("minsheng")

ConfigOption = typer.Option("config", "--config", "-c", help="Profile folder.")
LOG_FILE = Path(os.environ.get("MINSHENG_LOG", "data/minsheng.log"))


def log_bug() -> None:
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=LOG_FILE, level=logging.INFO)
    log.exception("unexpected error")


def friendly(command: Callable) -> Callable:
    """Turn a user's error into a message and exit code 1; log a bug instead of showing it."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ConfigError as exc:
            for problem in exc.problems:
                err.print(str(problem), markup=False, highlight=False)
            err.print(f"{len(exc.problems)} problem(s) found.")
        except InputError as exc:
            for fid, problem in exc.problems.items():
                line = f"{fid}: {problem_text(problem, 'en')}" if fid else problem_text(problem, "en")
                err.print(f"error: {line}", markup=False, highlight=False)
        except PermissionDenied as exc:
            err.print(f"error: {denied_text(exc, 'en')}", markup=False)
        except NotFound as exc:
            err.print(f"error: not found: {exc}")
        except MinshengError as exc:
            err.print(f"error: {refusal_text(exc, 'en') or exc}", markup=False)
        except (KeyboardInterrupt, typer.Exit, typer.Abort, SystemExit, typer.BadParameter):
            raise  # a wrong argument is said by typer, with the command's usage
        except Exception:  # a bug: keep the traceback out of the user's way, in the log
            log_bug()
            err.print(f"internal error; the details are in {LOG_FILE}")
            raise typer.Exit(2)
        raise typer.Exit(1)
    return wrapper


def runtime_for(config: str):
    """The runtime of this profile folder on the configured database (imported here, as every
    command does: `minsheng --help` should not load the engine)."""
    from engine.core.runtime import Runtime
    return Runtime.open(config)


def acting_user(rt, username: Optional[str]):
    """--as USER: act with that account's roles and township; by default as the system."""
    from engine.core.accounts import list_users
    from engine.core.actors import SYSTEM
    if not username:
        return SYSTEM
    found = next((u for u in list_users(rt, SYSTEM) if u.username == username), None)
    if found is None:
        raise NotFound(f"user '{username}'")
    return found
