"""Local accounts: argon2-hashed passwords, roles from the profile, audited changes."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from engine.store.audit import audit
from engine.kernel.errors import InputError, NotFound, Problem
from engine.core.runtime import Runtime
from engine.core.actors import Actor, require
from engine.store.tables import User

_hasher = PasswordHasher()
# Verifying against a real hash when the user does not exist keeps the time the same, so the
# response does not tell an attacker which usernames exist.
_DUMMY_HASH = _hasher.hash("not a password")
MIN_PASSWORD = 4


def _actor(user: User) -> Actor:
    return Actor(username=user.username, display_name=user.display_name,
                 roles=frozenset(user.roles), township=user.township)


def authenticate(rt: Runtime, username: str, password: str) -> Actor | None:
    with rt.db.read() as session:
        user = session.scalars(select(User).where(User.username == username.strip())).first()
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or not user.active:
            return None
        return _actor(user)


def _check(rt: Runtime, username: str, roles: list[str], township: str | None, password: str | None) -> None:
    known = {r.id for r in rt.profile.county.roles}
    problems = {}
    if not username or not username.replace("_", "").isalnum() or not username.isascii():
        problems["username"] = Problem("bad_username")
    unknown = [r for r in roles if r not in known]
    if not roles or unknown:
        problems["roles"] = Problem("unknown_roles", {"roles": ", ".join(unknown)})
    if township and township not in {t.id for t in rt.profile.county.townships}:
        problems["township"] = Problem("enum")
    if password is not None and len(password) < MIN_PASSWORD:
        problems["password"] = Problem("minLength", {"limit": MIN_PASSWORD})
    if problems:
        raise InputError(problems)


def create_user(rt: Runtime, actor: Actor, username: str, display_name: str, roles: list[str],
                password: str, township: str | None = None) -> Actor:
    require(actor, rt.profile.roles_for("manage_users"), "manage_users")
    _check(rt, username, roles, township, password)
    with rt.db.transaction() as session:
        if session.scalars(select(User).where(User.username == username)).first():
            raise InputError({"username": Problem("taken")})
        user = User(username=username, display_name=display_name, roles=sorted(roles),
                    township=township, password_hash=_hasher.hash(password), active=True)
        session.add(user)
        session.flush()
        audit(session, actor=actor.username, action="user.create", entity="user", entity_id=username,
              before=None, after={"display_name": display_name, "roles": sorted(roles), "township": township},
              version=None)
        return _actor(user)


def set_password(rt: Runtime, actor: Actor, username: str, password: str) -> None:
    """An administrator resets anyone's password; a user may change their own."""
    if actor.username != username:
        require(actor, rt.profile.roles_for("manage_users"), "manage_users")
    if len(password) < MIN_PASSWORD:
        raise InputError({"password": Problem("minLength", {"limit": MIN_PASSWORD})})
    with rt.db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound("user")
        user.password_hash = _hasher.hash(password)
        audit(session, actor=actor.username, action="user.password", entity="user", entity_id=username,
              before=None, after=None, version=None)


def list_users(rt: Runtime, actor: Actor) -> list[Actor]:
    require(actor, rt.profile.roles_for("manage_users"), "manage_users")
    with rt.db.read() as session:
        return [_actor(u) for u in session.scalars(select(User).order_by(User.username))]
