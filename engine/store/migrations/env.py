"""Alembic environment: run with a connection handed over by engine.store.migrate."""
from alembic import context

from engine.store.search_index import modelled
from engine.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  include_name=modelled)
with context.begin_transaction():
    context.run_migrations()
