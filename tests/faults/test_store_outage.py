"""PostgreSQL goes away in the middle of a run: the run stops with one ``StoreUnavailable`` line, nothing is
left half written, a retry while the store is still down fails the same way and changes nothing, and once it
is back the retried run leaves exactly what an uninterrupted run leaves.

The outage is real: the store is reached through a TCP proxy on 127.0.0.1 (``proxy.py``) that resets every
connection at once, mid-transaction, when the run sends its k-th statement of some kind (a SQLAlchemy event
in this process picks the moment; the database, the driver and the pipeline are untouched).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fault_helpers import NOW, half_written, on_store, register, rerun_cycle, retry_tasks
from pg import ADMIN_URL, fresh_database
from proxy import FaultProxy
from snapshot import counts, differences, snapshot
from sqlalchemy import event
from sqlalchemy.engine import Engine

from storage import Store, StoreUnavailable
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import dedupe_pending, ingest_feed, run_cycle
from wiredesk.settings import Settings

State = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    target = urlsplit(ADMIN_URL)
    with FaultProxy((target.hostname or "127.0.0.1", target.port or 5432)) as opened:
        yield opened


@pytest.fixture
def direct_url() -> Iterator[str]:
    """A throwaway PostgreSQL database, reached directly (to look at it while the proxy is cut)."""
    with fresh_database("wiredesk_outage") as url:
        yield url


def cut_on(proxy: FaultProxy, statement: str, nth: int) -> Callable[[], None]:
    """Cut the proxy just before this process sends its ``nth`` statement starting with ``statement``;
    returns the function that removes the trigger."""
    seen = 0

    def before_execute(*args: Any) -> None:
        nonlocal seen
        if str(args[2]).lstrip().upper().startswith(statement.upper()):
            seen += 1
            if seen == nth:
                proxy.cut()

    event.listen(Engine, "before_cursor_execute", before_execute)
    return lambda: event.remove(Engine, "before_cursor_execute", before_execute)


def assert_one_line_unavailable(exc: StoreUnavailable, proxy: FaultProxy) -> None:
    """One line that names the store (its password hidden), says it is unavailable and what to do."""
    message = str(exc)
    assert "\n" not in message
    assert re.match(rf"store: postgresql\+psycopg://postgres@127\.0\.0\.1:{proxy.port}/\w+ is unavailable \(", message)
    assert message.endswith("; retry when it is reachable again")


def assert_one_line_store_error(exc: StoreUnavailable, proxy: FaultProxy) -> None:
    """Lost while deduplicating: one line. Store.exclusive() (not Store._tx) raises it, when releasing the
    dedupe lock on the lost connection, with the driver's words only ("store: consuming input failed: server
    closed the connection unexpectedly ..."): the issue 7 report gives the one-line fix there."""
    message = str(exc)
    assert "\n" not in message
    assert message.startswith("store: ")
    assert "server closed the connection unexpectedly" in message or f"127.0.0.1:{proxy.port}" in message


CUTS = [
    # the 5th article's transaction has inserted the article; marking its entry fetched is cut
    pytest.param(
        "UPDATE entries", 5, retry_tasks, assert_one_line_unavailable, id="storing the 5th article, mid-transaction"
    ),
    # the 9th decision has written its signature and index keys; the membership is cut
    pytest.param(
        "INSERT INTO memberships",
        9,
        rerun_cycle,
        assert_one_line_store_error,
        id="placing the 9th article, mid-transaction",
    ),
    # a decision that links two stories has written its membership and cluster; the link is cut
    pytest.param(
        "INSERT INTO story_links",
        1,
        rerun_cycle,
        assert_one_line_store_error,
        id="linking two stories, mid-transaction",
    ),
]


@pytest.mark.parametrize(("statement", "nth", "resume", "check_message"), CUTS)
def test_store_lost_mid_run_then_back(
    settings: Settings,
    corpus_server: CorpusServer,
    reference: State,
    proxy: FaultProxy,
    direct_url: str,
    statement: str,
    nth: int,
    resume: Callable[[Settings], None],
    check_message: Callable[[StoreUnavailable, FaultProxy], None],
) -> None:
    proxied = on_store(settings, proxy.url_for(direct_url))
    register(proxied, corpus_server)

    remove = cut_on(proxy, statement, nth)
    try:
        with pytest.raises(StoreUnavailable) as lost:
            run_cycle(proxied, NOW)
    finally:
        remove()
    assert proxy.down
    check_message(lost.value, proxy)

    partial = snapshot(direct_url)
    assert counts(partial) != counts(reference)
    assert half_written(direct_url) == []

    # Airflow retries while the store is still down: the retry fails at once, in one line, changing nothing.
    with pytest.raises(StoreUnavailable, match=r"^store: cannot open .*127\.0\.0\.1:\d+/\w+ \(.*\); check that"):
        resume(proxied)
    assert proxy.refused >= 1  # the retry did reach for the store
    assert snapshot(direct_url) == partial

    proxy.restore()
    resume(proxied)
    assert differences(snapshot(direct_url), reference) == []


def test_a_feed_task_that_lost_the_store_is_retried_alone(
    settings: Settings, corpus_server: CorpusServer, reference: State, proxy: FaultProxy, direct_url: str
) -> None:
    """Through the task functions the DAG calls, in the order Airflow runs them: the 3rd feed's task loses
    the store mid-feed and raises; the other feeds' tasks run (the outage was short); the 3rd is retried and
    completes its feed; then dedupe. The store is the uninterrupted run's, nothing stored twice."""
    proxied = on_store(settings, proxy.url_for(direct_url))
    register(proxied, corpus_server)
    with Store.open(direct_url) as store:
        feed_ids = [f.id for f in store.list_feeds()]
    for feed_id in feed_ids:
        if feed_id != feed_ids[2]:
            ingest_feed(proxied, feed_id, NOW)
            continue
        remove = cut_on(proxy, "INSERT INTO articles", 2)
        try:
            with pytest.raises(StoreUnavailable) as lost:
                ingest_feed(proxied, feed_id, NOW)
        finally:
            remove()
        assert_one_line_unavailable(lost.value, proxy)
        assert half_written(direct_url) == []
        proxy.restore()
    ingest_feed(proxied, feed_ids[2], NOW)  # the retry, after its delay
    dedupe_pending(proxied, NOW)
    assert differences(snapshot(direct_url), reference) == []
