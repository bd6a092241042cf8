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


def test_upgrading_a_database_of_the_first_schema_keeps_its_rows(tmp_path) -> None:
    """0002 adds sources.title, 0003 makes deliveries either a digest's or an alert's."""
    from sqlalchemy import create_engine, text

    from watcher.store.engine import SCHEMA_HEAD, schema_version, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (id, kind, url, consecutive_failures, items_total) "
                "VALUES ('news', 'feed', 'https://news.example/feed', 0, 3)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO digest_runs (id, digest_id, period_start, period_end, built_at, "
                "subject, text, html, payload, item_count) VALUES (1, 'daily', "
                "'2024-05-28 04:00:00', '2024-05-29 04:00:00', '2024-05-29 04:00:01', 'S', 'T', "
                "'H', '{}', 2)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO deliveries (run_id, channel_id, state, attempts, created_at, "
                "message_id) VALUES (1, 'inbox', 'sent', 1, '2024-05-29 04:00:01', '<m@x>')"
            )
        )
    engine.dispose()

    store = open_store(url)
    with store.engine.connect() as connection:
        source = connection.execute(text("SELECT id, url, items_total, title FROM sources")).one()
        delivery = connection.execute(
            text("SELECT run_id, channel_id, state, message_id, alert_message_id FROM deliveries")
        ).one()
        run = connection.execute(text("SELECT digest_id, subject FROM digest_runs")).one()
    assert tuple(source) == ("news", "https://news.example/feed", 3, None)
    assert tuple(delivery) == (1, "inbox", "sent", "<m@x>", None)
    assert tuple(run) == ("daily", "S")
    assert schema_version(store.engine) == SCHEMA_HEAD and _differences(store) == []
    store.close()
