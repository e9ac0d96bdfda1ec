"""Settings: every configuration value in one frozen object, built once at the edge (CLI, DAG task) from
the environment and passed in. Nothing deeper reads the environment.

Variables (all optional):

- ``WIREDESK_HOME``: where wiredesk keeps its files (default ``./.wiredesk``).
- ``WIREDESK_STORE_URL``: SQLAlchemy URL of the store (default ``sqlite:///$WIREDESK_HOME/wiredesk.db``;
  ``postgres://`` and ``postgresql://`` mean ``postgresql+psycopg://``). The DAG's tasks take the URL from the
  Airflow connection ``wiredesk_store`` instead when it exists (``wiredesk.dagtasks``, passed in as ``store_url``).
- ``WIREDESK_SQLITE_BUSY_SECONDS``: how long a write to a SQLite store waits while another process holds the
  database's lock before failing with "locked by another process" (default 30; decimals allowed, 0 fails at once).
- ``WIREDESK_FETCH_ALLOW``: comma-separated hosts and CIDRs the fetcher may reach although they are private
  or loopback (default: none).
- ``WIREDESK_POLL_MINUTES``: minutes between two polls of one feed that answers (default 15). Adaptive polling
  (:mod:`ingest.polling`): ``WIREDESK_POLL_QUIET_MAX_FACTOR`` (default 8): a feed that brings nothing new is
  polled up to this many times less often; ``WIREDESK_POLL_MAX_BACKOFF_MINUTES`` (default 360): the longest
  wait after errors; ``WIREDESK_POLL_DEAD_AFTER`` (default 10): errors in a row after which a feed is dead;
  ``WIREDESK_POLL_DEAD_HOURS`` (default 24): how often a dead feed is still polled;
  ``WIREDESK_POLL_MAX_RETRY_AFTER_HOURS`` (default 24): the longest ``Retry-After`` honoured.
- ``WIREDESK_HOST_CONCURRENCY``: fetches from one host at once, across every worker (default 2);
  ``WIREDESK_HOST_WAIT_SECONDS`` (default 30): how long a fetch waits for a free slot before its page is left
  for the next poll.
- ``WIREDESK_WORKERS``: processes ``wiredesk run-once`` polls, fetches and extracts feeds in (default: the
  number of cores, at most 8; 1 is sequential). In Airflow the feed tasks are the parallelism.
- ``WIREDESK_ROBOTS_TXT``: ``obey`` (default) or ``ignore`` the robots.txt of the sites article pages come from.
- ``WIREDESK_SCHEDULE_MINUTES``: minutes between two runs of the ``wiredesk_ingest`` DAG (default 15).
- ``WIREDESK_WINDOW_DAYS``: days an article stays in the dedupe index, by publication time (default 7).
- ``WIREDESK_MAX_ARTICLES_PER_POLL``: new articles fetched per feed and poll at most (default 200).
- ``WIREDESK_CANONICAL_POLICY``: criteria, in order, that pick a cluster's canonical article (default
  ``complete,agency,earliest``; also ``latest``, ``widest``).
- ``WIREDESK_STORY_CANONICAL_POLICY``: the same for a story, over its clusters' canonical articles (default
  ``widest,complete,agency,earliest``).
- ``WIREDESK_API_TOKEN``: comma-separated bearer tokens the read API (``wiredesk serve``) accepts; without one
  the API refuses to start. Read by :func:`api_tokens` only, never kept in :class:`Settings` (never logged).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from dedupe import DedupeConfig, parse_policy
from ingest.config import ExtractConfig, FetchLimits
from ingest.polling import PollPolicy
from storage import Store
from wiredesk.errors import ConfigError


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number; set it to e.g. {default}") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} is below {minimum}; set it to e.g. {default}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds; set it to e.g. {default:g}") from None
    if not 0 <= value <= 86400:  # also refuses nan and inf
        raise ConfigError(f"{name}={raw!r} is not between 0 and 86400 seconds; set it to e.g. {default:g}")
    return value


def _policy(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse_policy(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}; e.g. {','.join(default)}") from None


def normalise_store_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` (SQLAlchemy's default driver, psycopg2, is not installed) become
    ``postgresql+psycopg://``, the driver wiredesk ships; any other URL is returned as it is."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return url


@dataclass(frozen=True)
class Settings:
    home: Path
    store_url: str
    fetch: FetchLimits = field(default_factory=FetchLimits)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    dedupe: DedupeConfig = field(default_factory=DedupeConfig)
    polling: PollPolicy = field(default_factory=PollPolicy)
    max_attempts: int = 3
    max_articles_per_poll: int = 200
    host_concurrency: int = 2
    host_wait_s: float = 30.0
    obey_robots: bool = True
    workers: int = field(default_factory=lambda: min(os.cpu_count() or 1, 8))  # run-once's feed processes
    sqlite_busy_s: float = 30.0  # a SQLite write waits this long for another process's lock

    @property
    def poll_interval(self) -> timedelta:
        return self.polling.interval

    def open_store(self, *, migrate: bool = True) -> Store:
        """The store at ``store_url``, with these settings' SQLite busy timeout."""
        return Store.open(self.store_url, migrate=migrate, busy_timeout_s=self.sqlite_busy_s)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, store_url: str | None = None) -> Settings:
        """Settings from ``env`` (default: the process environment); ``store_url``, when given, wins over
        ``WIREDESK_STORE_URL`` (the DAG's tasks pass the Airflow connection's URL)."""
        env = os.environ if env is None else env
        home = Path(env.get("WIREDESK_HOME") or ".wiredesk").expanduser().absolute()
        store_url = normalise_store_url(
            store_url or env.get("WIREDESK_STORE_URL") or f"sqlite:///{home / 'wiredesk.db'}"
        )
        allow = tuple(a.strip() for a in env.get("WIREDESK_FETCH_ALLOW", "").split(",") if a.strip())
        return cls(
            home=home,
            store_url=store_url,
            fetch=FetchLimits(allow=allow),
            dedupe=DedupeConfig(
                window_days=_int(env, "WIREDESK_WINDOW_DAYS", 7),
                cluster_policy=_policy(env, "WIREDESK_CANONICAL_POLICY", DedupeConfig.cluster_policy),
                story_policy=_policy(env, "WIREDESK_STORY_CANONICAL_POLICY", DedupeConfig.story_policy),
            ),
            polling=PollPolicy(
                interval=timedelta(minutes=_int(env, "WIREDESK_POLL_MINUTES", 15)),
                quiet_max_factor=_int(env, "WIREDESK_POLL_QUIET_MAX_FACTOR", 8),
                max_backoff=timedelta(minutes=_int(env, "WIREDESK_POLL_MAX_BACKOFF_MINUTES", 360)),
                dead_after=_int(env, "WIREDESK_POLL_DEAD_AFTER", 10),
                dead_interval=timedelta(hours=_int(env, "WIREDESK_POLL_DEAD_HOURS", 24)),
                max_retry_after=timedelta(hours=_int(env, "WIREDESK_POLL_MAX_RETRY_AFTER_HOURS", 24)),
            ),
            max_articles_per_poll=_int(env, "WIREDESK_MAX_ARTICLES_PER_POLL", 200),
            host_concurrency=_int(env, "WIREDESK_HOST_CONCURRENCY", 2),
            host_wait_s=float(_int(env, "WIREDESK_HOST_WAIT_SECONDS", 30, minimum=0)),
            obey_robots=_robots(env),
            workers=_int(env, "WIREDESK_WORKERS", min(os.cpu_count() or 1, 8)),
            sqlite_busy_s=_seconds(env, "WIREDESK_SQLITE_BUSY_SECONDS", 30.0),
        )


def _robots(env: Mapping[str, str]) -> bool:
    raw = (env.get("WIREDESK_ROBOTS_TXT") or "obey").strip().lower()
    if raw not in ("obey", "ignore"):
        raise ConfigError(f"WIREDESK_ROBOTS_TXT={raw!r}: set it to obey (the default) or ignore")
    return raw == "obey"


def schedule_interval(env: Mapping[str, str] | None = None) -> timedelta:
    """The DAG's schedule (``WIREDESK_SCHEDULE_MINUTES``, default 15)."""
    return timedelta(minutes=_int(os.environ if env is None else env, "WIREDESK_SCHEDULE_MINUTES", 15))


def api_tokens(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The read API's bearer tokens (``WIREDESK_API_TOKEN``, comma-separated; blanks dropped)."""
    raw = (os.environ if env is None else env).get("WIREDESK_API_TOKEN", "")
    return tuple(token.strip() for token in raw.split(",") if token.strip())
