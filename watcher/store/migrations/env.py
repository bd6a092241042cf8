"""Alembic environment: migrations run on the connection ``watcher.store.engine`` hands over."""

from alembic import context

from watcher.store.search_index import in_models
from watcher.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_name=in_models,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
