"""Delivery: each stored digest (and alert) reaches each channel once.

``backend`` is the contract (``Outgoing`` in, ``SendResult`` out, secrets masked), ``email`` and
``webhook`` implement it, ``registry`` picks one for a channel, and ``outbox`` claims, sends and
records each delivery with retries and leases. It may import the store and everything below;
building what to send is the digest stage's, and running a digest is a job's
(``watcher.jobs.digest_run``).
"""
