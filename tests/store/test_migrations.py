"""The migrations build exactly the schema the models describe, from an empty database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from watcher.store import Store, open_store
from watcher.store.tables import Base


def _differences(store: Store) -> list[object]:
    with store.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def test_migrations_from_empty_match_the_models_on_sqlite(store: Store) -> None:
    assert _differences(store) == []
    assert "items" in inspect(store.engine).get_table_names()


def test_migrating_twice_is_harmless(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    open_store(url).close()
    again = open_store(url)
    assert _differences(again) == []
    again.close()


def test_migrations_match_the_models_on_postgresql(postgres_url: str) -> None:
    store = open_store(postgres_url)
    assert _differences(store) == []
    store.close()
