"""Persistence: the schema (tables), the engine and migrations (engine), and every query.

Queries live in one module per concern: ``sources``, ``items``, ``matches``, ``digests``,
``archive``, ``claims`` (leases and locks across workers), ``housekeeping``. Nothing outside
this package writes SQL. It takes and returns plain values (``watcher.model``) or its rows; it
may import the stages below it but never decides what matches or what a digest holds.
"""

from watcher.store.engine import Store, open_store

__all__ = ["Store", "open_store"]
