"""The adaptive polling policy: quiet feeds slow down, failures back off with jitter up to a cap, dead feeds
are still polled at a slow, capped interval, Retry-After is honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest.errors import (
    BadStatus,
    BlockedAddress,
    ExtractError,
    FeedParseError,
    FetchError,
    FetchTimeout,
    InvalidURL,
    ResponseTooLarge,
    RobotsDisallowed,
    TooManyRedirects,
    UndecodableBody,
)
from ingest.polling import PollPolicy, after_error, after_success, error_class, feed_status, retry_after

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POLICY = PollPolicy()
MIN = timedelta(minutes=1)


def test_a_feed_with_news_is_polled_at_the_base_interval() -> None:
    nxt = after_success(POLICY, NOW, new_entries=3, quiet_polls=5)
    assert (nxt.at, nxt.quiet_polls, nxt.reason) == (NOW + 15 * MIN, 0, "base")


def test_quiet_polls_double_the_interval_up_to_the_cap() -> None:
    quiet, waits = 0, []
    for _ in range(7):
        nxt = after_success(POLICY, NOW, new_entries=0, quiet_polls=quiet)
        quiet = nxt.quiet_polls
        waits.append((nxt.at - NOW) // MIN)
    assert waits == [15, 30, 60, 120, 120, 120, 120]
    assert quiet == 7


def test_backoff_grows_exponentially_with_equal_jitter_and_is_capped() -> None:
    for errors in range(1, 10):
        nxt = after_error(POLICY, NOW, feed_id=7, errors=errors)
        full = min(15 * MIN * 2 ** (errors - 1), POLICY.max_backoff)
        assert full / 2 <= nxt.at - NOW < full, errors
        assert nxt.reason == f"backoff {errors}"


def test_jitter_spreads_feeds_but_a_rerun_decides_the_same() -> None:
    waits = {after_error(POLICY, NOW, feed_id=f, errors=3).at for f in range(50)}
    assert len(waits) > 40  # feeds that failed together do not come back together
    assert after_error(POLICY, NOW, feed_id=4, errors=3) == after_error(POLICY, NOW, feed_id=4, errors=3)


def test_a_dead_feed_is_still_polled_at_the_capped_slow_interval() -> None:
    for errors in (10, 11, 50, 1000):
        nxt = after_error(POLICY, NOW, feed_id=1, errors=errors)
        assert nxt.reason == "dead"
        assert timedelta(hours=12) <= nxt.at - NOW <= timedelta(hours=24)


def test_retry_after_is_honoured_when_longer_than_the_backoff_and_capped() -> None:
    nxt = after_error(POLICY, NOW, feed_id=1, errors=1, wait=timedelta(hours=2))
    assert (nxt.at, nxt.reason) == (NOW + timedelta(hours=2), "retry-after")
    capped = after_error(POLICY, NOW, feed_id=1, errors=1, wait=timedelta(days=30))
    assert capped.at == NOW + POLICY.max_retry_after
    short = after_error(POLICY, NOW, feed_id=1, errors=4, wait=timedelta(seconds=5))
    assert short.reason == "backoff 4"  # the backoff is longer than the server asked for


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("Tue, 24 Nov 2026 13:30:00 GMT", timedelta(minutes=90)),
        ("Tue, 24 Nov 2026 11:00:00 GMT", timedelta(0)),  # in the past: now
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, expected: timedelta | None) -> None:
    assert retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (BadStatus("x", 404), "http-404"),
        (BadStatus("x", 429, "60"), "http-429"),
        (FetchTimeout("x"), "timeout"),
        (ResponseTooLarge("x"), "too-large"),
        (TooManyRedirects("x"), "redirects"),
        (BlockedAddress("x"), "blocked-address"),
        (InvalidURL("x"), "invalid-url"),
        (FeedParseError("x"), "parse"),
        (ExtractError("x"), "extract"),
        (RobotsDisallowed("x"), "robots"),
        (UndecodableBody("x"), "encoding"),
        (FetchError("x"), "network"),
    ],
)
def test_error_classes(exc: Exception, kind: str) -> None:
    assert error_class(exc) == kind


def test_feed_status() -> None:
    assert feed_status(0, False, POLICY) == "new"
    assert feed_status(0, True, POLICY) == "ok"
    assert feed_status(3, True, POLICY) == "failing"
    assert feed_status(10, True, POLICY) == "dead"
