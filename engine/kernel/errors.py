"""Typed errors. Library code raises these; only the CLI and the app decide how to show them.

A user's mistake (bad config, bad input, a refused action) is one of these classes and is shown
as a plain message. Anything else is a bug and goes to the log with its traceback.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in one profile file, located as precisely as the loader could."""

    file: str
    line: int | None
    crumbs: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.crumbs:
            return f"{where}: At {' -> '.join(self.crumbs)}: {self.message}"
        return f"{where}: {self.message}"


class MinshengError(Exception):
    """Base of every error that is the user's to fix, not a bug."""


class ConfigError(MinshengError):
    """A profile is invalid. Carries every problem found, not only the first."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Problem:
    """What is wrong with one value, as a code and parameters; the app words it in the user's language."""

    code: str
    params: dict = field(default_factory=dict)


class InputError(MinshengError):
    """Submitted data is invalid. ``problems`` maps a field id ('' for the whole form) to a Problem."""

    def __init__(self, problems: dict[str, Problem]):
        self.problems = problems
        super().__init__("; ".join(f"{k or '*'}: {p.code} {p.params}" for k, p in problems.items()))


class PermissionDenied(MinshengError):
    """The acting user's roles do not allow the action. Checked on the server for every action."""


class NotFound(MinshengError):
    """No record matches (an unknown receipt code, say)."""
