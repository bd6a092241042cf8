"""Digests: what a period holds (``build``), near-duplicates (``fold``), feed HTML
(``sanitise``), words in the reader's language (``i18n``), templates (``render``), and when
periods end (``period``).

It reads the store and the match stage's follow-up rules; the digest run that stores and
delivers a digest is a job (``watcher.jobs.digest_run``).
"""
