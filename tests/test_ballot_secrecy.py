"""Playing the attacker who holds the database: 50 deputies cast at once; then everything the
database keeps (every row, the old row versions and transaction ids on PostgreSQL, the file and
its WAL on SQLite) is searched for a link between a deputy and what they voted."""
from __future__ import annotations

import itertools
import threading
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, inspect, select, text, update

from engine.core import records
from engine.core.actors import ANONYMOUS, Actor
from engine.features import voting
from engine.features.voting.sealing import seal
from engine.store.tables import AuditEntry, Ballot, Record, VoteRound
from tests.conftest import ON_POSTGRES

PRESIDIUM = Actor("chair", "主席团", frozenset({"congress_staff"}))
DEPUTIES = 50


def fifty_deputies_cast_at_once(rt, good_suggestion):
    ids = [records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, title=f"候选项目第{i + 1}个")).id
           for i in range(6)]
    with rt.db.transaction() as session:
        session.execute(update(Record).where(Record.id.in_(ids)).values(state="candidate"))
    roster = [(f"d{n:03d}", f"代表{n}", "present") for n in range(DEPUTIES)]
    round_id = voting.create_round(rt, PRESIDIUM, "township_congress", "t02", "票决", 3, ids, roster)
    count_key = voting.open_round(rt, PRESIDIUM, round_id)
    opened_at = wal_position(rt)
    choices = [c for k in (1, 2, 3) for c in itertools.combinations([str(i) for i in ids], k)]
    cast = {f"d{n:03d}": {c: "yes" for c in choices[n % len(choices)]} for n in range(DEPUTIES)}
    errors = []

    def vote(deputy: str) -> None:
        try:
            voting.cast(rt, Actor(deputy, deputy, frozenset({"deputy"})), round_id, cast[deputy])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=vote, args=(d,)) for d in cast]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return round_id, count_key, cast, opened_at


def wal_position(rt) -> str | None:
    """PostgreSQL: where the WAL stands now (None on SQLite, whose WAL file is read whole)."""
    if rt.db.is_sqlite:
        return None
    with rt.db.engine.connect() as conn:
        return conn.scalar(text("SELECT pg_current_wal_insert_lsn()::text"))


def plaintexts(cast: dict[str, dict[str, str]]) -> set[bytes]:
    """Each ballot as the program would write its marks, were it to write them in the clear."""
    return {orjson.dumps(m) for m in cast.values()} | {orjson.dumps(m, option=orjson.OPT_SORT_KEYS) for m in cast.values()}


def every_row_as_text(rt) -> str:
    with rt.db.read() as session:
        tables = inspect(session.connection()).get_table_names()
        return "\n".join(str(row) for table in tables for row in session.execute(text(f'SELECT * FROM "{table}"')))


def test_during_the_round_nothing_in_the_database_reads_as_a_ballot(rt, good_suggestion):
    round_id, count_key, cast, opened_at = fifty_deputies_cast_at_once(rt, good_suggestion)
    voting.close_round(rt, PRESIDIUM, round_id)
    rows = every_row_as_text(rt)
    assert not any(p.decode() in rows for p in plaintexts(cast))
    with rt.db.read() as session:
        boxes = session.execute(select(Ballot.marks, Ballot.sealed).where(Ballot.round_id == round_id)).all()
    assert len(boxes) == DEPUTIES and all(m is None for m, _ in boxes) and len({len(s) for _, s in boxes}) == 1
    raw = raw_storage(rt, opened_at)
    assert raw and not any(p in raw for p in plaintexts(cast))  # not in any page, old version or WAL record
    # the same marks sealed twice differ: a ciphertext cannot be matched to a guessed ballot
    with rt.db.read() as session:
        public_key = session.get(VoteRound, round_id).ballot_key
    marks = next(iter(cast.values()))
    assert seal(public_key, marks, list(marks)) != seal(public_key, marks, list(marks))


def test_after_the_count_nothing_links_a_deputy_to_a_plain_ballot(rt, good_suggestion):
    round_id, count_key, cast, _ = fifty_deputies_cast_at_once(rt, good_suggestion)
    voting.close_round(rt, PRESIDIUM, round_id)
    result = voting.count_round(rt, PRESIDIUM, round_id, count_key=count_key)
    assert result.ballots == DEPUTIES
    with rt.db.read() as session:
        plain = session.execute(select(Ballot.id, Ballot.marks, Ballot.sealed).where(Ballot.round_id == round_id)
                                .order_by(Ballot.id)).all()
        assert all(s is None for _, _, s in plain)  # no sealed row left
        assert sorted(orjson.dumps(m, option=orjson.OPT_SORT_KEYS) for _, m, _ in plain) == \
            sorted(orjson.dumps(m, option=orjson.OPT_SORT_KEYS) for m in cast.values())
        assert [dict(m) for _, m, _ in plain] != list(cast.values())  # not in the order of the roster
        if ON_POSTGRES:
            ballot_xmins = {x for (x,) in session.execute(text("SELECT xmin::text FROM ballots"))}
            voter_xmins = {x for (x,) in session.execute(text("SELECT xmin::text FROM vote_voters"))}
            cast_xmins = {x for (x,) in session.execute(text(
                "SELECT xmin::text FROM audit_log WHERE action = 'vote.cast'"))}
            assert len(ballot_xmins) == 1  # one transaction wrote every plain ballot ...
            assert not ballot_xmins & (voter_xmins | cast_xmins)  # ... and it is none that names a deputy
        audit = session.execute(text("SELECT after FROM audit_log WHERE action IN ('vote.cast', 'vote.box_opened')")).all()
    assert not any("yes" in str(a) for (a,) in audit)
    # What the casting transactions left (their rows' old versions, their WAL records) are the
    # sealed boxes; without the count key, which the database never held, they stay shut.
    with pytest.raises(voting.VoteRefused):  # the round is counted: nothing opens again
        voting.count_round(rt, PRESIDIUM, round_id, count_key="bm90LXRoZS1rZXktbm90LXRoZS1rZXktbm90LXRoZS0=")


