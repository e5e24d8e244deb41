"""Local accounts: argon2-hashed passwords that follow the profile's rules, roles from the
profile, audited changes. Signing in is engine.core.signin."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import func, select
from zxcvbn import zxcvbn

from engine.store.audit import audit
from engine.kernel.errors import InputError, NotFound, Problem
from engine.core.runtime import Runtime
from engine.core.actors import Actor, require
from engine.store.tables import User

HASHER = PasswordHasher()
LONGEST_PASSWORD = 128  # zxcvbn's time grows with the length; no one types more


def actor_of(user: User) -> Actor:
    return Actor(username=user.username, display_name=user.display_name,
                 roles=frozenset(user.roles), township=user.township, station=user.station,
                 groups=frozenset(user.groups or ()))


def session_stamp(user: User) -> str:
    """What a signed-in session was granted on: the password, roles, township, station, groups
    and state of the account. A session keeps it from signing in, and ends as soon as the account
    no longer has the same (a reset password, a role taken away, a lock, a deactivation, removal)."""
    granted = [user.password_hash, sorted(user.roles or ()), user.township, user.station,
               sorted(user.groups or ()), bool(user.active), user.locked_at is not None]
    return hashlib.sha256(json.dumps(granted, ensure_ascii=False).encode()).hexdigest()


def stamp_of(rt: Runtime, username: str) -> str | None:
    """The account's session stamp now, or None if it no longer exists."""
    with rt.db.read() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        return session_stamp(user) if user is not None else None


def session_actor(rt: Runtime, username: str, stamp: str | None) -> Actor | None:
    """The signed-in account as it is now, or None when the session must end: the account is
    gone, inactive, locked, or its password, roles or scope changed since the session's stamp.
    One indexed read a page run, so every app process ends the session at once."""
    with rt.db.read() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active or user.locked_at is not None or session_stamp(user) != stamp:
            return None
        return actor_of(user)


def password_problem(rt: Runtime, password: str, *about: str) -> Problem | None:
    """Why this password may not be used (too short, too long, too easy to guess), or None.
    `about`: the account's name and display name, which a password must not be made of."""
    policy = rt.profile.county.sign_in
    if len(password) < policy.password_min_length:
        return Problem("minLength", {"limit": policy.password_min_length})
    if len(password) > LONGEST_PASSWORD:
        return Problem("maxLength", {"limit": LONGEST_PASSWORD})
    words = [w for w in about if w] + [rt.profile.county.name, rt.profile.county.id]
    if zxcvbn(password, user_inputs=words)["score"] < policy.password_min_strength:
        return Problem("weak_password")
    return None


def _group_problems(rt: Runtime, groups: list[str]) -> dict[str, Problem]:
    unknown = [g for g in groups if g not in {g.id for g in rt.profile.county.groups}]
    return {"groups": Problem("unknown_groups", {"groups": ", ".join(unknown)})} if unknown else {}


def _check(rt: Runtime, username: str, display_name: str, roles: list[str], township: str | None,
           station: str | None, password: str | None, groups: list[str]) -> None:
    known = {r.id for r in rt.profile.county.roles}
    problems = {}
    if not username or not username.replace("_", "").isalnum() or not username.isascii():
        problems["username"] = Problem("bad_username")
    if not display_name or not display_name.strip():
        problems["display_name"] = Problem("required")
    unknown = [r for r in roles if r not in known]
    if not roles or unknown:
        problems["roles"] = Problem("unknown_roles", {"roles": ", ".join(unknown)})
    if township and township not in {t.id for t in rt.profile.county.townships}:
        problems["township"] = Problem("enum")
    if station and station not in rt.stations_of(township):  # a station of the account's township
        problems["station"] = Problem("enum")
    if password is not None and (problem := password_problem(rt, password, username, display_name)):
        problems["password"] = problem
    problems.update(_group_problems(rt, groups))
    if problems:
        raise InputError(problems)


