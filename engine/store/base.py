"""The declarative base every table is defined on, and the id type of big tables."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Integer
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NO_ROW = 0  # ids start at 1


class BigIdType(TypeDecorator):
    """A table's id (and the ids that refer to it). SQLite only auto-increments INTEGER PRIMARY
    KEY; PostgreSQL wants BIGINT for a million-row table. An id past what the column can hold
    (a number of 2**63 or more from an API call) names no row: it is bound as NO_ROW, so a
    lookup finds nothing and is "not found" in words, where the driver would overflow."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(Integer() if dialect.name == "sqlite" else BigInteger())

    def process_bind_param(self, value, dialect):
        if isinstance(value, int) and not -(2 ** 63) <= value < 2 ** 63:
            return NO_ROW
        return value


BigId = BigIdType()


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}
