"""When to poll a feed next: the adaptive polling policy, as pure functions of a poll's outcome.

- A feed that answers is polled every ``interval``; one that keeps answering with nothing new (304s, or only
  entries already known) is polled less often: the interval doubles with each quiet poll after the first, up
  to ``quiet_max_factor`` times the base. Any new entry brings it back to the base interval.
- A failing feed backs off exponentially: ``interval * 2**(errors - 1)``, capped at ``max_backoff``, with
  "equal jitter" (a delay between half and all of that), so feeds that failed together do not all come back
  together. The jitter is drawn from the feed and the time, so a rerun of the same poll decides the same.
- After ``dead_after`` consecutive errors the feed counts as dead: it is still polled, every
  ``dead_interval`` (a capped slow interval), so a feed that comes back is noticed.
- ``Retry-After`` (on a 429 or 503, or any refusal that carries it) is honoured: the next poll is never
  earlier than it says, up to ``max_retry_after``.

Nothing here reads the clock or the store; :mod:`wiredesk.pipeline` passes both in.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from ingest.errors import (
    BadStatus,
    BlockedAddress,
    ExtractError,
    FeedParseError,
    FetchTimeout,
    IngestError,
    InvalidURL,
    ResponseTooLarge,
    RobotsDisallowed,
    TooManyRedirects,
    UndecodableBody,
)


@dataclass(frozen=True)
class PollPolicy:
    """The adaptive polling settings (``WIREDESK_POLL_*`` in :mod:`wiredesk.settings`)."""

    interval: timedelta = timedelta(minutes=15)
    quiet_max_factor: int = 8
    max_backoff: timedelta = timedelta(hours=6)
    dead_after: int = 10
    dead_interval: timedelta = timedelta(hours=24)
    max_retry_after: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class NextPoll:
    at: datetime
    quiet_polls: int
    reason: str  # "base", "quiet x4", "backoff 3", "dead", "retry-after"


def error_class(exc: BaseException) -> str:
    """A short, stable class for an ingest error, for health pages and metrics: ``timeout``, ``http-404``,
    ``too-large``, ``redirects``, ``blocked-address``, ``invalid-url``, ``parse``, ``extract``, ``robots``,
    ``encoding`` (a body in a Content-Encoding we do not decode, or corrupt),
    ``network`` (any other fetch failure)."""
    if isinstance(exc, BadStatus):
        return f"http-{exc.status}"
    for kind, name in (
        (FetchTimeout, "timeout"),
        (ResponseTooLarge, "too-large"),
        (TooManyRedirects, "redirects"),
        (BlockedAddress, "blocked-address"),
        (InvalidURL, "invalid-url"),
        (FeedParseError, "parse"),
        (ExtractError, "extract"),
        (RobotsDisallowed, "robots"),
        (UndecodableBody, "encoding"),
    ):
        if isinstance(exc, kind):
            return name
    return "network" if isinstance(exc, IngestError) else type(exc).__name__


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header's delay: seconds, or an HTTP date (a date in the past means now). None when
    absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))


def _jitter(feed_id: int, now: datetime, errors: int) -> float:
    """A number in [0.5, 1): the same for the same feed, time and error count (reruns decide the same)."""
    seed = hashlib.blake2b(f"{feed_id}|{now.isoformat()}|{errors}".encode(), digest_size=8).digest()
    return 0.5 + random.Random(seed).random() / 2  # noqa: S311 - spreading retries, not a secret


def after_success(policy: PollPolicy, now: datetime, *, new_entries: int, quiet_polls: int) -> NextPoll:
    """The next poll after an answer (200 or 304). ``quiet_polls`` is the feed's count of quiet polls so far;
    this poll is quiet when it brought no new entry."""
    if new_entries > 0:
        return NextPoll(now + policy.interval, 0, "base")
    quiet = quiet_polls + 1
    factor = min(2 ** (quiet - 1), policy.quiet_max_factor)
    reason = "base" if factor == 1 else f"quiet x{factor}"
    return NextPoll(now + policy.interval * factor, quiet, reason)


def after_error(
    policy: PollPolicy, now: datetime, *, feed_id: int, errors: int, wait: timedelta | None = None
) -> NextPoll:
    """The next poll after a failure. ``errors`` counts consecutive failures, this one included; ``wait`` is
    the server's ``Retry-After``, if any."""
    if errors >= policy.dead_after:
        delay, reason = policy.dead_interval, "dead"
    else:
        delay = min(policy.interval * 2 ** max(errors - 1, 0), policy.max_backoff)
        reason = f"backoff {errors}"
    delay = delay * _jitter(feed_id, now, errors)
    if wait is not None and wait > delay:
        delay, reason = min(wait, policy.max_retry_after), "retry-after"
    return NextPoll(now + delay, 0, reason)


def feed_status(consecutive_errors: int, polled: bool, policy: PollPolicy) -> str:
    """``new`` (never polled), ``ok``, ``failing`` or ``dead`` (``dead_after`` errors in a row)."""
    if consecutive_errors >= policy.dead_after:
        return "dead"
    if consecutive_errors > 0:
        return "failing"
    return "ok" if polled else "new"
