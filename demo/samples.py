"""Made-up values for the demo's records: dates within the demo year, a plausible value for a
field from its type, a suggestion's or a session's values from the profile's samples."""
from __future__ import annotations

import datetime as dt
import random
from typing import Any

from engine.core.runtime import Runtime
from engine.schema.forms import Field


def date_in(rng: random.Random, year: int, first_month: int = 1, last_month: int = 6) -> dt.date:
    start = dt.date(year, first_month, 1)
    end = dt.date(year, last_month + 1, 1) if last_month < 12 else dt.date(year, 12, 31)
    return start + dt.timedelta(days=rng.randrange((end - start).days))


def value_for(f: Field, rng: random.Random, rt: Runtime, people: list[str], phone_template: str) -> Any:
    """A plausible value for a field from its type alone (samples override it)."""
    county = rt.profile.county
    if f.type == "date":
        return date_in(rng, county.year)
    if f.type == "choice":
        return rng.choice(f.options).id
    if f.type == "multichoice":
        return [o.id for o in rng.sample(list(f.options), k=min(2, len(f.options)))]
    if f.type in ("integer", "score"):
        low = int(f.min) if f.min is not None else 1
        high = int(f.max) if f.max is not None else (f.scale or 100)
        return rng.randint(low, max(low, min(high, low + 150)))
    if f.type == "money":
        low = int(f.min) if f.min is not None else 0
        return str(low + rng.randrange(1, 500) * 1000)
    if f.type == "phone":
        return phone_template.format(rng.randrange(10 ** 8))
    if f.type == "textarea":
        return "\n".join(rng.sample(people, k=min(3, len(people))))
    if f.type == "text":
        return rng.choice(people)
    return None  # references, files: set by the caller or left empty


def raw_values_for(form, rng, rt, people, phone_template, samples, township: str, station: str) -> dict[str, Any]:
    sample = dict(rng.choice(samples)) if samples else {}
    raw: dict[str, Any] = {}
    for f in form.fields:
        if f.id in sample:
            raw[f.id] = sample[f.id]
        elif f.type == "reference" and f.to == "townships":
            raw[f.id] = township
        elif f.type == "reference" and f.to == "stations":
            raw[f.id] = station
        elif f.type in ("reference", "file") or (not f.required and rng.random() < 0.3):
            continue
        else:
            value = value_for(f, rng, rt, people, phone_template)
            if value is not None:
                raw[f.id] = value
    return raw


def own_date(raw: dict[str, Any]) -> dt.date | None:
    """The first date among a form's values (the day a session was held, a suggestion made, an
    inspection held ...): the demo stamps the record with it."""
    return next((dt.date.fromisoformat(v) for v in raw.values() if is_iso_date(v)), None)


def is_iso_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(value)
        return isinstance(value, str) and len(value) == 10
    except (TypeError, ValueError):
        return False
