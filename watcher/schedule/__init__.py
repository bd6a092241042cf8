"""The daemon's schedule: ``slots`` says when digests are due; ``daemon`` runs the jobs.

``watcher.schedule.daemon`` imports the whole pipeline; ``watcher.schedule.slots`` only the config,
so the digest code can share the slot rules without an import cycle.
"""

from watcher.schedule.slots import SlotTrigger, digest_expression, digest_trigger, latest_slot

__all__ = ["SlotTrigger", "digest_expression", "digest_trigger", "latest_slot"]
