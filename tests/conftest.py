"""Fixtures shared by every test package: configs on disk, stores, the shared corpus, PostgreSQL."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from watcher.config import Config, load_config
from watcher.store import Store, open_store

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("WATCHER_SHARED_DIR", REPO.parent / "shared"))
POSTGRES_URL = os.environ.get(
    "WATCHER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's config, data directory or database by accident."""
    for name in ("WATCHER_CONFIG", "WATCHER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WATCHER_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(autouse=True)
def _no_hard_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Code run inside the test process must never call ``os._exit``: it would end the whole
    test run with status 0, silently skipping every test after it."""

    def refuse(code: int) -> None:
        raise AssertionError(f"os._exit({code}) was called inside the test process")

    monkeypatch.setattr(os, "_exit", refuse)


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a YAML config (dedented) to a temporary file and return its path."""

    def write(text: str, name: str = "watch.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_config(write_config: Callable[[str], Path]) -> Callable[[str], Config]:
    """Write and load a config; its database is a fresh SQLite file beside it."""

    def make(text: str) -> Config:
        return load_config(write_config(text))

    return make


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'watcher.db'}")
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    corpus = SHARED / "corpus" / "realworld"
    if not (corpus / "manifest.tsv").is_file():
        pytest.skip(f"the shared real-world corpus is not at {corpus} (set WATCHER_SHARED_DIR)")
    return corpus


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The test PostgreSQL server's URL; skips with the reason when it does not answer."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")
    try:
        engine = sqlalchemy.create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error.__class__.__name__}")
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty schema on the test server, dropped afterwards."""
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(postgres_server_url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{postgres_server_url}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()
