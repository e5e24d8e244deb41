"""Database connection: SQLite (WAL) file by default, PostgreSQL through DATABASE_URL."""
from __future__ import annotations

import hashlib
import orjson
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_SQLITE = "data/minsheng.db"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else $DATABASE_URL, else the embedded SQLite file."""
    url = url or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
    # Plain postgres URLs (as libpq writes them) go through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    return url


def to_json_text(value) -> str:
    # orjson: eight times faster than json for documents; Chinese stays itself, not \uXXXX escapes
    # (half the bytes on disk). Documents hold only JSON types (money and dates are text).
    return orjson.dumps(value).decode()


def make_engine(url: str | None = None, for_writing: bool = True, **kwargs) -> Engine:
    url = database_url(url)
    kwargs.setdefault("json_serializer", to_json_text)
    kwargs.setdefault("json_deserializer", orjson.loads)  # several times faster than json.loads
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # A write transaction takes SQLite's write lock at its start (BEGIN IMMEDIATE), so two
        # writers queue instead of failing with "database is locked" half way through. Reads use
        # plain BEGIN: in WAL mode they never wait, not even for a write in progress.
        begin = "BEGIN IMMEDIATE" if for_writing else "BEGIN"
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see make_engine)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # 32 MB page cache (default 2 MB): a million-row table's indexes stay warm during imports
    cur.execute("PRAGMA cache_size=-32768")
    cur.close()


class Database:
    """An engine and its session factory. `transaction()` is the only way code writes."""

    def __init__(self, url: str | None = None, **kwargs):
        self.engine = make_engine(url, **kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite: reads get their own engine, so a read inside a write transaction cannot queue
        # behind that very transaction's lock. PostgreSQL reads never block: one engine serves.
        self.read_engine = make_engine(url, for_writing=False, **kwargs) if self.is_sqlite else self.engine
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def for_update(self, query):
        """The query, locking the rows it reads until the transaction ends. On PostgreSQL that is
        SELECT ... FOR UPDATE; SQLite needs nothing, as its BEGIN IMMEDIATE already holds every
        other writer off for the whole transaction."""
        return query if self.is_sqlite else query.with_for_update()

    def hold(self, session: Session, name: str) -> None:
        """Hold the named lock until the transaction ends: writers that take the same name wait for
        each other, in every process (PostgreSQL's transaction-level advisory lock; SQLite's BEGIN
        IMMEDIATE already holds every other writer off)."""
        if self.is_sqlite:
            session.connection()  # begins the transaction now: BEGIN IMMEDIATE takes the write lock
            return
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed whole on success, rolled back whole on any error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def rows_transaction(self) -> Iterator[Connection]:
        """A unit of work of a few plain statements (a ballot: a read, three inserts), committed
        whole or rolled back whole like `transaction()`, without an ORM session's cost."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.read_sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def connection_of(unit: Session | Connection) -> Connection:
    """The connection a statement runs on, from a session's transaction or a plain one."""
    return unit if isinstance(unit, Connection) else unit.connection()
