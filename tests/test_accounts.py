from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from engine.core import accounts
from engine.core.actors import SYSTEM, Actor
from engine.core.signin import SignInRefused, authenticate, unlock, wait_left
from engine.kernel import clock
from engine.kernel.errors import InputError, PermissionDenied
from engine.schema.county import SignIn
from engine.store.tables import AuditEntry

GOOD = "Qiao-lu-2025-sangzhi"
START = dt.datetime(2025, 5, 1, 9, 0, tzinfo=dt.timezone.utc)


def refused(rt, username, password, client="", at=None) -> str:
    with clock.at(at or START):
        with pytest.raises(SignInRefused) as info:
            authenticate(rt, username, password, client)
    return info.value.code


def actions(rt, username) -> list[tuple[str, str | None]]:
    with rt.db.read() as session:
        return [(a, (after or {}).get("reason")) for a, after in session.execute(
            select(AuditEntry.action, AuditEntry.after).where(AuditEntry.entity == "user", AuditEntry.entity_id == username,
                                                              AuditEntry.action.like("user.sign_in%"))
            .order_by(AuditEntry.id))]


def test_create_and_authenticate(rt):
    accounts.create_user(rt, SYSTEM, "wang", "王站长", ["liaison_staff"], GOOD, "t01")
    who = authenticate(rt, "wang", GOOD)
    assert who.roles == frozenset({"liaison_staff"}) and who.township == "t01"
    assert refused(rt, "wang", "wrong") == "bad_login"
    assert refused(rt, "nobody", GOOD) == "bad_login"  # the same words: no telling which names exist
    assert actions(rt, "wang") == [("user.sign_in", None), ("user.sign_in_refused", "bad_login")]
    assert actions(rt, "nobody") == [("user.sign_in_refused", "bad_login")]


@pytest.mark.parametrize("password, code", [
    ("short-1A", "minLength"),  # under 10 characters
    ("password123", "weak_password"), ("1234567890", "weak_password"), ("qwertyuiop", "weak_password"),
    ("woaini1314", "weak_password"), ("lizhiqiang1985", "weak_password"),  # a common one; the account's own name
    ("x" * 200, "maxLength"),
])
def test_passwords_follow_the_profile(rt, password, code):
    with pytest.raises(InputError) as info:
        accounts.create_user(rt, SYSTEM, "lizhiqiang", "李志强", ["deputy"], password)
    assert info.value.problems["password"].code == code


def test_account_rules(rt):
    with pytest.raises(InputError) as info:
        accounts.create_user(rt, SYSTEM, "bad name", "x", ["wizard"], "no")
    assert {k: p.code for k, p in info.value.problems.items()} == {
        "username": "bad_username", "roles": "unknown_roles", "password": "minLength"}
    accounts.create_user(rt, SYSTEM, "li", "李", ["deputy"], GOOD)
    with pytest.raises(InputError):
        accounts.create_user(rt, SYSTEM, "li", "李", ["deputy"], GOOD)


def test_only_administrators_manage_users(rt):
    deputy = Actor("li", "李", frozenset({"deputy"}))
    with pytest.raises(PermissionDenied):
        accounts.create_user(rt, deputy, "x1", "x", ["deputy"], GOOD)
    with pytest.raises(PermissionDenied):
        accounts.list_users(rt, deputy)
    admin = Actor("a", "a", frozenset({"administrator"}))
    accounts.create_user(rt, admin, "x1", "x", ["deputy"], GOOD)
    accounts.set_password(rt, Actor("x1", "x", frozenset({"deputy"})), "x1", "Another-road-2026-bridge")
    assert authenticate(rt, "x1", "Another-road-2026-bridge").username == "x1"
    with pytest.raises(InputError):
        accounts.set_password(rt, Actor("x1", "x", frozenset({"deputy"})), "x1", "hijacked")  # too weak
    with pytest.raises(PermissionDenied):
        accounts.set_password(rt, deputy, "x1", "Another-road-2026-bridge")
    with pytest.raises(PermissionDenied):
        unlock(rt, deputy, "x1")


