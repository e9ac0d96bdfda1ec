"""The store: every read and write the pipeline and its readers make, on SQLite or PostgreSQL.

Writes are upserts on natural keys, so a task that runs twice leaves what one run leaves. A dedupe
decision is written whole or not at all (signature, cluster, membership and events together), on its own or
in a :meth:`Store.group` of decisions that commit together.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from storage import schema as t
from storage.errors import NotFound, StoreError, StoreUnavailable
from storage.health import feed_health
from storage.migrate import upgrade
from storage.records import (
    Article,
    Cluster,
    ClusterDetail,
    ClusterWrite,
    Event,
    Feed,
    FeedHealth,
    IndexedCandidate,
    IndexedSignature,
    Membership,
    NewArticle,
    NewEntry,
    PendingEntry,
    PollRecord,
    RunRecord,
    Story,
    StoryDetail,
    StoryLink,
    StoryWrite,
)

_ARTICLE_COLUMNS = [c for c in t.articles.c if c.name not in ("raw_html", "block_keys")]


# Connections per process: 5 kept open, up to 40 at once (the read API serves from 40 threads; SQLAlchemy's
# default of 15 made requests wait behind slow ones, then fail).
POOL_SIZE = 5
POOL_CONNECTIONS = 40


def _row(record: Any) -> dict[str, Any]:
    """A record's fields as statement parameters (a shallow copy: ``asdict`` deep-copies every value)."""
    return dict(vars(record))


def _event_rows(
    events: Sequence[tuple[str, dict[str, Any]]],
    at: datetime,
    cluster_id: str | None,
    story_id: str | None,
    article_id: str | None,
) -> list[dict[str, Any]]:
    """Rows of the events table; a detail's ``cluster_id``, ``story_id`` and ``article_id`` override the
    defaults."""
    return [
        {
            "at": at,
            "kind": kind,
            "cluster_id": detail.get("cluster_id", cluster_id),
            "article_id": detail.get("article_id", article_id),
            "story_id": detail.get("story_id", story_id),
            "detail": detail,
        }
        for kind, detail in events
    ]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_timeout_s: float = 30.0) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # The busy timeout first: switching to WAL needs a lock when the file is new or in another mode.
    cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout_s * 1000)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints, not at every commit: a killed process loses nothing committed,
    # a power cut may lose the last commits (a rerun fetches them again). FULL cost an fsync per article.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_store_engine(url: str, *, busy_timeout_s: float = 30.0) -> Engine:
    """An engine for ``url``; for a SQLite file, its folder is created, WAL mode switched on, and a write
    waits up to ``busy_timeout_s`` for another process's lock before failing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_CONNECTIONS - POOL_SIZE)
        event.listen(
            engine, "connect", lambda conn, record: _sqlite_pragmas(conn, record, busy_timeout_s=busy_timeout_s)
        )
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_CONNECTIONS - POOL_SIZE)


def _first_line(exc: BaseException) -> str:
    """The driver's own message, first line only (psycopg adds hints on further lines)."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


def _is_unavailable(exc: DBAPIError, dialect: str) -> bool:
    """Whether a driver error means the database cannot be reached, opened or written (rather than a bug
    in a statement): the run should stop and be retried."""
    if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
        return True
    return dialect == "sqlite" and type(exc) is DatabaseError  # "file is not a database", "malformed"


def _unavailable(exc: BaseException, url: Any, busy_timeout_s: float) -> StoreUnavailable:
    """One line that says what is wrong with the store at ``url`` and what to do about it."""
    reason = _first_line(exc)
    lowered = reason.lower()
    if url.get_backend_name() == "sqlite":
        path = url.database or ":memory:"
        if "locked" in lowered:
            return StoreUnavailable(
                f"store: the SQLite database {path} is locked by another process (waited {busy_timeout_s:g} s); "
                "let that process finish and retry, or raise WIREDESK_SQLITE_BUSY_SECONDS"
            )
        if "database or disk is full" in lowered:
            return StoreUnavailable(
                f"store: the SQLite database {path} is full (database or disk is full); free space on its disk, "
                "then rerun: what was stored is kept and the rest is stored then"
            )
        if "not a database" in lowered or "malformed" in lowered:
            return StoreUnavailable(
                f"store: {path} is not a usable SQLite database ({reason}); point WIREDESK_STORE_URL at a wiredesk "
                "database, or move the file away to start a new one"
            )
        if "unable to open" in lowered or "readonly" in lowered:
            return StoreUnavailable(
                f"store: cannot write the SQLite database {path} ({reason}); check that it and its folder exist "
                "and are writable by this user"
            )
        return StoreUnavailable(f"store: the SQLite database {path}: {reason}")
    where = url.render_as_string(hide_password=True)
    return StoreUnavailable(f"store: {where} is unavailable ({reason}); retry when it is reachable again")


