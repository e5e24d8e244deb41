"""The records' search index, one row per record: SQLite's FTS5 or PostgreSQL's full text.

Both hold the terms of `engine.kernel.words` with their positions, so a phrase of terms finds
the texts holding those characters in that order, through an index on either database (FTS5's
own, a GIN index on the tsvector). Neither database's own word splitting is used: the terms are
made in Python, the same for both, and handed over ready (FTS5's unicode61 tokenizer only splits
them at the spaces between them; PostgreSQL reads a tsvector literal as written).

The table is made by a migration, not declared among the models: FTS5 is a virtual table that
SQLAlchemy cannot describe (`is_ours` tells the migration check so).
"""
from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import BigInteger, column, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from engine.kernel.words import Phrase

TABLE = "record_search"
MAX_POSITION = 16_383  # PostgreSQL's highest position; later terms are still found, not in phrases


def modelled(name: str | None, type_: str, parent_names) -> bool:
    """Alembic's `include_name`: everything but this index (and FTS5's tables behind it), which
    its migration alone describes."""
    return not (type_ == "table" and name is not None and (name == TABLE or name.startswith(TABLE + "_")))


def create(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {TABLE} USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0')")
    else:
        connection.exec_driver_sql(
            f"CREATE TABLE {TABLE} (record_id BIGINT PRIMARY KEY REFERENCES records(id), terms TSVECTOR NOT NULL)")
        connection.exec_driver_sql(f"CREATE INDEX ix_{TABLE}_terms ON {TABLE} USING GIN (terms)")


def drop(connection: Connection) -> None:
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")


def _tsvector(terms: Sequence[str]) -> str:
    """PostgreSQL's literal of the terms at their positions. Terms are letters and digits only
    (see words), so quoting them needs no escapes."""
    return " ".join(f"'{term}':{min(i, MAX_POSITION)}" for i, term in enumerate(terms, start=1))


def encode(dialect: str, terms: Sequence[str]) -> str | None:
    """The terms as the index takes them: FTS5's space-separated text, or PostgreSQL's tsvector
    literal; None for no terms. Bulk imports encode in their preparing processes."""
    if not terms:
        return None
    return " ".join(terms) if dialect == "sqlite" else _tsvector(terms)


def add(connection: Connection, rows: Iterable[tuple[int, Sequence[str]]]) -> None:
    """Index records: (record id, its terms). Records without terms are left out."""
    dialect = connection.dialect.name
    add_encoded(connection, [(record_id, encode(dialect, terms)) for record_id, terms in rows])


def add_encoded(connection: Connection, rows: Iterable[tuple[int, str | None]]) -> None:
    """Index records whose terms are already encoded for this database (`encode`)."""
    rows = [(record_id, text) for record_id, text in rows if text]
    if not rows:
        return
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"INSERT INTO {TABLE} (rowid, terms) VALUES (?, ?)", rows)
    else:
        connection.exec_driver_sql(f"INSERT INTO {TABLE} (record_id, terms) VALUES (%s, %s::tsvector)", rows)


def clear(connection: Connection) -> None:
    connection.exec_driver_sql(f"DELETE FROM {TABLE}")


def _fts5_query(phrases: Sequence[Phrase]) -> str:
    return " AND ".join('"' + " ".join(p.terms) + '"' + ("*" if p.prefix else "") for p in phrases)


def _tsquery(phrases: Sequence[Phrase]) -> str:
    return " & ".join("(" + " <-> ".join(f"'{term}'" for term in p.terms) + (":*" if p.prefix else "") + ")"
                      for p in phrases)


def contains(id_column: ColumnElement, dialect: str, phrases: Sequence[Phrase]) -> ColumnElement[bool]:
    """Records whose text holds every phrase: `id_column IN (the index's matches)`."""
    if dialect == "sqlite":
        found = text(f"SELECT rowid AS id FROM {TABLE} WHERE {TABLE} MATCH :search_query").bindparams(
            search_query=_fts5_query(phrases))
    else:
        found = text(f"SELECT record_id AS id FROM {TABLE} WHERE terms @@ CAST(:search_query AS tsquery)").bindparams(
            search_query=_tsquery(phrases))
    return id_column.in_(found.columns(column("id", BigInteger)))
