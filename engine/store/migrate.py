"""Bring a database's schema up to date with Alembic (`minsheng db upgrade`, and at start-up)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), revision)
        connection.commit()


def autogenerate(engine: Engine, message: str) -> None:  # used by developers, not administrators
    with engine.connect() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