class Store:
    """Access to one wiredesk database. Open with :meth:`Store.open`; close when done."""

    def __init__(self, engine: Engine, *, busy_timeout_s: float = 30.0) -> None:
        self._engine = engine
        self._busy_timeout_s = busy_timeout_s
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._pinned = threading.local()  # this thread's connection while it works in a group()

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, busy_timeout_s: float = 30.0) -> Store:
        """Connect to ``url`` and bring its schema up to date (unless ``migrate`` is false). On SQLite, a
        write waits up to ``busy_timeout_s`` for another process's lock (``WIREDESK_SQLITE_BUSY_SECONDS``).
        Raises :class:`StoreUnavailable`, with one line saying what to do, when the store cannot be used."""
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreUnavailable(
                "store: the store URL is not a database URL; set WIREDESK_STORE_URL to e.g. "
                "sqlite:////var/lib/wiredesk/wiredesk.db or postgresql://user@host:5432/wiredesk"
            ) from None
        where = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise StoreUnavailable(
                f"store: {parsed.get_backend_name()} databases are not supported ({where}); "
                "use SQLite (sqlite:///...) or PostgreSQL (postgresql://...)"
            )
        try:
            engine = create_store_engine(url, busy_timeout_s=busy_timeout_s)
        except OSError as exc:
            raise StoreUnavailable(f"store: cannot create the folder of {where}: {exc.strerror}") from exc
        except (NoSuchModuleError, ImportError) as exc:
            raise StoreUnavailable(
                f"store: no database driver for {where} ({_first_line(exc)}); use sqlite:/// or postgresql+psycopg://"
            ) from exc
        try:
            if migrate:
                upgrade(engine)
            else:
                with engine.connect():
                    pass
        except DBAPIError as exc:
            engine.dispose()
            if not _is_unavailable(exc, parsed.get_backend_name()):
                raise
            if parsed.get_backend_name() == "sqlite":
                raise _unavailable(exc, parsed, busy_timeout_s) from exc
            raise StoreUnavailable(
                f"store: cannot open {where} ({_first_line(exc)}); check that the server is running and the URL "
                "(WIREDESK_STORE_URL, or the Airflow connection wiredesk_store) is right"
            ) from exc
        except OSError as exc:
            engine.dispose()
            raise StoreUnavailable(f"store: cannot open {where}: {exc.strerror or exc}") from exc
        return cls(engine, busy_timeout_s=busy_timeout_s)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Hold a lock named ``name`` across processes: a PostgreSQL advisory lock, or for a SQLite file a
        lock on a file beside it. Dedupe decisions are made under ``exclusive("dedupe")``, so two workers
        never decide at once (and never open two clusters for one copy)."""
        if self.dialect == "postgresql":
            key = self._lock_key(name)
            with self._read() as conn:  # a session of its own, errors translated as for any read
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    conn.commit()
            return
        database = self._engine.url.database
        if not database or database == ":memory:":
            yield  # one process, one in-memory database: nothing to share
            return
        with open(f"{database}.{name}.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def slot(self, name: str, limit: int, wait_s: float) -> Iterator[bool]:
        """Hold one of ``limit`` slots named ``name`` across processes, waiting up to ``wait_s`` for one to
        come free; yields whether one was had. Slots are non-blocking PostgreSQL advisory locks, or for a
        SQLite file locks on files in a folder beside it; a killed holder's slot frees itself. The per-host
        concurrency limit of fetches is a slot per host (:mod:`wiredesk.pipeline`)."""
        keys = [f"slot:{name}:{i}" for i in range(max(limit, 1))]
        give_up = time.monotonic() + wait_s
        if self.dialect == "postgresql":
            with self._read() as conn:
                held = self._take_pg_slot(conn, keys, give_up)
                try:
                    yield held is not None
                finally:
                    if held is not None:
                        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": held})
                        conn.commit()
            return
        database = self._engine.url.database
        if not database or database == ":memory:":
            yield True
            return
        folder = Path(f"{database}.locks")
        folder.mkdir(exist_ok=True)
        handle = self._take_file_slot(folder, keys, give_up)
        try:
            yield handle is not None
        finally:
            if handle is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()

    @staticmethod
    def _lock_key(name: str) -> int:
        return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)

    def _take_pg_slot(self, conn: Connection, keys: list[str], give_up: float) -> int | None:
        while True:
            for key in keys:
                number = self._lock_key(key)
                if conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": number}).scalar_one():
                    conn.commit()
                    return number
            conn.commit()
            if time.monotonic() >= give_up:
                return None
            time.sleep(0.05)

    @staticmethod
    def _take_file_slot(folder: Path, keys: list[str], give_up: float) -> Any:
        while True:
            for key in keys:
                handle = open(folder / (hashlib.blake2b(key.encode(), digest_size=8).hexdigest() + ".lock"), "a+b")  # noqa: SIM115
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    handle.close()
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    continue
                return handle
            if time.monotonic() >= give_up:
                return None
            time.sleep(0.05)

    @contextmanager
    def group(self) -> Iterator[Callable[[], None]]:
        """Group this thread's writes into larger transactions (dedupe writes a decision in a dozen statements:
        a commit each would cost more than the statements). Until the block ends, every read and write of this
        thread goes through one connection and one transaction, and sees what the group wrote. The block gets a
        ``commit()`` to make what it wrote so far durable and visible to others; the rest commits when the
        block ends. A write that fails fails the group: its error goes up and everything since the last
        ``commit()`` is rolled back (no savepoint per write: on PostgreSQL that would be two more round trips
        each). Rows that no decision reads (signatures, story links, events) are written in one statement per
        table just before each commit, so reads inside the group do not see them. On SQLite the group holds
        the write lock until each commit (``BEGIN IMMEDIATE``): commit often enough that other writers' waits
        stay short."""
        if getattr(self._pinned, "conn", None) is not None:
            raise RuntimeError("store: groups do not nest")

        def begin(conn: Connection) -> None:
            if self.dialect == "sqlite":  # pysqlite would begin only at the first write, after our reads
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        def commit() -> None:
            with self._translating():
                self._write_later(conn)
                conn.commit()
                begin(conn)

        with self._translating(), self._engine.connect() as conn:
            begin(conn)
            self._pinned.conn = conn
            self._pinned.later = {"signature": [], "link": [], "event": []}
            try:
                yield commit
                self._write_later(conn)
                conn.commit()
            finally:
                self._pinned.conn = self._pinned.later = None

    @contextmanager
    def _translating(self) -> Iterator[None]:
        """Driver errors that mean the store cannot be used (lost, locked, full) become one-line
        :class:`StoreUnavailable`; others (a constraint, a bug) pass through unchanged."""
        try:
            yield
        except DBAPIError as exc:
            if not _is_unavailable(exc, self.dialect):
                raise
            raise _unavailable(exc, self._engine.url, self._busy_timeout_s) from exc
        except PoolTimeout as exc:
            reason = ", ".join(str(exc).split(" (")[0].split(", ")[:3])  # the pool's limits and how long it waited
            raise StoreUnavailable(
                f"store: every connection this process may open to the store is busy ({reason}); retry, or "
                "spread the load over more processes"
            ) from exc

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """One transaction: committed whole, or rolled back and the error raised (translated as by
        :meth:`_translating`). In a :meth:`group`, the group's transaction."""
        pinned: Connection | None = getattr(self._pinned, "conn", None)
        with self._translating():
            if pinned is not None:
                yield pinned
            else:
                with self._engine.begin() as conn:
                    yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        pinned: Connection | None = getattr(self._pinned, "conn", None)
        with self._translating():
            if pinned is not None:
                yield pinned
            else:
                with self._engine.connect() as conn:
                    yield conn

    # -- feeds -------------------------------------------------------------------------------------

    def add_feed(self, url: str, name: str, now: datetime) -> tuple[Feed, bool]:
        """Register a feed by URL; returns the feed and whether it was new. An existing feed keeps its name."""
        with self._tx() as conn:
            stmt = self._insert(t.feeds).values(url=url, name=name, created_at=now, consecutive_errors=0)
            insert = stmt.on_conflict_do_nothing(index_elements=["url"]).returning(t.feeds.c.id)
            created = conn.execute(insert).first() is not None
            row = conn.execute(select(t.feeds).where(t.feeds.c.url == url)).one()
        return Feed(**row._mapping), created

    def get_feed(self, feed_id: int) -> Feed:
        with self._read() as conn:
            row = conn.execute(select(t.feeds).where(t.feeds.c.id == feed_id)).one_or_none()
        if row is None:
            raise NotFound(f"store: no feed with id {feed_id}")
        return Feed(**row._mapping)

    def list_feeds(self) -> list[Feed]:
        with self._read() as conn:
            rows = conn.execute(select(t.feeds).order_by(t.feeds.c.id)).all()
        return [Feed(**r._mapping) for r in rows]

    def due_feeds(self, now: datetime) -> list[Feed]:
        """Feeds never polled, or whose next poll time has come."""
        cond = or_(t.feeds.c.next_poll_at.is_(None), t.feeds.c.next_poll_at <= now)
        with self._read() as conn:
            rows = conn.execute(select(t.feeds).where(cond).order_by(t.feeds.c.id)).all()
        return [Feed(**r._mapping) for r in rows]

    def record_poll(self, feed_id: int, poll: PollRecord) -> None:
        """Write a poll's outcome as the feed's state and into its poll history (keyed by the poll's time, so
        a retried poll overwrites its row). Validators are kept across 304s and errors."""
        values: dict[str, Any] = {
            "last_polled_at": poll.polled_at,
            "last_status": poll.status,
            "last_http_status": poll.http_status,
            "next_poll_at": poll.next_poll_at,
            "quiet_polls": poll.quiet_polls,
        }
        if poll.status == "error":
            values |= {
                "last_error": poll.error,
                "last_error_at": poll.polled_at,
                "last_error_class": poll.error_class,
                "consecutive_errors": t.feeds.c.consecutive_errors + 1,
            }
        else:
            # A successful poll clears the error; a partial parse records its warning in its place.
            values |= {
                "last_success_at": poll.polled_at,
                "consecutive_errors": 0,
                "last_error": poll.error,
                "last_error_class": None,
            }
        if poll.status == "ok":
            values |= {"etag": poll.etag, "last_modified": poll.last_modified}
            if poll.title:
                values["title"] = poll.title
            if poll.format:
                values["format"] = poll.format
        history = {
            "status": poll.status,
            "http_status": poll.http_status,
            "error_class": poll.error_class,
            "entries": poll.entries,
            "new_entries": poll.new_entries,
            "next_poll_at": poll.next_poll_at,
        }
        insert = self._insert(t.polls).values(feed_id=feed_id, polled_at=poll.polled_at, **history)
        with self._tx() as conn:
            conn.execute(update(t.feeds).where(t.feeds.c.id == feed_id).values(**values))
            conn.execute(insert.on_conflict_do_update(index_elements=["feed_id", "polled_at"], set_=history))

    def feed_health(self, now: datetime, days: int = 7, dead_after: int = 10) -> list[FeedHealth]:
        """Every feed's health over the ``days`` before ``now`` (:class:`FeedHealth`); a feed with
        ``dead_after`` errors in a row is ``dead``."""
        with self._read() as conn:
            return feed_health(conn, now, days, dead_after)

    def prune_polls(self, before: datetime) -> int:
        """Forget the poll history older than ``before``; returns how many polls were dropped."""
        with self._tx() as conn:
            return int(conn.execute(delete(t.polls).where(t.polls.c.polled_at < before)).rowcount or 0)

    # -- runs and robots.txt -----------------------------------------------------------------------

    def record_run(self, run: RunRecord) -> None:
        """Record a run and its counts (a rerun of the same run id overwrites them)."""
        values = {"source": run.source, "started_at": run.started_at, "finished_at": run.finished_at}
        values["counts"] = dict(run.counts)
        insert = self._insert(t.runs).values(run_id=run.run_id, **values)
        with self._tx() as conn:
            conn.execute(insert.on_conflict_do_update(index_elements=["run_id"], set_=values))

    def recent_runs(self, limit: int = 20) -> list[RunRecord]:
        """The latest runs, newest first."""
        query = select(t.runs).order_by(t.runs.c.finished_at.desc(), t.runs.c.run_id).limit(limit)
        with self._read() as conn:
            return [RunRecord(**r._mapping) for r in conn.execute(query).all()]

    def robots_txt(self, origin: str) -> tuple[str, int, datetime] | None:
        """A site's robots.txt as last fetched: (body, HTTP status, fetched at), or None."""
        r = t.robots_txt.c
        with self._read() as conn:
            row = conn.execute(select(r.body, r.status, r.fetched_at).where(r.origin == origin)).one_or_none()
        return (row.body, row.status, row.fetched_at) if row else None

    def save_robots_txt(self, origin: str, body: str, status: int, fetched_at: datetime) -> None:
        values = {"body": body, "status": status, "fetched_at": fetched_at}
        insert = self._insert(t.robots_txt).values(origin=origin, **values)
        with self._tx() as conn:
            conn.execute(insert.on_conflict_do_update(index_elements=["origin"], set_=values))

    # -- entries -----------------------------------------------------------------------------------

    def add_entries(self, feed_id: int, entries: Sequence[NewEntry], now: datetime) -> int:
        """Record the items a feed listed; returns how many were not known before."""
        if not entries:
            return 0
        rows = [
            {
                "url": e.url,
                "feed_id": feed_id,
                "guid": e.guid,
                "title": e.title,
                "author": e.author,
                "published_at": e.published_at,
                "first_seen_at": now,
                "status": "new",
                "attempts": 0,
            }
            for e in entries
        ]
        # One executemany: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues", 1,000 rows each) and
        # collects what RETURNING gives back: exactly the rows inserted. A URL another worker stored first, or
        # one repeated in the batch, is a conflict and not returned, so the count stays race-free.
        stmt = self._insert(t.entries).on_conflict_do_nothing(index_elements=["url"]).returning(t.entries.c.url)
        with self._tx() as conn:
            return len(conn.execute(stmt, rows).all())

    def pending_entries(self, feed_id: int, max_attempts: int) -> list[PendingEntry]:
        """Entries of this feed not fetched yet, or failed fewer than ``max_attempts`` times."""
        e = t.entries.c
        cond = and_(
            e.feed_id == feed_id,
            or_(e.status == "new", and_(e.status == "failed", e.attempts < max_attempts)),
        )
        cols = [e.url, e.feed_id, e.guid, e.title, e.author, e.published_at, e.attempts]
        with self._read() as conn:
            rows = conn.execute(select(*cols).where(cond).order_by(e.first_seen_at, e.url)).all()
        return [PendingEntry(**r._mapping) for r in rows]

    def record_fetch_failure(
        self, url: str, error: str, now: datetime, error_class: str | None = None, *, attempt: bool = True
    ) -> None:
        """Record that fetching or extracting an entry failed; it is retried on later polls until it has had
        the configured attempts. ``attempt=False`` defers it (a busy or throttling site, a robots.txt that
        could not be read): the error is kept, the attempt not counted."""
        values: dict[str, Any] = {"error": error, "error_class": error_class, "last_attempt_at": now}
        if attempt:
            values |= {"status": "failed", "attempts": t.entries.c.attempts + 1}
        with self._tx() as conn:
            conn.execute(update(t.entries).where(t.entries.c.url == url).values(**values))

    def disallow_entry(self, url: str, reason: str, now: datetime) -> None:
        """Mark an entry as never to be fetched: the site's robots.txt disallows it."""
        values = {"status": "disallowed", "error": reason, "error_class": "robots", "last_attempt_at": now}
        with self._tx() as conn:
            conn.execute(update(t.entries).where(t.entries.c.url == url).values(**values))

    def entry_errors(self) -> list[tuple[str, str]]:
        """(URL, error) of every entry whose last fetch failed."""
        with self._read() as conn:
            rows = conn.execute(
                select(t.entries.c.url, t.entries.c.error)
                .where(t.entries.c.status == "failed")
                .order_by(t.entries.c.url)
            ).all()
        return [(r.url, r.error or "") for r in rows]

    # -- articles ----------------------------------------------------------------------------------

    def save_article(self, article: NewArticle) -> bool:
        """Store one version of an article and mark its entry fetched; returns whether it was new."""
        values = asdict(article)
        with self._tx() as conn:
            stmt = self._insert(t.articles).values(**values).on_conflict_do_nothing(index_elements=["id"])
            created = conn.execute(stmt.returning(t.articles.c.id)).first() is not None
            conn.execute(
                update(t.entries)
                .where(t.entries.c.url == article.url, t.entries.c.article_id.is_distinct_from(article.id))
                .values(
                    status="fetched",
                    article_id=article.id,
                    error=None,
                    error_class=None,
                    attempts=t.entries.c.attempts + 1,
                    last_attempt_at=article.fetched_at,
                )
            )
        return created

    def _article_query(self) -> Any:
        return select(*_ARTICLE_COLUMNS, t.memberships.c.cluster_id).outerjoin(
            t.memberships, t.memberships.c.article_id == t.articles.c.id
        )

    def get_article(self, article_id: str) -> Article:
        with self._read() as conn:
            row = conn.execute(self._article_query().where(t.articles.c.id == article_id)).one_or_none()
        if row is None:
            raise NotFound(f"store: no article with id {article_id}")
        return Article(**row._mapping)

    def articles_by_id(self, ids: Sequence[str]) -> dict[str, Article]:
        if not ids:
            return {}
        with self._read() as conn:
            rows = conn.execute(self._article_query().where(t.articles.c.id.in_(list(ids)))).all()
        return {r.id: Article(**r._mapping) for r in rows}

    def list_articles(self, since: datetime | None = None, limit: int | None = None) -> list[Article]:
        """Articles newest first; ``since`` filters on publication time (else fetch time)."""
        when = func.coalesce(t.articles.c.published_at, t.articles.c.fetched_at)
        query = self._article_query().order_by(when.desc(), t.articles.c.id)
        if since is not None:
            query = query.where(when >= since)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [Article(**r._mapping) for r in rows]

    def canonical_articles(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        outlet: str | None = None,
        agency: str | None = None,
        language: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> list[Article]:
        """The canonical article of each (non-empty) cluster, newest first by (publication time, else fetch
        time; id), filtered in SQL: ``since`` inclusive, ``until`` exclusive, ``outlet`` and ``language``
        exact, ``agency`` one of the article's comma-separated agency codes (case-insensitive). ``after`` is
        the (time, id) of the last article of the previous page: the page starts strictly after it, so pages
        neither repeat nor skip an article, whatever arrived in between."""
        # Read in order from ix_articles_when and stopped after a page (not every canonical article joined
        # and sorted: 4 s a page at a million articles); the cluster is found per article, so no planner
        # starts from the clusters.
        a, c = t.articles.c, t.clusters.c
        when = func.coalesce(a.published_at, a.fetched_at)
        canonical = and_(c.canonical_id == a.id, c.size > 0)
        query = (
            select(*_ARTICLE_COLUMNS, select(c.id).where(canonical).limit(1).scalar_subquery().label("cluster_id"))
            .where(exists().where(canonical))
            .order_by(when.desc(), a.id.desc())
            .limit(limit)
        )
        if since is not None:
            query = query.where(when >= since)
        if until is not None:
            query = query.where(when < until)
        if outlet:
            query = query.where(a.outlet == outlet)
        if language:
            query = query.where(func.lower(a.language) == language.lower())
        if agency:
            codes = func.upper(literal(",") + a.agency + literal(","))
            query = query.where(codes.contains(f",{agency.strip().upper()},", autoescape=True))
        if after is not None:
            at, last_id = after  # the range bound too: it is what starts the index scan at the cursor
            query = query.where(when <= at, or_(when < at, and_(when == at, a.id < last_id)))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [Article(**r._mapping) for r in rows]

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database answers."""
        with self._read() as conn:
            conn.execute(select(literal(1)))

    def site_pages(self, host: str, limit: int = 200) -> list[list[str]]:
        """Block keys of the host's latest stored pages (newest first), for boilerplate learning."""
        a = t.articles.c
        query = (
            select(a.block_keys)
            .where(a.host == host, a.block_keys.is_not(None))
            .order_by(a.fetched_at.desc(), a.id)
            .limit(limit)
        )
        with self._read() as conn:
            return [list(row.block_keys) for row in conn.execute(query)]

    def site_page_count(self, host: str) -> int:
        with self._read() as conn:
            query = select(func.count()).select_from(t.articles).where(t.articles.c.host == host)
            return int(conn.execute(query).scalar_one())

    def site_model(self, host: str) -> tuple[list[str], int] | None:
        """The learned boilerplate keys of a host and how many pages they were learned from."""
        with self._read() as conn:
            row = conn.execute(
                select(t.site_models.c["keys"], t.site_models.c.pages).where(t.site_models.c.host == host)
            ).first()
        return (list(row[0]), int(row[1])) if row else None

    def save_site_model(self, host: str, keys: Sequence[str], pages: int, now: datetime) -> None:
        values = {"keys": sorted(keys), "pages": pages, "learned_at": now}
        with self._tx() as conn:
            stmt = self._insert(t.site_models).values(host=host, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["host"], set_=values))

    def raw_html(self, article_id: str) -> bytes | None:
        """The compressed raw HTML kept for re-extraction."""
        with self._read() as conn:
            return conn.execute(select(t.articles.c.raw_html).where(t.articles.c.id == article_id)).scalar()

    def undecided_articles(self) -> list[Article]:
        """Articles not yet placed in a cluster, oldest publication first (a stable processing order)."""
        a = t.articles.c
        query = (
            self._article_query()
            .where(t.memberships.c.article_id.is_(None))
            .order_by(a.published_at.is_(None), a.published_at, a.fetched_at, a.id)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [Article(**r._mapping) for r in rows]

    # -- dedupe state ------------------------------------------------------------------------------

    def indexed_signatures(self, since: datetime) -> list[IndexedSignature]:
        """Signatures of articles published since ``since`` (or undated), with their cluster ids."""
        s = t.signatures.c
        query = (
            select(s.article_id, s.hashvalues, s.published_at, t.memberships.c.cluster_id)
            .outerjoin(t.memberships, t.memberships.c.article_id == s.article_id)
            .where(or_(s.published_at.is_(None), s.published_at >= since))
            .order_by(s.article_id)
        )
        with self._read() as conn:
            return [IndexedSignature(**r._mapping) for r in conn.execute(query).all()]

    def newest_signature_time(self) -> datetime | None:
        """The latest publication time among decided articles."""
        with self._read() as conn:
            return conn.execute(select(func.max(t.signatures.c.published_at))).scalar()

    def get_cluster(self, cluster_id: str) -> Cluster:
        with self._read() as conn:
            row = conn.execute(select(t.clusters).where(t.clusters.c.id == cluster_id)).one_or_none()
        if row is None:
            raise NotFound(f"store: no cluster with id {cluster_id}")
        return Cluster(**row._mapping)

    def cluster_members(self, cluster_id: str) -> list[tuple[Article, Membership]]:
        m = t.memberships.c
        query = (
            select(*_ARTICLE_COLUMNS, *[c.label(f"m_{c.name}") for c in t.memberships.c])
            .join(t.memberships, m.article_id == t.articles.c.id)
            .where(m.cluster_id == cluster_id)
            .order_by(t.articles.c.published_at.is_(None), t.articles.c.published_at, t.articles.c.id)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        out = []
        for r in rows:
            d = dict(r._mapping)
            mem = Membership(**{c.name: d.pop(f"m_{c.name}") for c in t.memberships.c})
            out.append((Article(**d, cluster_id=cluster_id), mem))
        return out

    def member_ids(self, cluster_ids: Sequence[str]) -> dict[str, list[str]]:
        """Cluster id -> ids of its member articles, for each of ``cluster_ids`` that exists."""
        if not cluster_ids:
            return {}
        m = t.memberships.c
        query = select(m.cluster_id, m.article_id).where(m.cluster_id.in_(list(cluster_ids))).order_by(m.article_id)
        out: dict[str, list[str]] = {}
        with self._read() as conn:
            for row in conn.execute(query):
                out.setdefault(row.cluster_id, []).append(row.article_id)
        return out

    def cluster_detail(self, cluster_id: str) -> ClusterDetail:
        return ClusterDetail(self.get_cluster(cluster_id), self.cluster_members(cluster_id))

    def list_clusters(self, limit: int | None = None) -> list[Cluster]:
        """Clusters, largest first, then by id."""
        query = (
            select(t.clusters)
            .where(t.clusters.c.size > 0)  # a cluster emptied by re-extraction stays, as a tombstone
            .order_by(t.clusters.c.size.desc(), t.clusters.c.created_at, t.clusters.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [Cluster(**r._mapping) for r in conn.execute(query).all()]

    def write_decision(self, write: ClusterWrite) -> bool:
        """Apply one dedupe decision atomically; returns False (and writes nothing) if already decided,
        also when another writer placed the article in the meantime."""
        try:
            return self._write_decision(write)
        except IntegrityError as exc:
            if getattr(self._pinned, "conn", None) is None and self.member_ids_of([write.article_id]):
                return False  # another writer won the race for this article
            first = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"store: cannot place article {write.article_id}: {first}") from exc

    def member_ids_of(self, article_ids: Sequence[str]) -> dict[str, str]:
        """Article id -> cluster id, for those of ``article_ids`` already placed."""
        m = t.memberships.c
        with self._read() as conn:
            rows = conn.execute(select(m.article_id, m.cluster_id).where(m.article_id.in_(list(article_ids))))
            return {r.article_id: r.cluster_id for r in rows}

    @cached_property
    def _decision_statements(self) -> dict[str, Any]:
        """The statements a decision writes with, built once (building one per write cost more than running
        it); each runs with plain parameters."""
        clusters = self._insert(t.clusters)
        updated = ["founder_id", "canonical_id", "canonical_reason", "size", "updated_at", "story_id"]
        stories = self._insert(t.stories)
        story_columns = [f.name for f in fields(Story) if f.name not in ("id", "created_at")]
        return {
            "story": stories.on_conflict_do_update(
                index_elements=["id"], set_={name: stories.excluded[name] for name in story_columns}
            ),
            "placed": select(t.memberships.c.cluster_id).where(t.memberships.c.article_id == bindparam("article_id")),
            "signature": self._insert(t.signatures).on_conflict_do_nothing(index_elements=["article_id"]),
            "keys": self._insert(t.index_keys).on_conflict_do_nothing(index_elements=["key", "article_id"]),
            "cluster": clusters.on_conflict_do_update(
                index_elements=["id"], set_={name: clusters.excluded[name] for name in updated}
            ),
            "membership": t.memberships.insert(),
            "event": t.events.insert(),
            "link": self._insert(t.story_links).on_conflict_do_nothing(
                index_elements=["article_id", "other_cluster_id"]
            ),
        }

    def _write_later(self, conn: Connection) -> None:
        """Write what a group's decisions left for its commit (:meth:`group`), in order."""
        for kind, rows in self._pinned.later.items():
            if rows:
                conn.execute(self._decision_statements[kind], rows)
                rows.clear()

    def _write_decision(self, write: ClusterWrite) -> bool:
        c = write.cluster
        mem = write.membership
        st = self._decision_statements
        later: dict[str, list[dict[str, Any]]] | None = getattr(self._pinned, "later", None)

        def write_rows(kind: str, rows: list[dict[str, Any]]) -> None:
            if later is not None:
                later[kind].extend(rows)
            elif rows:
                conn.execute(st[kind], rows)

        with self._tx() as conn:
            if conn.execute(st["placed"], {"article_id": write.article_id}).first() is not None:
                return False
            signature = {"article_id": write.article_id, "hashvalues": write.hashvalues}
            write_rows("signature", [{**signature, "published_at": write.published_at}])
            if write.index_keys:
                rows = [
                    {"key": k, "article_id": write.article_id, "published_at": write.published_at}
                    for k in write.index_keys
                ]
                conn.execute(st["keys"], rows)
            conn.execute(st["cluster"], _row(c))
            conn.execute(st["membership"], _row(mem))
            if write.story is not None:
                self._write_story(conn, write.story)
            write_rows("link", [_row(link) for link in write.links])
            write_rows("event", _event_rows(write.events, mem.decided_at, c.id, c.story_id, write.article_id))
        return True

    @staticmethod
    def _insert_events(
        conn: Connection,
        events: Sequence[tuple[str, dict[str, Any]]],
        at: datetime,
        cluster_id: str | None,
        story_id: str | None,
        article_id: str | None,
    ) -> None:
        """Append events, in order (:func:`_event_rows`)."""
        if events:
            conn.execute(t.events.insert(), _event_rows(events, at, cluster_id, story_id, article_id))

    # -- re-extraction -----------------------------------------------------------------------------

    def reextract_candidates(self, host: str | None = None, since: datetime | None = None) -> list[str]:
        """Ids of stored articles with raw HTML, of ``host`` and published (else fetched) since ``since``."""
        a = t.articles.c
        when = func.coalesce(a.published_at, a.fetched_at)
        query = select(a.id).where(a.raw_html.is_not(None)).order_by(when, a.id)
        if host:
            query = query.where(a.host == host.lower())
        if since is not None:
            query = query.where(when >= since)
        with self._read() as conn:
            return [r.id for r in conn.execute(query)]

    def block_keys(self, article_id: str) -> list[str] | None:
        with self._read() as conn:
            keys = conn.execute(select(t.articles.c.block_keys).where(t.articles.c.id == article_id)).scalar()
        return list(keys) if keys is not None else None

    def set_block_keys(self, article_id: str, keys: Sequence[str]) -> None:
        with self._tx() as conn:
            conn.execute(update(t.articles).where(t.articles.c.id == article_id).values(block_keys=list(keys)))

    def entry_facts(self, url: str) -> PendingEntry | None:
        """What the feed said of a URL (title, author, time), as ingest saw it."""
        e = t.entries.c
        cols = [e.url, e.feed_id, e.guid, e.title, e.author, e.published_at, e.attempts]
        with self._read() as conn:
            row = conn.execute(select(*cols).where(e.url == url)).first()
        return PendingEntry(**row._mapping) if row else None

    def update_article(
        self, article_id: str, values: dict[str, Any], events: Sequence[tuple[str, dict[str, Any]]], at: datetime
    ) -> None:
        """Re-extracted metadata of an article whose body did not change, with its events."""
        with self._tx() as conn:
            conn.execute(update(t.articles).where(t.articles.c.id == article_id).values(**values))
            self._insert_events(conn, events, at, None, None, article_id)

    def withdraw_article(
        self,
        article_id: str,
        values: dict[str, Any],
        cluster: Cluster | None,
        story: Story | None,
        events: Sequence[tuple[str, dict[str, Any]]],
        at: datetime,
    ) -> None:
        """A re-extracted article whose body changed: store the new body and take the article out of its
        cluster (signature, index keys, membership, the story links it made), with the cluster's and the
        story's new summaries, in one transaction; the next dedupe places it again."""
        with self._tx() as conn:
            conn.execute(update(t.articles).where(t.articles.c.id == article_id).values(**values))
            for table in (t.memberships, t.index_keys, t.signatures, t.story_links):
                conn.execute(delete(table).where(table.c.article_id == article_id))
            if cluster is not None:
                conn.execute(
                    update(t.clusters)
                    .where(t.clusters.c.id == cluster.id)
                    .values(
                        canonical_id=cluster.canonical_id,
                        canonical_reason=cluster.canonical_reason,
                        size=cluster.size,
                        updated_at=cluster.updated_at,
                    )
                )
            if story is not None:
                values = {k: v for k, v in asdict(story).items() if k not in ("id", "created_at", "merged_into")}
                conn.execute(update(t.stories).where(t.stories.c.id == story.id).values(**values))
            self._insert_events(
                conn, events, at, cluster.id if cluster else None, story.id if story else None, article_id
            )

    def _write_story(self, conn: Connection, write: StoryWrite) -> None:
        story = write.story
        conn.execute(self._decision_statements["story"], _row(story))
        if write.absorbed:
            absorbed = list(write.absorbed)
            conn.execute(
                update(t.stories)
                .where(t.stories.c.id.in_(absorbed))
                .values(merged_into=story.id, updated_at=story.updated_at)
            )
            # Followers of a story absorbed earlier follow it on to the new one.
            conn.execute(update(t.stories).where(t.stories.c.merged_into.in_(absorbed)).values(merged_into=story.id))
            conn.execute(update(t.clusters).where(t.clusters.c.story_id.in_(absorbed)).values(story_id=story.id))

    # -- the candidate index -----------------------------------------------------------------------

    def index_candidates(self, keys: Sequence[int]) -> list[IndexedCandidate]:
        """Decided articles sharing at least one band key with ``keys``, with their clusters."""
        if not keys:
            return []
        k = t.index_keys.c
        query = (
            select(k.article_id, t.memberships.c.cluster_id, func.min(k.published_at).label("published_at"))
            .join(t.memberships, t.memberships.c.article_id == k.article_id)
            .where(k.key.in_(list(keys)))
            .group_by(k.article_id, t.memberships.c.cluster_id)
            .order_by(k.article_id)
        )
        with self._read() as conn:
            return [IndexedCandidate(**r._mapping) for r in conn.execute(query).all()]

    def prune_index(self, before: datetime) -> int:
        """Take articles published before ``before`` out of the index (they stay in the store); returns how
        many index rows went."""
        with self._tx() as conn:
            return int(conn.execute(delete(t.index_keys).where(t.index_keys.c.published_at < before)).rowcount)

    def refresh_statistics(self) -> None:
        """Let PostgreSQL's planner see the index tables as they are now (after a large batch of decisions,
        before autovacuum gets to it: without statistics an index query is ~20 times slower)."""
        if self.dialect == "postgresql":
            with self._tx() as conn:
                conn.execute(text("ANALYZE index_keys, memberships, signatures"))

    def index_state(self) -> str | None:
        """What the stored index was built with (None: never built, or lost)."""
        with self._read() as conn:
            return conn.execute(select(t.meta.c.value).where(t.meta.c.name == "index")).scalar()

    def replace_index(self, state: str, rows: Iterable[tuple[str, datetime, Sequence[int]]]) -> int:
        """Rebuild the index from ``rows`` of (article id, publication time, band keys), in one transaction;
        returns how many articles it holds."""
        count = 0
        with self._tx() as conn:
            conn.execute(delete(t.index_keys))
            batch: list[dict[str, Any]] = []
            for article_id, published_at, keys in rows:
                count += 1
                batch.extend({"key": k, "article_id": article_id, "published_at": published_at} for k in keys)
                if len(batch) >= 10_000:
                    conn.execute(t.index_keys.insert(), batch)
                    batch = []
            if batch:
                conn.execute(t.index_keys.insert(), batch)
            stmt = self._insert(t.meta).values(name="index", value=state)
            conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": state}))
        return count

    def index_is_empty(self) -> bool:
        with self._read() as conn:
            return conn.execute(select(t.index_keys.c.key).limit(1)).first() is None

    def has_signatures_since(self, since: datetime) -> bool:
        with self._read() as conn:
            query = select(t.signatures.c.article_id).where(t.signatures.c.published_at >= since).limit(1)
            return conn.execute(query).first() is not None

    def signature_state(self) -> str | None:
        """How the stored signatures were computed (None: before this was recorded, or no store yet)."""
        with self._read() as conn:
            return conn.execute(select(t.meta.c.value).where(t.meta.c.name == "signatures")).scalar()

    def signed_articles(self, after: str, limit: int) -> list[tuple[str, str]]:
        """(article id, body) of up to ``limit`` articles with a stored signature, by id, from after ``after``."""
        s = t.signatures.c
        query = (
            select(s.article_id, t.articles.c.body)
            .join(t.articles, t.articles.c.id == s.article_id)
            .where(s.article_id > after)
            .order_by(s.article_id)
            .limit(limit)
        )
        with self._read() as conn:
            return [(r.article_id, r.body) for r in conn.execute(query)]

    def update_signatures(self, rows: Sequence[tuple[str, bytes]], state: str | None = None) -> None:
        """Replace the stored signatures of ``rows`` (article id, hash values) in one transaction, and record
        ``state`` (what :meth:`signature_state` returns) with them when given."""
        with self._tx() as conn:
            if rows:
                stmt = (
                    update(t.signatures)
                    .where(t.signatures.c.article_id == bindparam("b_article_id"))
                    .values(hashvalues=bindparam("b_hashvalues"))
                )
                conn.execute(stmt, [{"b_article_id": i, "b_hashvalues": values} for i, values in rows])
            if state is not None:
                record = self._insert(t.meta).values(name="signatures", value=state)
                conn.execute(record.on_conflict_do_update(index_elements=["name"], set_={"value": state}))

    def index_size(self) -> int:
        """Articles in the candidate index."""
        with self._read() as conn:
            return int(conn.execute(select(func.count(func.distinct(t.index_keys.c.article_id)))).scalar_one())

    # -- stories -----------------------------------------------------------------------------------

    def clusters_by_id(self, ids: Sequence[str]) -> dict[str, Cluster]:
        if not ids:
            return {}
        with self._read() as conn:
            rows = conn.execute(select(t.clusters).where(t.clusters.c.id.in_(list(ids)))).all()
        return {r.id: Cluster(**r._mapping) for r in rows}

    def stories_by_id(self, ids: Sequence[str]) -> dict[str, Story]:
        if not ids:
            return {}
        with self._read() as conn:
            rows = conn.execute(select(t.stories).where(t.stories.c.id.in_(list(ids)))).all()
        return {r.id: Story(**r._mapping) for r in rows}

    def get_story(self, story_id: str) -> Story:
        """A story by id; an absorbed story's id leads to the story it was merged into."""
        seen = set()
        while story_id not in seen:
            seen.add(story_id)
            story = self.stories_by_id([story_id]).get(story_id)
            if story is None:
                raise NotFound(f"store: no story with id {story_id}")
            if story.merged_into is None:
                return story
            story_id = story.merged_into
        raise NotFound(f"store: story {story_id} is merged in a loop")  # pragma: no cover - never written

    def story_clusters(self, story_ids: Sequence[str]) -> list[Cluster]:
        """The clusters of the given stories, oldest first."""
        if not story_ids:
            return []
        c = t.clusters.c
        query = select(t.clusters).where(c.story_id.in_(list(story_ids))).order_by(c.created_at, c.id)
        with self._read() as conn:
            return [Cluster(**r._mapping) for r in conn.execute(query).all()]

    def story_detail(self, story_id: str) -> StoryDetail:
        story = self.get_story(story_id)
        clusters = self.story_clusters([story.id])
        canon = self.articles_by_id([c.canonical_id for c in clusters])
        ids = [c.id for c in clusters]
        sl = t.story_links.c
        query = (
            select(t.story_links)
            .where(sl.cluster_id.in_(ids))
            .order_by(sl.decided_at, sl.article_id, sl.other_cluster_id)
        )
        with self._read() as conn:
            links = [StoryLink(**r._mapping) for r in conn.execute(query).all()]
        return StoryDetail(story, [(c, canon[c.canonical_id]) for c in clusters], links)

    def list_stories(self, limit: int | None = None, min_clusters: int = 1) -> list[Story]:
        """Current stories (not absorbed ones), those with the most clusters first, then the largest."""
        st = t.stories.c
        query = (
            select(t.stories)
            .where(st.merged_into.is_(None), st.clusters >= min_clusters, st.size > 0)
            .order_by(st.clusters.desc(), st.size.desc(), st.created_at, st.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [Story(**r._mapping) for r in conn.execute(query).all()]

    def events(self, after: int = 0, limit: int = 1000) -> list[Event]:
        """Events with an id greater than ``after``, in order."""
        query = select(t.events).where(t.events.c.id > after).order_by(t.events.c.id).limit(limit)
        with self._read() as conn:
            return [Event(**r._mapping) for r in conn.execute(query).all()]

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (for summaries and tests)."""
        tables = {
            "feeds": t.feeds,
            "entries": t.entries,
            "articles": t.articles,
            "clusters": t.clusters,
            "memberships": t.memberships,
            "stories": t.stories,
            "story_links": t.story_links,
            "events": t.events,
        }
        with self._read() as conn:
            return {
                name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for name, table in tables.items()
            }


__all__ = ["Store", "create_store_engine"]
