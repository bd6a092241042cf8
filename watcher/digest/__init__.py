"""Digests: what a period holds (build), near-duplicates (fold), feed HTML (sanitise), words in
the reader's language (i18n), templates (render), and when periods end (period)."""

from watcher.digest.period import latest_slot, previous_slot

__all__ = ["latest_slot", "previous_slot"]
