"""The outbox: each stored digest run delivered once per channel.

How a period is delivered exactly once:

1. The digest run (``watcher.jobs.digest_run``) builds the digest of (digest id, period end)
   and inserts it, with one ``pending`` delivery per channel, in one transaction. The unique key
   ``uq_digest_period`` makes a second builder (another worker, a restart) lose the insert; it
   then delivers the stored run, never a rebuilt one. A crash before the commit leaves nothing:
   the next call builds again. A crash after it leaves a stored run whose deliveries are still
   pending.
2. A worker claims one delivery with a single conditional UPDATE (state ``pending`` or due
   ``failed``, or ``sending`` whose lease expired → ``sending``, leased to this worker). Two
   workers can never hold the same delivery at the same time, on SQLite or PostgreSQL.
3. It sends outside any transaction, then records the outcome, only if it still holds the
   lease: ``sent``; ``failed`` with the next attempt time (exponential backoff with jitter, or
   the server's Retry-After); ``given_up`` when the error is permanent or the channel's
   ``give_up_after`` has passed since the run was built (reported in the next digest and in
   ``watcher deliveries``); a 410 from a webhook also disables the channel.

The window that remains, honestly: a crash (or a lease that expires) *after* the receiver
accepted a message but *before* the ``sent`` row is committed means that, once the lease runs
out, the delivery is attempted again. Nothing on the sending side can close that window: SMTP
and HTTP have no two-phase commit. What watcher guarantees is that the retry is the same
message: the same stored bytes, the same ``Message-ID`` for email, the same ``webhook-id`` for
webhooks, so receivers that de-duplicate (Standard Webhooks asks them to; many mail systems
fold equal Message-IDs) see one message. No period is ever skipped: a period is only finished
by a ``sent``, ``skipped`` (``skip_empty`` and nothing new) or ``given_up`` row.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from watcher.config import Channel, Config
from watcher.deliver.backend import MAX_RETRY, Backend, Outgoing, SendResult
from watcher.deliver.registry import backend_for
from watcher.store import Store
from watcher.store import digests as queries
from watcher.store.tables import DeliveryRow, DigestRunRow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # longer than the slowest send (SMTP timeout, webhook retries)
FIRST_RETRY = timedelta(minutes=2)

BackendFactory = Callable[[Channel, Config], Backend]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def retry_pending_deliveries(
    store: Store,
    config: Config,
    *,
    now: datetime,
    worker: str,
    backends: BackendFactory = backend_for,
) -> dict[int, str]:
    """For the daemon's tick: deliver whatever is due (retries, expired leases); id → state."""
    with store.session() as session:
        due = queries.claimable_deliveries(session, now)
    return {
        delivery_id: deliver_one(
            store, config, delivery_id, now=now, worker=worker, backends=backends
        )
        for delivery_id in due
    }


def deliver_run(
    store: Store,
    config: Config,
    run_id: int,
    *,
    now: datetime,
    worker: str,
    backends: BackendFactory = backend_for,
) -> dict[str, str]:
    """Deliver the stored run's deliveries that are due; channel id → state now."""
    with store.session() as session:
        due = queries.claimable_deliveries(session, now, run_id=run_id)
    for delivery_id in due:
        deliver_one(store, config, delivery_id, now=now, worker=worker, backends=backends)
    with store.session() as session:
        return queries.delivery_states(session, run_id)


