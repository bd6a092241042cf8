"""Persistence: the schema (tables), the engine and migrations (engine), and every query.

Queries live in one module per concern: ``sources``, ``items``, ``matches``, ``digests``,
``archive``, ``claims`` (leases and locks across workers), ``housekeeping``. Nothing outside
this package writes SQL. It takes and returns plain values (``watcher.model``) or its rows; it
may import the stages below it but never decides what matches or what a digest holds.

The engine (and SQLAlchemy with it) loads on first use of ``Store`` or ``open_store``, so
importing one query module costs no more than that module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.store.engine import Store, open_store

__all__ = ["Store", "open_store"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from watcher.store import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
