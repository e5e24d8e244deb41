"""Sign-in tells no one who has an account, and counts per address only what a trusted proxy says.

An existing account and a name no account has get the same answers in the same order (a wait
after the third wrong password, "locked" from the tenth), with the same work done (one password
hash checked, or none while waiting), with and without a client address."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from apps.web.client import ProxySettingError, client_of, trusted_networks
from engine.core import accounts, signin
from engine.core.actors import SYSTEM
from engine.core.signin import SignInRefused, authenticate
from engine.store.tables import SignInClient


def answers(rt, name: str, tries: int, client: str, skip_waits: bool, monkeypatch) -> list[tuple[str, int]]:
    """Each try's answer and how many password hashes it checked."""
    checked = []
    real = signin.HASHER

    class Counting:  # the hasher, counting the passwords it checks
        def verify(self, *args):
            checked.append(1)
            return real.verify(*args)
    monkeypatch.setattr(signin, "HASHER", Counting())
    out = []
    for _ in range(tries):
        before = len(checked)
        try:
            authenticate(rt, name, "not-the-password", client)
            out.append(("signed_in", len(checked) - before))
        except SignInRefused as exc:
            out.append((exc.code, len(checked) - before))
        if skip_waits:
            with rt.db.transaction() as session:
                session.execute(update(SignInClient).values(last_failed_at=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)))
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("client", ["", "ip:10.1.2.3"])
@pytest.mark.parametrize("skip_waits", [False, True])
def test_a_missing_name_is_answered_as_an_existing_account(rt, monkeypatch, client, skip_waits):
    accounts.create_user(rt, SYSTEM, "wang", "王站长", ["liaison_staff"], "Qiao-lu-2025-sangzhi")
    tries = rt.profile.county.sign_in.lock_after_failures + 2
    existing = answers(rt, "wang", tries, client, skip_waits, monkeypatch)
    with rt.db.transaction() as session:  # a fresh start for the second name: the client's count too
        session.execute(SignInClient.__table__.delete().where(SignInClient.client == client))
    missing = answers(rt, "nobody", tries, client, skip_waits, monkeypatch)
    assert existing == missing
    codes = [code for code, _ in existing]
    first = rt.profile.county.sign_in.delay_after_failures
    assert codes[:first] == ["bad_login"] * first
    if skip_waits:
        assert codes[-3:] == ["locked_now", "locked", "locked"]
    else:
        assert set(codes[first:]) == {"wait"} and all(n == 0 for _, n in existing[first:])


def test_the_right_password_after_wrong_ones_clears_the_count(rt):
    accounts.create_user(rt, SYSTEM, "wang", "王站长", ["liaison_staff"], "Qiao-lu-2025-sangzhi")
    with pytest.raises(SignInRefused):
        authenticate(rt, "wang", "wrong")
    assert authenticate(rt, "wang", "Qiao-lu-2025-sangzhi").username == "wang"
    with rt.db.read() as session:
        assert session.get(SignInClient, signin.name_key("wang")) is None


@pytest.mark.parametrize("peer, forwarded, trusted, expected", [
    ("203.0.113.7", [], "", "203.0.113.7"),                         # straight to the app
    ("203.0.113.7", ["198.51.100.1"], "", "203.0.113.7"),           # a header sent by the client is ignored
    (None, ["198.51.100.1"], "", ""),                               # a local proxy not named: no address
    (None, ["198.51.100.1"], "127.0.0.1", "198.51.100.1"),          # nginx on this machine, trusted
    (None, ["6.6.6.6, 198.51.100.1"], "127.0.0.1", "198.51.100.1"),  # a forged first hop is not believed
    ("10.0.0.5", ["6.6.6.6", "198.51.100.1, 10.0.0.9"], "10.0.0.0/8", "198.51.100.1"),  # two proxies
    ("10.0.0.5", ["not an address"], "10.0.0.0/8", ""),
    ("203.0.113.7", ["198.51.100.1"], "10.0.0.0/8", "203.0.113.7"),  # a peer not trusted: its own address
    (None, [], "", ""),                                              # this machine, no proxy
])
def test_the_client_address_comes_from_a_trusted_proxy_only(peer, forwarded, trusted, expected):
    assert client_of(peer, forwarded, trusted_networks(trusted)) == expected


def test_a_wrong_proxy_setting_is_said_in_words():
    with pytest.raises(ProxySettingError) as wrong:
        trusted_networks("127.0.0.1, nginx")
    assert str(wrong.value) == ("MINSHENG_TRUSTED_PROXIES: 'nginx' is not an address or a network "
                                "(write e.g. 127.0.0.1, 10.0.0.0/8)")