def deliver_one(
    store: Store,
    config: Config,
    delivery_id: int,
    *,
    now: datetime,
    worker: str,
    backends: BackendFactory = backend_for,
) -> str:
    """Claim, send and record one delivery; returns its state (unchanged if not claimed)."""
    with store.session() as session:
        delivery = queries.claim_delivery(session, delivery_id, worker, now, LEASE)
        if delivery is None:
            return "claimed elsewhere"
        run = queries.run_of(session, delivery.run_id)
        problem = _undeliverable(session, config, run, delivery)
    if problem is not None:
        return _record(
            store, delivery, worker, now, SendResult(False, error=problem, retryable=False)
        )
    channel = config.channel(delivery.channel_id)
    outgoing = Outgoing(
        run_id=run.id,
        digest=config.digest(run.digest_id),
        channel=channel,
        period_start=run.period_start,
        period_end=run.period_end,
        built_at=run.built_at,
        subject=run.subject,
        text=run.text,
        html=run.html,
        payload=run.payload,
    )
    try:
        result = backends(channel, config).send(outgoing)
    except Exception as error:  # a backend bug must not leave the lease to expire unexplained
        log.exception("delivery on channel %s crashed", channel.id, extra={"channel": channel.id})
        result = SendResult(False, error=f"internal error: {error.__class__.__name__}")
    return _record(store, delivery, worker, now, result, channel)


def _undeliverable(
    session: Session, config: Config, run: DigestRunRow, delivery: DeliveryRow
) -> str | None:
    if not any(c.id == delivery.channel_id for c in config.channels):
        return f"channel {delivery.channel_id} is no longer in the config"
    if not any(d.id == run.digest_id for d in config.digests):
        return f"digest {run.digest_id} is no longer in the config"
    disabled = queries.disabled_channels(session).get(delivery.channel_id)
    if disabled is not None:
        return (
            f"channel disabled since {disabled.disabled_at:%Y-%m-%d %H:%M} UTC: {disabled.reason}"
        )
    return None


def _record(
    store: Store,
    delivery: DeliveryRow,
    worker: str,
    now: datetime,
    result: SendResult,
    channel: Channel | None = None,
) -> str:
    values: dict[str, object]
    if result.ok:
        values = {
            "state": "sent",
            "sent_at": now,
            "message_id": result.message_id,
            "last_error": result.error,  # a success can carry a warning: refused recipients
        }
    elif _give_up(delivery, result, channel, now):
        values = {"state": "given_up", "given_up_at": now, "last_error": result.error}
    else:
        values = {
            "state": "failed",
            "last_error": result.error,
            "next_attempt_at": now + _retry_delay(delivery.attempts, result.retry_after),
        }
    with store.session() as session:
        if result.gone and channel is not None:
            queries.disable_channel(session, channel.id, now, result.error or "410 Gone")
            log.error(
                "channel %s disabled: the webhook answered 410 Gone; fix its URL in the config, "
                "then run: watcher deliveries --enable %s",
                channel.id,
                channel.id,
                extra={"channel": channel.id, "event": "channel_disabled"},
            )
        if not queries.finish_delivery(session, delivery.id, worker, **values):
            log.warning(
                "delivery %d on channel %s: lease lost before recording (another worker took it)",
                delivery.id,
                delivery.channel_id,
                extra={"channel": delivery.channel_id},
            )
            return "lease lost"
    if values["state"] == "given_up":
        log.error(
            "gave up delivering on channel %s after %d attempts: %s",
            delivery.channel_id,
            delivery.attempts,
            result.error,
            extra={"channel": delivery.channel_id, "event": "delivery_given_up"},
        )
    return str(values["state"])


def _give_up(
    delivery: DeliveryRow, result: SendResult, channel: Channel | None, now: datetime
) -> bool:
    if not result.retryable or channel is None:
        return True
    return now - delivery.created_at >= channel.give_up_after


def _retry_delay(attempts: int, retry_after: float | None) -> timedelta:
    """Exponential backoff with ±25% jitter from FIRST_RETRY up to MAX_RETRY, or Retry-After
    (within MAX_RETRY too: a backend's wish never outgrows the outbox's own limit)."""
    if retry_after is not None:
        return timedelta(seconds=min(max(retry_after, 0.0), MAX_RETRY.total_seconds()))
    base = min(FIRST_RETRY * 2 ** max(0, attempts - 1), MAX_RETRY)
    return base * random.uniform(0.75, 1.25)
