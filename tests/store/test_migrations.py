"""The migrations build exactly the schema the models describe, from an empty database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from watcher.store import Store, open_store
from watcher.store.search_index import in_models
from watcher.store.tables import Base


def _differences(store: Store) -> list[object]:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": in_models})
        return compare_metadata(context, Base.metadata)


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


def test_the_schema_head_constant_is_the_newest_migration(store: Store) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from watcher.store.engine import MIGRATIONS, SCHEMA_HEAD, schema_version

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD
    assert schema_version(store.engine) == SCHEMA_HEAD
