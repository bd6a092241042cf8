"""Persistence: the schema (tables), the engine and migrations (engine), and every query.

Queries live in one module per concern: ``sources``, ``items``, ``matches``, ``digests``,
``archive``. Nothing outside this package writes SQL.
"""

from watcher.store.engine import Store, open_store

__all__ = ["Store", "open_store"]
