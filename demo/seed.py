"""Seed a profile's demo year: accounts, offline sessions at every station, and suggestions.

Everything is drawn from demo.yaml's seed, so two runs make the same sessions and suggestions
(receipt codes and timestamps aside, which are random and real by design). Values are made from
each field's type, so another county's forms work without code: demo.yaml's samples fill the
fields that need realistic words.
"""
from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select

from engine.kernel.errors import InputError, MinshengError
from engine.core.runtime import Runtime
from demo.schema import demo_of
from engine.kernel import clock
from engine.core import accounts, records
from engine.core.signin import DEMO_DATABASE
from engine.store.audit import audit
from engine.core.actors import ANONYMOUS, SYSTEM, Actor
from demo.samples import is_iso_date, own_date, raw_values_for
from demo.stages import seed_stages
from engine.store.tables import Record, User


def seed_demo(rt: Runtime) -> list[str]:
    demo = demo_of(rt.profile)
    if demo is None:
        raise MinshengError("this profile has no demo.yaml")
    rng = random.Random(demo.seed)
    county = rt.profile.county
    people = list(demo.people)
    lines: list[str] = []

    with rt.db.transaction() as session:
        existing_users = set(session.scalars(select(User.username)))
        already = session.scalar(select(func.count()).select_from(Record)
                                 .where(Record.form_id == demo.session_form)) or 0
        if not existing_users and not session.scalar(select(func.count()).select_from(Record)):
            # an empty database: the demo makes it, so the demo's accounts may sign in here (only here)
            audit(session, actor=SYSTEM.username, action=DEMO_DATABASE, entity="database", entity_id="demo",
                  before=None, after={"profile": rt.version}, version=rt.version)
    made = 0
    for account in demo.accounts:
        if account.username not in existing_users:
            accounts.create_user(rt, SYSTEM, account.username, account.display_name, list(account.roles),
                                 account.password, account.township, demo=True, groups=account.groups)
            made += 1
    lines.append(f"accounts: {made} created, {len(demo.accounts) - made} already there")
    if already:
        lines.append(f"demo records already present ({already} sessions): nothing added")
        return lines

    session_form = rt.form(demo.session_form)
    stations = list(county.stations) or []
    if not stations:
        raise MinshengError("the demo needs liaison stations in county.yaml")

    # Offline sessions, spread over every station in turn.
    sessions_by_station: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i in range(demo.offline_sessions):
        station = stations[i % len(stations)]
        raw = raw_values_for(session_form.form, rng, rt, people, demo.phone_template, demo.session_samples,
                       township=station.township, station=station.id)
        with clock.at(own_date(raw)):
            record = records.submit(rt, _staff_for(rt, demo, station.township), demo.session_form, raw)
        sessions_by_station.setdefault(station.id, []).append((record.id, record.data))
    lines.append(f"offline sessions: {demo.offline_sessions} at {min(len(stations), demo.offline_sessions)} stations")

    # Suggestions, every township in turn; most raised at that township's sessions.
    suggestion_form = rt.form(demo.suggestion_form)
    session_field = next((f for f in suggestion_form.form.fields
                          if f.type == "reference" and f.to == f"form:{demo.session_form}"), None)
    channel_field = next((f for f in suggestion_form.form.fields if f.to == "channels"), None)
    townships = list(county.townships)
    counted: dict[str, int] = {}
    made: list[tuple[int, dict[str, Any]]] = []
    duplicates = demo.screening.duplicates if demo.screening else 0
    for i in range(demo.suggestions - duplicates):  # the duplicates are entered with the screening
        township = townships[i % len(townships)]
        station = next((s for s in stations if s.township == township.id), stations[0])
        raw = raw_values_for(suggestion_form.form, rng, rt, people, demo.phone_template, demo.suggestion_samples,
                       township=township.id, station=station.id)
        actor: Actor = ANONYMOUS
        if channel_field is not None:
            channel = _pick_channel(rt, suggestion_form, channel_field, session_field, rng, demo.online_share,
                                    bool(sessions_by_station.get(station.id)))
            raw[channel_field.id] = channel
            if session_field is not None and session_field.id in suggestion_form.visible_fields(raw):
                candidates = sessions_by_station[station.id]
                matching = [c for c in candidates if channel in c[1].values()] or candidates
                session_id, session_data = rng.choice(matching)
                raw[session_field.id] = session_id
                for f in suggestion_form.form.fields:  # raised at the session: same day
                    if f.type == "date" and f.required:
                        raw[f.id] = next((v for v in session_data.values() if is_iso_date(v)), raw.get(f.id))
                actor = _staff_for(rt, demo, township.id)
            counted[channel] = counted.get(channel, 0) + 1
            if channel != channel_field.default:
                actor = _staff_for(rt, demo, township.id)  # staff record what came by the hotline, chat groups and sessions
        try:
            with clock.at(own_date(raw)):
                view = records.submit(rt, _submitter(demo, suggestion_form.form.access.submit, actor, township.id),
                                      demo.suggestion_form, raw)
        except InputError as exc:
            raise MinshengError(f"demo.yaml makes an invalid {demo.suggestion_form}: {exc}") from None
        made.append((view.id, raw))
    by_channel = ", ".join(f"{rt.reference_label('channels', c)} {n}" for c, n in sorted(counted.items()))
    lines.append(f"suggestions: {len(made)} from {len(townships)} townships ({by_channel})")
    lines += seed_stages(rt, demo, rng, made, demo.phone_template)
    if demo.next_suggestions:
        lines.append(_next_intake(rt, demo, rng, suggestion_form, people))
    return lines


