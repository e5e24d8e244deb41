"""Signing in, throttled on the server for every process at once.

Each wrong password is counted against the name given (an account's or not), against the account,
and against the client it came from (its address), in the database, so several app processes
share the count. From the profile's
`delay_after_failures`-th wrong password in a row, the next try must wait 2, 4, 8 ... seconds (at
most 5 minutes) and is refused unchecked until then; at `lock_after_failures` the account is
locked until an administrator unlocks it. Every sign-in, every wrong password and every refusal is
an audit row. Accounts the demo made work only in a database the demo made.
"""
from __future__ import annotations

import datetime as dt
import math

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import exists, select

from engine.core.accounts import HASHER, actor_of
from engine.core.actors import Actor, require
from engine.core.runtime import Runtime
from engine.kernel.dates import as_utc
from engine.kernel.errors import MinshengError, NotFound
from engine.schema.fieldtypes import CONTROL_CHARACTERS
from engine.schema.county import SignIn
from engine.store.audit import audit, now
from engine.store.tables import AuditEntry, SignInClient, User

LONGEST_WAIT = 300  # seconds
DEMO_DATABASE = "demo.database"  # the audit action `minsheng demo` writes when it makes a database
# Verifying against a real hash when the user does not exist keeps the time the same, so the
# response does not tell an attacker which usernames exist.
_DUMMY_HASH = HASHER.hash("not a password")


class SignInRefused(MinshengError):
    """Why a sign-in did not succeed: `code` (bad_login, wait, locked, demo_account) and `params`."""

    words = "sign_in."  # where the apps keep the words for each code

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(code)


def wait_left(policy: SignIn, failures: int, last_failed_at: dt.datetime | None, at: dt.datetime) -> int:
    """Seconds still to wait before the next try, after `failures` wrong passwords in a row."""
    if failures < policy.delay_after_failures or last_failed_at is None:
        return 0
    delay = min(2 ** (failures - policy.delay_after_failures + 1), LONGEST_WAIT)
    return max(0, math.ceil((as_utc(last_failed_at) + dt.timedelta(seconds=delay) - at).total_seconds()))


def name_key(name: str) -> str:
    """The row that counts wrong passwords given for a name, whether or not an account has it."""
    return f"name:{name}"


def authenticate(rt: Runtime, username: str, password: str, client: str = "") -> Actor:
    """The account's actor, or SignInRefused saying why; what happened is stored before it is raised.

    Wrong passwords are counted per name given (whether an account has it or not), per client,
    and per account for its lock: a name no account has gets the same answers, in the same
    order and the same time, as one that exists (a wait from the third, "locked" from the tenth),
    so the answers do not tell who has an account."""
    policy = rt.profile.county.sign_in
    name = CONTROL_CHARACTERS.sub("", username).strip()[:64]  # a NUL cannot even be stored on PostgreSQL
    client = CONTROL_CHARACTERS.sub("", client or "")[:120]
    at = now()
    refusal: SignInRefused | None = None
    with rt.db.transaction() as session:
        user = session.scalars(rt.db.for_update(select(User).where(User.username == name))).first()
        by_name = session.get(SignInClient, name_key(name))
        seen = session.get(SignInClient, client) if client else None
        wait = max(wait_left(policy, by_name.failures, by_name.last_failed_at, at) if by_name else 0,
                   wait_left(policy, seen.failures, seen.last_failed_at, at) if seen else 0)
        if (user.locked_at is not None) if user is not None else \
                (by_name is not None and by_name.failures >= policy.lock_after_failures):
            refusal = SignInRefused("locked")
        elif wait:
            refusal = SignInRefused("wait", seconds=wait)
        elif not _password_matches(user, password) or not user.active:
            refusal = _count_failure(session, policy, user, by_name, name, seen, client, at)
        elif user.demo and not session.scalar(select(exists().where(AuditEntry.action == DEMO_DATABASE))):
            refusal = SignInRefused("demo_account")
        if refusal is not None:
            audit(session, actor=name or "?", action="user.sign_in_refused", entity="user", entity_id=name,
                  before=None, after={"reason": refusal.code, "client": client or None,
                                      "failures": by_name.failures if by_name else None}, version=None)
        else:
            user.failed_sign_ins, user.last_failed_at = 0, None
            for counted in (seen, by_name):
                if counted is not None:
                    session.delete(counted)
            audit(session, actor=name, action="user.sign_in", entity="user", entity_id=name, before=None,
                  after={"client": client or None}, version=None)
            found = actor_of(user)
    if refusal is not None:
        raise refusal
    return found


def _password_matches(user: User | None, password: str) -> bool:
    try:
        HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None


def _counted(session, row: SignInClient | None, key: str, at: dt.datetime) -> SignInClient:
    if row is None:
        row = SignInClient(client=key, failures=1, last_failed_at=at)
        session.add(row)
    else:
        row.failures, row.last_failed_at = row.failures + 1, at
    return row


def _count_failure(session, policy: SignIn, user: User | None, by_name: SignInClient | None, name: str,
                   seen: SignInClient | None, client: str, at: dt.datetime) -> SignInRefused:
    if client:
        _counted(session, seen, client, at)
    by_name = _counted(session, by_name, name_key(name), at)
    if user is not None:
        user.failed_sign_ins, user.last_failed_at = user.failed_sign_ins + 1, at
        if user.failed_sign_ins >= policy.lock_after_failures:
            user.locked_at = at
    if by_name.failures >= policy.lock_after_failures or (user is not None and user.locked_at is not None):
        return SignInRefused("locked_now", failures=by_name.failures)
    return SignInRefused("bad_login")


def unlock(rt: Runtime, actor: Actor, username: str) -> None:
    """An administrator lifts an account's lock and its count of wrong passwords."""
    require(actor, rt.profile.roles_for("manage_users"), "manage_users")
    with rt.db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound("user")
        before = {"locked_at": user.locked_at.isoformat() if user.locked_at else None, "failures": user.failed_sign_ins}
        user.locked_at, user.failed_sign_ins, user.last_failed_at = None, 0, None
        counted = session.get(SignInClient, name_key(username))
        if counted is not None:
            session.delete(counted)
        audit(session, actor=actor.username, action="user.unlock", entity="user", entity_id=username,
              before=before, after=None, version=None)