def create_user(rt: Runtime, actor: Actor, username: str, display_name: str, roles: list[str],
                password: str, township: str | None = None, demo: bool = False, station: str | None = None,
                groups: list[str] | tuple[str, ...] = ()) -> Actor:
    """A new account. `demo`: an account of the demo year, whose password is the demo's (it is
    not held to the rules, and signs in only in a database the demo made)."""
    require(actor, rt.profile.roles_for("manage_users"), "manage_users")
    if station and not township:  # a station's staff belong to its township
        township = next((s.township for s in rt.profile.county.stations if s.id == station), None)
    groups = sorted(set(groups))
    _check(rt, username, display_name, roles, township, station, None if demo else password, groups)
    with rt.db.transaction() as session:
        if session.scalars(select(User).where(User.username == username)).first():
            raise InputError({"username": Problem("taken")})
        user = User(username=username, display_name=display_name, roles=sorted(roles),
                    township=township, station=station, groups=groups, password_hash=HASHER.hash(password),
                    active=True, demo=demo)
        session.add(user)
        session.flush()
        audit(session, actor=actor.username, action="user.create", entity="user", entity_id=username,
              before=None, after={"display_name": display_name, "roles": sorted(roles), "township": township,
                                  "station": station, "groups": groups, "demo": demo}, version=None)
        return actor_of(user)


def set_groups(rt: Runtime, actor: Actor, username: str, groups: list[str] | tuple[str, ...]) -> None:
    """Put an account in these groups (none: in no group). It takes effect at the next sign-in."""
    require(actor, rt.profile.roles_for("manage_users"), "manage_users")
    groups = sorted(set(groups))
    if problems := _group_problems(rt, groups):
        raise InputError(problems)
    with rt.db.transaction() as session:
        user = session.scalars(rt.db.for_update(select(User).where(User.username == username))).first()
        if user is None:
            raise NotFound("user")
        before = sorted(user.groups or ())
        if before == groups:
            return
        user.groups = groups
        audit(session, actor=actor.username, action="user.groups", entity="user", entity_id=username,
              before={"groups": before}, after={"groups": groups}, version=None)


def set_password(rt: Runtime, actor: Actor, username: str, password: str) -> None:
    """An administrator resets anyone's password; a user may change their own."""
    if actor.username != username:
        require(actor, rt.profile.roles_for("manage_users"), "manage_users")
    with rt.db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound("user")
        if problem := password_problem(rt, password, username, user.display_name):
            raise InputError({"password": problem})
        user.password_hash = HASHER.hash(password)
        user.demo = False  # a password of its own: no longer the demo's
        audit(session, actor=actor.username, action="user.password", entity="user", entity_id=username,
              before=None, after=None, version=None)


@dataclass(frozen=True)
class AccountView:
    """An account as an administrator manages it: who, what they may do, and whether it needs care."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    township: str | None
    station: str | None
    groups: tuple[str, ...]
    active: bool
    locked: bool  # too many wrong passwords: signing in is refused until an administrator unlocks it
    demo: bool  # still on the demo's password


def account_views(rt: Runtime, actor: Actor) -> list[AccountView]:
    """Every account, locked ones first, then by township and name."""
    require(actor, rt.profile.roles_for("manage_users"), "manage_users")
    with rt.db.read() as session:
        users = session.scalars(select(User).order_by(User.locked_at.is_(None), User.township, User.username)).all()
        return [AccountView(u.username, u.display_name, tuple(u.roles), u.township, u.station, tuple(u.groups or ()),
                            u.active,
                            u.locked_at is not None, u.demo) for u in users]


def accounts_needing_care(session) -> dict[str, int]:
    """How many active accounts are locked, and how many still sign in with the demo's password."""
    locked, demo = session.execute(select(
        func.count().filter(User.locked_at.is_not(None)), func.count().filter(User.demo.is_(True))).where(
        User.active.is_(True))).one()
    return {"locked": locked or 0, "demo_password": demo or 0}


def list_users(rt: Runtime, actor: Actor) -> list[Actor]:
    require(actor, rt.profile.roles_for("manage_users"), "manage_users")
    with rt.db.read() as session:
        return [actor_of(u) for u in session.scalars(select(User).order_by(User.username))]


def display_names(rt: Runtime, usernames) -> dict[str, str]:
    """The people's names for these accounts (a history shows who, not a login name); names
    not found (the system, the public, a removed account) are left out."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    with rt.db.read() as session:
        return dict(session.execute(select(User.username, User.display_name).where(User.username.in_(wanted))).all())
