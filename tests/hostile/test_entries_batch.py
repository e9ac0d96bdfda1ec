"""``Store.add_entries`` over thousands of entries (one batched executemany): the count of new entries stays
exact across batch boundaries, duplicates in the batch, entries known before and a concurrent writer, on
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from storage import NewEntry, Store
from wiredesk.settings import Settings

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def entries(numbers: range | list[int]) -> list[NewEntry]:
    return [NewEntry(f"https://news.example.org/s/{n}", f"g{n}", f"Story {n}", None, T0) for n in numbers]


def test_counts_across_batches_duplicates_and_known_entries(tight_on_backend: Settings) -> None:
    with Store.open(tight_on_backend.store_url) as store:
        feed, _ = store.add_feed("https://news.example.org/feed", "feed", T0)
        assert store.add_entries(feed.id, entries(range(0, 1500)), T0) == 1500
        # 2,500 more rows: 1,000 known, 250 listed twice (also across the 1,000-row batches), 1,250 new.
        batch = entries([*range(1000, 2500), *range(2250, 2500), *range(1000, 1750)])
        assert store.add_entries(feed.id, batch, T0) == 1000
        assert store.add_entries(feed.id, entries(range(2500)), T0) == 0
        assert len(store.pending_entries(feed.id, 3)) == 2500


def test_two_writers_count_each_entry_once(tight_on_backend: Settings) -> None:
    stores = [Store.open(tight_on_backend.store_url) for _ in range(2)]
    try:
        feed, _ = stores[0].add_feed("https://news.example.org/feed", "feed", T0)
        counts: list[int] = []
        start = threading.Barrier(2, timeout=30)

        def write(store: Store, numbers: range) -> None:
            start.wait()
            counts.append(store.add_entries(feed.id, entries(numbers), T0))

        writers = [
            threading.Thread(target=write, args=(store, numbers))
            for store, numbers in zip(stores, (range(0, 3000), range(1500, 4500)), strict=True)
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(timeout=60)
        assert sum(counts) == 4500
    finally:
        for store in stores:
            store.close()
