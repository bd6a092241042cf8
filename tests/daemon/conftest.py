"""Fixtures for the daemon tests: a store on either back-end, filled with sources."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.store import Store, open_store
from watcher.store.tables import SourceRow

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same tests on SQLite and, where it answers, PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'watcher.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = open_store(url)
    yield opened
    opened.close()


@pytest.fixture
def add_sources(any_store: Store) -> Callable[..., list[str]]:
    """Insert ``count`` feed sources due at ``due`` (default: a minute before NOW)."""

    def add(count: int, *, prefix: str = "s", due: datetime | None = None, **fields) -> list[str]:
        ids = [f"{prefix}{index:04d}" for index in range(count)]
        with any_store.session() as session:
            for source_id in ids:
                row = SourceRow(
                    id=source_id,
                    kind="feed",
                    url=f"http://127.0.0.1/{source_id}.xml",
                    next_poll_at=due or NOW - timedelta(minutes=1),
                    consecutive_failures=0,
                    items_total=0,
                )
                for name, value in fields.items():
                    setattr(row, name, value)
                session.add(row)
        return ids

    return add
