"""Alerts: the moment a poll stores what an alert is about, it goes out, once.

Two steps, called by the poll job (``watcher run`` and ``poll --once`` alike):

1. ``record_alert_hits`` (``watcher.jobs.alert_hits``), inside the transaction that stores a
   source's items and matches: each new item an alert is about becomes a hit, under a unique
   (alert, item) key. Why: a
   follow-up it fulfils (``followup``), one of the alert's stories it matched (``story``), or
   an author that the alert's stories watch (``author``); the first that applies, in that
   order. Items published longer than ``max_age`` ago (a new source's backlog) are left to the
   digest. Outside follow-ups, a hit found in ``quiet_hours`` (the config's zone) is due when
   they end.
2. ``send_alerts``, right after that commit (and from the daemon's delivery tick, which picks
   up what a crash between the two left behind, and hits held until now): due hits become
   messages, each stored with one pending delivery per channel in one transaction, under a
   database-wide lock so two workers never put one hit in two messages; then the outbox sends
   them. ``max_per_hour``: once the hour's messages would pass it, the rest of the hits go out
   folded into one message (and when none is left, they wait for the hour to free a place);
   hits that waited (quiet hours, the cap) go out folded together.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from watcher.config import Alert, Config
from watcher.deliver.backend import Outgoing, SendResult
from watcher.deliver.outbox import BackendFactory, deliver_one, worker_id
from watcher.deliver.registry import backend_for
from watcher.digest.alert import REASON_ORDER, build_alert, render_alert, sample_alert
from watcher.store import Store
from watcher.store import alerts as queries
from watcher.store.claims import serialise
from watcher.store.tables import AlertHitRow, AlertMessageRow

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
PROCESS_WORKER = worker_id()  # who leases the deliveries a poll sends


def send_after_commit(store: Store, config: Config, *, now: datetime) -> None:
    """For the poll, after each source's commit: send what it made due. A failure is logged and
    left to the delivery tick, never the poll's (a database gone away is, as for the poll)."""
    try:
        send_alerts(store, config, now=now, worker=PROCESS_WORKER)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        log.exception("sending alerts failed; the next delivery tick tries again")


def send_alerts(
    store: Store,
    config: Config,
    *,
    now: datetime,
    worker: str,
    backends: BackendFactory = backend_for,
) -> dict[int, str]:
    """Put the due hits into messages, then send them; delivery id → state."""
    if not config.alerts:
        return {}
    with store.session() as session:
        if not queries.pending_hits(session, now):
            return {}  # the usual case after a poll: no lock taken
        serialise(session, "alerts")
        alerts = {alert.id: alert for alert in config.alerts}
        messages: list[AlertMessageRow] = []
        for alert_id, hits in groupby(queries.pending_hits(session, now), lambda h: h.alert_id):
            if alert_id in alerts:  # hits of an alert taken out of the config stay unsent
                messages += _messages(session, config, alerts[alert_id], list(hits), now)
        deliveries = queries.message_deliveries(session, [message.id for message in messages])
    return {
        delivery_id: deliver_one(
            store, config, delivery_id, now=now, worker=worker, backends=backends
        )
        for delivery_id in deliveries
    }


def _messages(
    session: Session, config: Config, alert: Alert, hits: list[AlertHitRow], now: datetime
) -> list[AlertMessageRow]:
    """One message per hit while the hour's cap allows, the rest folded into one; hits that
    waited go out folded together; none at all when the hour is full (they wait)."""
    room = len(hits) + 1
    if alert.max_per_hour is not None:
        sent = queries.messages_since(session, alert.id, now - HOUR)
        room = alert.max_per_hour - len(sent)
        if room <= 0:
            queries.hold_hits(session, [hit.id for hit in hits], until=sent[0] + HOUR)
            return []
    held = [hit for hit in hits if hit.due_at > hit.found_at]
    fresh = sorted(
        (hit for hit in hits if hit.due_at <= hit.found_at),
        key=lambda hit: (REASON_ORDER[hit.reason], hit.found_at, hit.id),
    )
    if not held and len(fresh) <= room:
        groups = [[hit] for hit in fresh]
    else:
        singles = min(len(fresh), room - 1)
        groups = [[hit] for hit in fresh[:singles]] + [held + fresh[singles:]]
    return [_store_message(session, config, alert, group, now) for group in groups if group]


def _store_message(
    session: Session, config: Config, alert: Alert, hits: list[AlertHitRow], now: datetime
) -> AlertMessageRow:
    rendered = render_alert(build_alert(session, config, alert, hits, now), config)
    message = AlertMessageRow(
        alert_id=alert.id,
        built_at=now,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        payload=rendered.payload,
        item_count=len(hits),
    )
    queries.insert_message(session, message, [hit.id for hit in hits], list(alert.send_to))
    log.info(
        "alert %s: %s",
        alert.id,
        rendered.subject,
        extra={"event": "alert.built", "alert": alert.id, "count": len(hits)},
    )
    return message


def send_test(
    config: Config, alert_id: str, *, now: datetime, backends: BackendFactory = backend_for
) -> dict[str, SendResult]:
    """``watcher alerts test``: a sample of the alert to each of its channels, sent directly
    (nothing is stored, nothing retried); channel id → what the send did."""
    alert = config.alert(alert_id)
    rendered = render_alert(sample_alert(config, alert, now), config)
    results = {}
    for channel_id in alert.send_to:
        channel = config.channel(channel_id)
        outgoing = Outgoing.of_alert(
            alert, channel, 0, now, rendered.subject, rendered.text, rendered.html,
            rendered.payload,
        )  # fmt: skip
        results[channel_id] = backends(channel, config).send(outgoing)
    return results