def _next_intake(rt: Runtime, demo, rng: random.Random, compiled, people: list[str]) -> str:
    """The next year's first suggestions, in the township of the demo account that screens (so
    it and its liaison staff have work waiting), a week after the demo year's last stage."""
    wf = rt.profile.workflows.get(compiled.form.workflow or "")
    sheet = wf.sheet(demo.screening.sheet) if wf and demo.screening else None
    township = next((a.township for a in demo.accounts if a.township and sheet and set(a.roles) & set(sheet.roles)),
                    rt.profile.county.townships[0].id)
    station = next((s.id for s in rt.profile.county.stations if s.township == township), None)
    last = demo.calendar.evaluation if demo.calendar else None
    day = (last + dt.timedelta(days=7)) if last else clock.now().date()
    for _ in range(demo.next_suggestions):
        raw = raw_values_for(compiled.form, rng, rt, people, demo.phone_template, demo.suggestion_samples,
                             township=township, station=station)
        raw.update({f.id: day.isoformat() for f in compiled.form.fields if f.type == "date" and f.id in raw})
        with clock.at(day):
            records.submit(rt, _submitter(demo, compiled.form.access.submit, ANONYMOUS, township),
                           demo.suggestion_form, raw)
    return (f"next year's intake: {demo.next_suggestions} suggestions in "
            f"{rt.reference_label('townships', township)} waiting to be screened")


def _pick_channel(rt, compiled, channel_field, session_field, rng, online_share: int, has_sessions: bool) -> str:
    """An online channel online_share% of the time, else one that makes the session field apply."""
    channels = [c.id for c in rt.profile.county.channels]
    at_session = [c for c in channels if session_field is not None
                  and session_field.id in compiled.visible_fields({channel_field.id: c})]
    online = [c.id for c in rt.profile.county.channels if c.kind == "online"] or channels
    if at_session and has_sessions and rng.randrange(100) >= online_share:
        return rng.choice(at_session)
    return rng.choice(online)


def _submitter(demo, allowed: tuple[str, ...], actor: Actor, township: str) -> Actor:
    """Who submits a demo suggestion, as the profile's form allows: the staff member or citizen
    the channel gives, else a demo account with a role the form accepts (where only deputies may
    propose, a deputy), within the township; the system only if no demo account may."""
    if actor.may(allowed):
        return actor
    if ANONYMOUS.may(allowed):
        return ANONYMOUS
    fitting = sorted((a for a in demo.accounts if set(allowed) & set(a.roles) and a.township in (township, None)),
                     key=lambda a: a.township is None)
    if fitting:
        account = fitting[0]
        return Actor(account.username, account.display_name, frozenset(account.roles), account.township)
    return SYSTEM


def _staff_for(rt: Runtime, demo, township: str) -> Actor:
    """A demo account allowed to record sessions in this township: its own township's staff first
    (they hold the sessions), else county staff; staff tied to another township may not enter it."""
    allowed = set(rt.profile.forms[demo.session_form].access.submit)
    fitting = [a for a in demo.accounts if allowed & set(a.roles) and a.township in (township, None)]
    fitting.sort(key=lambda a: a.township is None)
    if fitting:
        account = fitting[0]
        return Actor(account.username, account.display_name, frozenset(account.roles), account.township)
    return SYSTEM
