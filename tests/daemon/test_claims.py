"""Claiming due sources: each due source goes to exactly one worker until its lease expires."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import update

from watcher.store import Store, open_store
from watcher.store.claims import claim_due_sources, claimed_by, count_due, release_claims
from watcher.store.sources import Polled, record_success
from watcher.store.tables import SourceRow

from .conftest import NOW

LEASE = timedelta(minutes=10)


def claim(store: Store, worker: str, limit: int = 100, now=NOW) -> list[str]:
    with store.session() as session:
        return claim_due_sources(session, worker_id=worker, now=now, limit=limit, lease=LEASE)


def test_only_due_enabled_unclaimed_sources_are_claimed(any_store: Store, add_sources) -> None:
    due = add_sources(3, prefix="due")
    add_sources(2, prefix="later", due=NOW + timedelta(minutes=5))
    add_sources(1, prefix="removed", removed_at=NOW - timedelta(days=1))
    add_sources(1, prefix="taken", claimed_by="other", claimed_until=NOW + timedelta(minutes=1))

    assert claim(any_store, "w1") == due
    assert claim(any_store, "w2") == []
    with any_store.session() as session:
        assert claimed_by(session, "w1") == due
        assert count_due(session, NOW) == 0


def test_the_limit_takes_the_most_overdue_first(any_store: Store, add_sources) -> None:
    add_sources(3, prefix="recent", due=NOW - timedelta(minutes=1))
    oldest = add_sources(2, prefix="old", due=NOW - timedelta(hours=3))

    assert claim(any_store, "w1", limit=2) == oldest
    assert len(claim(any_store, "w2", limit=10)) == 3


def test_an_expired_lease_is_picked_up_by_another_worker(any_store: Store, add_sources) -> None:
    ids = add_sources(4)
    assert claim(any_store, "crashed") == ids

    assert claim(any_store, "w2", now=NOW + LEASE - timedelta(seconds=1)) == []
    assert claim(any_store, "w2", now=NOW + LEASE) == ids
    with any_store.session() as session:
        assert claimed_by(session, "crashed") == []


def test_recording_a_poll_clears_the_claim_and_moves_the_source_past_its_interval(
    any_store: Store, add_sources
) -> None:
    [source_id] = add_sources(1)
    assert claim(any_store, "w1") == [source_id]
    with any_store.session() as session:
        record_success(session, Polled(source_id, timedelta(hours=1)), now=NOW)

    with any_store.session() as session:
        assert claimed_by(session, "w1") == []
    assert claim(any_store, "w2", now=NOW + timedelta(minutes=50)) == []
    assert claim(any_store, "w2", now=NOW + timedelta(minutes=70)) == [source_id]


def test_release_gives_back_only_this_workers_claims(any_store: Store, add_sources) -> None:
    mine = add_sources(3, prefix="a")
    assert claim(any_store, "w1") == mine
    theirs = add_sources(2, prefix="b")
    assert claim(any_store, "w2") == theirs

    with any_store.session() as session:
        assert release_claims(session, "w1", [mine[0], theirs[0]]) == 1
        assert release_claims(session, "w1", []) == 0
    assert claim(any_store, "w3") == [mine[0]]
    with any_store.session() as session:
        assert release_claims(session, "w1") == 2
        assert claimed_by(session, "w2") == theirs


@pytest.mark.postgres
def test_concurrent_workers_on_postgresql_never_share_a_source(postgres_url: str) -> None:
    """Eight workers, each with its own connection, race for 400 sources in small batches."""
    setup = open_store(postgres_url)
    with setup.session() as session:
        session.add_all(
            SourceRow(
                id=f"s{index:04d}",
                kind="feed",
                url="http://127.0.0.1/",
                next_poll_at=NOW - timedelta(seconds=index),
                consecutive_failures=0,
                items_total=0,
            )
            for index in range(400)
        )
    results: dict[str, list[str]] = {}
    start = threading.Barrier(8)

    def worker(name: str) -> None:
        store = open_store(postgres_url, migrate=False)
        got: list[str] = []
        start.wait()
        while batch := claim(store, name, limit=7):
            got.extend(batch)
        results[name] = got
        store.close()

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    counts = Counter(source for got in results.values() for source in got)
    assert len(results) == 8
    assert len(counts) == 400
    assert max(counts.values()) == 1
    assert sum(1 for got in results.values() if got) > 1
    with setup.session() as session:
        session.execute(update(SourceRow).values(claimed_until=NOW))
        assert count_due(session, NOW + timedelta(seconds=1)) == 400
    setup.close()
