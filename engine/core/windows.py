"""A form's submission window (access.submit_window): outside its days the form takes nothing,
from anyone but the system itself (the command line's imports and the demo's own clock)."""
from __future__ import annotations

from engine.core.actors import SYSTEM, Actor
from engine.kernel.errors import InputError, Problem
from engine.schema.county import County
from engine.schema.forms import Form


def window_refusal(county: County, form: Form) -> Problem | None:
    """Why the form takes no submission today, or None while its window is open."""
    window = form.access.submit_window
    if window is None or window.contains(county.today()):
        return None
    return Problem("form_closed_yearly" if window.yearly else "form_closed", {"opens": window.from_, "closes": window.to})


def require_open(county: County, form: Form, actor: Actor) -> None:
    """Refuse a submission outside the form's window, in words that say when it opens."""
    refusal = None if actor is SYSTEM else window_refusal(county, form)
    if refusal is not None:
        raise InputError({"": refusal})