def raw_storage(rt, opened_at: str | None) -> bytes:
    """What someone holding the database's files reads: on SQLite the file and its WAL; on
    PostgreSQL every page of the ballots and voters tables (old row versions included) and the
    WAL segments written since the round opened."""
    if rt.db.is_sqlite:
        path = Path(rt.db.engine.url.database)
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    chunks = []
    with rt.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pageinspect")
        for table in ("ballots", "vote_voters", "audit_log"):
            pages = conn.scalar(text(f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int"))
            for n in range(pages):
                chunks.append(conn.scalar(text(f"SELECT get_raw_page('{table}', {n})")))
        # the WAL from the round's opening to now: every record the casts and the close wrote
        start, end = opened_at, conn.scalar(text("SELECT pg_current_wal_insert_lsn()::text"))
        first, offset = conn.execute(text("SELECT file_name, file_offset FROM pg_walfile_name_offset(:l)"),
                                     {"l": start}).one()
        last, end_offset = conn.execute(text("SELECT file_name, file_offset FROM pg_walfile_name_offset(:l)"),
                                        {"l": end}).one()
        names = [n for (n,) in conn.execute(text("SELECT name FROM pg_ls_waldir() WHERE name >= :a AND name <= :b "
                                                  "AND length(name) = 24 ORDER BY name"), {"a": first, "b": last})]
        for name in names:
            begin = offset if name == first else 0
            length = (end_offset if name == last else 16 * 1024 * 1024) - begin
            chunks.append(conn.scalar(text("SELECT pg_read_binary_file(:p, :o, :n)"),
                                      {"p": f"pg_wal/{name}", "o": begin, "n": max(length, 0)}))
        assert names, "the WAL of the round was not found"
    return b"".join(bytes(c) for c in chunks)


def test_one_phone_ballot_among_paper_ones_cannot_be_told_apart_and_a_refused_count_opens_nothing(
        rt, good_suggestion):
    """Issue 32: opened ballots kept their `electronic` label, so when one deputy voted by phone and
    the rest on paper, that ballot was that deputy's; and a count refused (paper not yet checked)
    had already opened the sealed box."""
    ids = [records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, title=f"候选项目第{i + 1}个")).id
           for i in range(3)]
    with rt.db.transaction() as session:
        session.execute(update(Record).where(Record.id.in_(ids)).values(state="candidate"))
    roster = [(f"d{n:03d}", f"代表{n}", "present") for n in range(9)]
    round_id = voting.create_round(rt, PRESIDIUM, "township_congress", "t02", "票决", 2, ids, roster)
    count_key = voting.open_round(rt, PRESIDIUM, round_id)
    phone = {str(ids[2]): "yes"}  # the only ballot for the third candidate
    voting.cast(rt, Actor("d000", "代表0", frozenset({"deputy"})), round_id, phone)
    tellers = (Actor("t1", "计票员甲", frozenset({"congress_staff"})), Actor("t2", "计票员乙", frozenset({"congress_staff"})))
    for n in range(1, 9):
        voting.hand_out_paper(rt, tellers[0], round_id, f"d{n:03d}")
    voting.close_round(rt, PRESIDIUM, round_id)
    paper = {str(ids[0]): "yes", str(ids[1]): "yes"}
    entries = [voting.enter_paper(rt, tellers[0], round_id, paper) for _ in range(8)]

    def sealed_left() -> int:
        with rt.db.read() as session:
            return session.scalar(select(func.count()).select_from(Ballot).where(
                Ballot.round_id == round_id, Ballot.sealed.is_not(None)))
    for refused_with in ({"count_key": count_key},  # paper not yet checked by the second teller
                         {"count_key": "bm90LXRoZS1rZXktbm90LXRoZS1rZXktbm90LXRoZS0="}, {}):
        with pytest.raises(voting.VoteRefused):
            voting.count_round(rt, PRESIDIUM, round_id, **refused_with)
        assert sealed_left() == 1  # the box stays shut
        if refused_with.get("count_key") == count_key:
            for entry in entries:
                voting.confirm_paper(rt, tellers[1], entry, paper)
    with rt.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "vote.box_opened")) == 0
    result = voting.count_round(rt, PRESIDIUM, round_id, count_key=count_key)
    assert result.ballots == 9
    with rt.db.read() as session:
        rows = session.execute(select(Ballot.channel, Ballot.sealed, Ballot.weight, Ballot.marks)
                               .where(Ballot.round_id == round_id)).all()
    assert len(rows) == 9 and {(c, s, w) for c, s, w, _ in rows} == {("box", None, None)}  # nothing tells them apart
    assert sum(1 for *_, marks in rows if dict(marks) == phone) == 1  # the phone ballot is there, as any other
