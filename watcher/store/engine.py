"""Open a database, bring its schema up to date with Alembic, hand out sessions."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from watcher.errors import StoreError
from watcher.redact import error_text, redact

MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMA_HEAD = "0003"  # the newest migration (tests/store/test_migrations.py keeps this true)


@dataclass(frozen=True)
class Store:
    engine: Engine
    sessions: sessionmaker[Session]

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Connect to ``url`` (SQLite file created 0600 in a 0700 directory) and migrate it.

    A database that cannot be opened (a read-only folder, an unreadable file, a server that
    does not answer) raises ``StoreError`` naming it, with a hint.
    """
    try:
        engine = _create_engine(url)
        if migrate and schema_version(engine) != SCHEMA_HEAD:
            upgrade(engine)
    except OSError as error:
        raise StoreError(_cannot_open(url, error.strerror or str(error))) from None
    except DBAPIError as error:
        raise StoreError(_cannot_open(url, str(error.orig or error))) from None
    return Store(engine, sessionmaker(engine, expire_on_commit=False))


def _cannot_open(url: str, reason: str) -> str:
    parsed = make_url(url)
    reason = error_text(reason.strip().splitlines()[0] if reason.strip() else "unknown reason")
    if parsed.get_backend_name() != "sqlite":
        return f"cannot use the database {redact(url)}: {reason}; is the server up, the URL right?"
    where = parsed.database or ":memory:"
    return (
        f"cannot open the database {where}: {reason}; it and its folder must be readable and "
        "writable by this user (choose another place with 'database:' in the config, "
        "$WATCHER_DATABASE_URL or $WATCHER_DATA_DIR)"
    )


MIGRATION_LOCK = 0x77617463  # "watc": one PostgreSQL advisory lock key for schema upgrades


def schema_version(engine: Engine) -> str | None:
    """The database's migration revision, None when it has none (a new database).

    Checked before Alembic is even imported: every command opens the store, and a database
    that is up to date (nearly always) should cost one small query.
    """
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision``; workers starting together on PostgreSQL take turns."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if parsed.database and parsed.database != ":memory:":
        _prepare_sqlite_file(Path(parsed.database))
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _prepare_sqlite_file(path: Path) -> None:
    """Create the data directory 0700 and the database file 0600: it holds what users follow."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
