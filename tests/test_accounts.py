from __future__ import annotations

import pytest

from engine.kernel.errors import InputError, PermissionDenied
from engine.core import accounts
from engine.core.actors import SYSTEM, Actor


def test_create_and_authenticate(rt):
    accounts.create_user(rt, SYSTEM, "wang", "王站长", ["liaison_staff"], "s3cret!", "t01")
    who = accounts.authenticate(rt, "wang", "s3cret!")
    assert who.roles == frozenset({"liaison_staff"}) and who.township == "t01"
    assert accounts.authenticate(rt, "wang", "wrong") is None
    assert accounts.authenticate(rt, "nobody", "s3cret!") is None


def test_account_rules(rt):
    with pytest.raises(InputError) as info:
        accounts.create_user(rt, SYSTEM, "bad name", "x", ["wizard"], "no")
    assert {k: p.code for k, p in info.value.problems.items()} == {
        "username": "bad_username", "roles": "unknown_roles", "password": "minLength"}
    accounts.create_user(rt, SYSTEM, "li", "李", ["deputy"], "password")
    with pytest.raises(InputError):
        accounts.create_user(rt, SYSTEM, "li", "李", ["deputy"], "password")


def test_only_administrators_manage_users(rt):
    deputy = Actor("li", "李", frozenset({"deputy"}))
    with pytest.raises(PermissionDenied):
        accounts.create_user(rt, deputy, "x1", "x", ["deputy"], "password")
    with pytest.raises(PermissionDenied):
        accounts.list_users(rt, deputy)
    admin = Actor("a", "a", frozenset({"administrator"}))
    accounts.create_user(rt, admin, "x1", "x", ["deputy"], "password")
    accounts.set_password(rt, Actor("x1", "x", frozenset({"deputy"})), "x1", "new-password")
    assert accounts.authenticate(rt, "x1", "new-password") is not None
    with pytest.raises(PermissionDenied):
        accounts.set_password(rt, deputy, "x1", "hijacked")
