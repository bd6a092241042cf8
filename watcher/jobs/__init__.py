"""The jobs: orchestrators on top of the stages, each reading top to bottom.

``poll`` (fetch → parse → normalise → match → store, per source), ``rematch`` (stored items
matched again after a config edit), ``backfill`` (archives and paged feeds back to a date),
``digest_run`` (period → build → render → outbox → deliver), ``subscribe`` (feeds found from
an address or read from OPML, added to the config file); ``archive_walk`` is the archive walk
that ``poll`` and ``backfill`` share. Jobs may import every stage (config, fetch, parse,
normalise, match, store, digest, deliver); no stage imports a job. The daemon (``schedule``)
and the front ends (``cli``, ``web``) call them.
"""