def test_the_wait_grows_then_stops_at_five_minutes():
    policy = SignIn(delay_after_failures=3)
    last = START
    assert [wait_left(policy, n, last, START) for n in range(2, 14)] == [0, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert wait_left(policy, 5, last, START + dt.timedelta(seconds=7)) == 1
    assert wait_left(policy, 5, last, START + dt.timedelta(seconds=8)) == 0


def test_wrong_passwords_make_the_account_wait_then_lock_until_an_administrator_unlocks_it(rt):
    accounts.create_user(rt, SYSTEM, "wang", "王站长", ["liaison_staff"], GOOD)
    at = START
    codes = []
    for _ in range(12):
        code = refused(rt, "wang", "wrong-guess", at=at)
        codes.append(code)
        if code == "wait":  # a try during the wait is refused unchecked and counts for nothing
            assert refused(rt, "wang", GOOD, at=at) == "wait"
        at += dt.timedelta(seconds=301)  # each guess after its wait
    assert codes[:2] == ["bad_login", "bad_login"] and codes[2] == "bad_login"
    assert codes.count("locked_now") == 1 and codes.index("locked_now") == 9  # the 10th wrong password locks
    assert codes[10:] == ["locked", "locked"]
    assert refused(rt, "wang", GOOD, at=at) == "locked"  # even the right password, until unlocked
    unlock(rt, SYSTEM, "wang")
    with clock.at(at):
        assert authenticate(rt, "wang", GOOD).username == "wang"
    reasons = [r for a, r in actions(rt, "wang")]
    assert reasons.count("bad_login") == 9 and reasons.count("locked_now") == 1 and reasons[-1] is None


def test_the_wait_holds_right_after_the_third_wrong_password(rt):
    accounts.create_user(rt, SYSTEM, "wang", "王站长", ["liaison_staff"], GOOD)
    for _ in range(3):
        assert refused(rt, "wang", "wrong-guess") == "bad_login"
    assert refused(rt, "wang", GOOD) == "wait"  # 2 s must pass, even for the right password
    with clock.at(START + dt.timedelta(seconds=2)):
        assert authenticate(rt, "wang", GOOD).username == "wang"
    assert refused(rt, "wang", "wrong-guess", at=START + dt.timedelta(seconds=3)) == "bad_login"  # the count restarted


def test_one_client_guessing_many_accounts_is_slowed_too(rt):
    for name in ("a1", "a2", "a3", "a4"):
        accounts.create_user(rt, SYSTEM, name, name, ["deputy"], GOOD)
    client = "ip:203.0.113.9"
    assert [refused(rt, name, "wrong-guess", client) for name in ("a1", "a2", "a3")] == ["bad_login"] * 3
    assert refused(rt, "a4", GOOD, client) == "wait"  # a fourth account, from the same client
    with clock.at(START):
        assert authenticate(rt, "a4", GOOD, "ip:198.51.100.1").username == "a4"  # another client is not slowed


def test_many_wrong_passwords_at_once_are_all_counted(rt):
    """Several processes guessing at once: the count is kept in the database, under a lock."""
    accounts.create_user(rt, SYSTEM, "wang", "王站长", ["liaison_staff"], GOOD)
    results = []

    def guess():
        try:
            authenticate(rt, "wang", "wrong-guess")
        except SignInRefused as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with rt.db.read() as session:
        from engine.store.tables import User
        user = session.scalars(select(User).where(User.username == "wang")).one()
    checked = results.count("bad_login") + results.count("locked_now")
    assert len(results) == 12 and user.failed_sign_ins == checked and checked >= 3


def test_demo_accounts_sign_in_only_where_the_demo_made_the_database(rt):
    accounts.create_user(rt, SYSTEM, "liaison", "联络员", ["liaison_staff"], "demo", demo=True)
    assert refused(rt, "liaison", "demo") == "demo_account"  # here the demo did not make the database
    # (where it did, they sign in: tests/test_demo.py); a password of its own makes it an account like any
    accounts.set_password(rt, SYSTEM, "liaison", GOOD)
    with clock.at(START):
        assert authenticate(rt, "liaison", GOOD).username == "liaison"


def test_an_administrator_sees_locked_and_demo_password_accounts_first_on_the_start_page(rt):
    from engine.core.worklist import work_for
    from engine.store.tables import User
    admin = accounts.create_user(rt, SYSTEM, "admin", "系统管理员", ["administrator"], GOOD)
    accounts.create_user(rt, SYSTEM, "wang", "王站长", ["liaison_staff"], GOOD, "t02")
    accounts.create_user(rt, SYSTEM, "li", "李代表", ["deputy"], "demo", demo=True)
    assert not {i.kind for i in work_for(rt, admin)} & {"accounts_locked"}
    with rt.db.transaction() as session:
        session.get(User, session.scalar(select(User.id).where(User.username == "wang"))).locked_at = START
    found = {i.kind: (i.count, i.page) for i in work_for(rt, admin)}
    assert found["accounts_locked"] == (1, "accounts") and found["accounts_demo_password"] == (1, "accounts")
    views = accounts.account_views(rt, admin)
    assert [v.username for v in views][0] == "wang" and views[0].locked and views[0].township == "t02"
    assert next(v for v in views if v.username == "li").demo
    with pytest.raises(PermissionDenied):
        accounts.account_views(rt, Actor("wang", "王站长", frozenset({"liaison_staff"}), "t02"))
    assert "accounts_locked" not in {i.kind for i in work_for(rt, Actor("wang", "王站长", frozenset({"liaison_staff"}), "t02"))}
    accounts.set_password(rt, admin, "li", "Huai-shu-2025-liyuan")  # a password of its own: no longer counted
    unlock(rt, admin, "wang")
    assert not {i.kind for i in work_for(rt, admin)} & {"accounts_locked", "accounts_demo_password"}


def test_an_account_needs_a_name(rt):
    with pytest.raises(InputError) as info:
        accounts.create_user(rt, SYSTEM, "wang", "  ", ["liaison_staff"], GOOD)
    assert info.value.problems["display_name"].code == "required"
