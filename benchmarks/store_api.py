"""Store and read API: p50 and p99 latency of the read API's main queries with 1,000,000 articles in the store,
and requests per second under a local load generator, on SQLite and PostgreSQL; side by side in one run with
the framework's floor (``GET /v1/health``), the same store calls made in-process (the API's own cost), the same
queries against a small store (how latency grows with the store) and a trivial server (the load generator's own
ceiling on the shared cores).

    .venv/bin/python benchmarks/store_api.py [--articles 1000000] [--small 10000] [--backends sqlite,postgresql]
                                             [--requests 200] [--budget 30] [--concurrency 16] [--duration 15]
                                             [--rebuild] [--build-only] [--cache-dir DIR]
                                             [--json-out benchmarks/results/store_api.json] [--quick]

**The store.** ``--articles`` articles written straight into the store in bulk (SQLAlchemy Core inserts in chunks,
the schema made by the store's own migrations), shaped like the synthetic wire corpus (``benchmarks/synth.py``'s
story plan at a duplicate rate of 0.3: a quarter of the stories have a second agency's copy, variants follow the
heavy-tailed count per story): each original founds a cluster, variants join one (a blend of both agencies' copies
founds a third), every cluster has its canonical (the most complete member, as the default policy picks), a story
groups a story's clusters with the passage links that joined them, and the change feed holds the events the
pipeline writes (``cluster.created``, ``article.added``, ``canonical.changed``, ``story.linked``). Titles, bodies,
bylines and datelines are the synthetic generator's texts (a pool of a few thousand, reused; ~4 KB a body); 2% of
the articles are undated. Not written: raw HTML, signatures, index keys and feed entries, which the read API never
reads. Built stores are kept between runs (a SQLite file under ``--cache-dir``, a PostgreSQL database
``wiredesk_bench_api_<articles>_<seed>_v<n>``), keyed by size and seed; ``--rebuild`` builds them again (1,000,000
articles: ~7 min on SQLite, ~10 on PostgreSQL, measured before 0005's indexes). PostgreSQL gets ``VACUUM ANALYZE``
after the build (autovacuum's steady state); SQLite gets nothing (wiredesk never runs ``ANALYZE`` on it).

**The queries.** ``wiredesk serve`` in a subprocess on a free loopback port with a token, as deployed, one per
store. Per query kind, a seeded sample across the whole store (ids drawn uniformly: they are hashes): the first
page of canonical articles, a deep page (a cursor at a random time), a day's window (``since``/``until``), an
article by id, a cluster, a story, the change feed's first page and a deep one. Latency: one keep-alive client per
server, and the same store calls in-process, every (store, kind) in turn so that whatever else the machine does
falls on all alike; ``--requests`` each (at least 20, fewer than ``--requests`` when a kind has used up
``--budget`` seconds); growth is the large store's p50 over the small one's, by HTTP and in-process. Load:
``--concurrency`` threads with keep-alive connections for ``--duration`` seconds, on health, on a weighted mix of
the main queries, and on a trivial asyncio server (the generator's ceiling: it shares the two cores with the
server). The large store's statements are then captured and explained (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL
``EXPLAIN (ANALYZE, BUFFERS)``).

**The articles list's fix.** The first version of this script found that a page of ``/v1/articles`` joined and
sorted every canonical article (4 s a page at 1,000,000 articles) and measured a proposed fix side by side with
the store as it was (``--fixes``: indexes and a query). The fix has landed: migration 0005 creates
``ix_articles_when``, ``ix_clusters_canonical_id`` and ``ix_story_links_cluster_id``, and
``Store.canonical_articles`` reads in that index's order; its before and after figures are recorded in
BENCHMARKS.md, measured with that earlier version of this script. This version measures the store as the
migrations make it. A store built earlier is brought up to date when found (``Store.open`` runs the pending
migrations: 0005's indexes took 10 s on SQLite and 2 s on PostgreSQL at 1,000,000 articles; PostgreSQL then gets
``ANALYZE``, as a fresh build's ``VACUUM ANALYZE`` would give the new expression index its statistics)."""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import synth
from alembic.script import ScriptDirectory
from machine import describe, summary
from sqlalchemy import Engine, create_engine, event, select, text

from dedupe.cluster import cluster_id_for
from dedupe.story import story_id_for
from storage import Store
from storage import schema as t
from storage.migrate import alembic_config
from storage.store import create_store_engine
from wiredesk.api import encode_article_cursor
from wiredesk.pipeline import article_id_for, content_hash

RESULTS = Path(__file__).resolve().parent / "results" / "store_api.json"
CACHE = Path(tempfile.gettempdir()) / "wiredesk-bench-store-api"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432"
BUILD_VERSION = 1  # bump when the shape of the built store changes: cached stores are built again
MARKER = "bench.store_api"  # the meta row a finished build leaves (with its parameters and build time)
TOKEN = "store-api-bench-token"
CHUNK = 5_000  # articles (with their clusters, memberships, stories, links and events) per transaction
POOL = 4_000  # distinct synthetic texts
FEEDS = 40
DUPLICATE_RATE = 0.3
UNDATED = 0.02
KINDS = (
    "health",
    "articles",
    "articles_deep",
    "articles_day",
    "article",
    "cluster",
    "story",
    "changes",
    "changes_deep",
)
MIX = {  # the load generator's mix of the main queries (weights)
    "articles": 2,
    "articles_deep": 1,
    "articles_day": 1,
    "article": 4,
    "cluster": 2,
    "story": 1,
    "changes": 1,
    "changes_deep": 1,
}
SECTIONS = ("world", "politics", "business", "sport", "science", "health", "culture")


def _log(message: str) -> None:
    print(message, flush=True)


# -- the store ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    title: str
    body: str
    byline: str | None
    dateline: str | None
    agency: str
    words: int
    digest: str


def _pool(seed: int, size: int) -> list[_Text]:
    out = []
    for r in synth.generate(size, seed=seed + 1, duplicate_rate=DUPLICATE_RATE):
        out.append(_Text(r.title, r.text, r.byline, r.dateline, r.agency, r.words, content_hash(r.text)))
    return out


@dataclass
class _Member:
    index: int
    cluster: str  # "a", "b" or "blend": which of the story's clusters
    published: float
    variant: str
    id: str = ""
    words: int = 0
    decided: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))


@dataclass
class _Rows:
    articles: list[dict[str, Any]] = field(default_factory=list)
    clusters: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    stories: list[dict[str, Any]] = field(default_factory=list)
    story_links: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


class _Builder:
    """The rows of the store, story by story, from synth's story plan (deterministic from the seed)."""

    def __init__(self, n: int, seed: int) -> None:
        self.opts = synth.options(n, seed=seed, duplicate_rate=DUPLICATE_RATE, feeds=FEEDS)
        self.feeds = self.opts.feeds
        self.rng = random.Random(f"store_api/{seed}")
        self.pool = _pool(seed, min(POOL, n))

    def chunks(self) -> Iterator[_Rows]:
        rows, count = _Rows(), 0
        for story in synth.plan(self.opts):
            self._story(story, rows)
            count += story.size
            if count >= CHUNK:
                yield rows
                rows, count = _Rows(), 0
        if count:
            yield rows

    def _story(self, story: synth.StoryPlan, rows: _Rows) -> None:
        rng = self.rng
        start = story.start + rng.random() * 1800
        members = [_Member(story.first_index, "a", start, "original")]
        if story.originals > 1:
            members.append(_Member(story.first_index + 1, "b", start + rng.uniform(0, 7200), "original"))
        parents = {m.cluster: m.published for m in members}
        for index in range(story.first_index + story.originals, story.first_index + story.size):
            if story.originals > 1 and rng.random() < 0.1:
                cluster, variant, after = "blend", "blend", max(parents.values())
            else:
                cluster = "b" if story.originals > 1 and rng.random() < 1 / 3 else "a"
                variant = rng.choices(("republish", "trim", "update", "correction"), (0.5, 0.15, 0.15, 0.1))[0]
                after = parents[cluster]
            members.append(_Member(index, cluster, after + 3600 * rng.uniform(0.2, 12), variant))
        for m in members:
            self._article(m, rows)
        members.sort(key=lambda m: (m.decided, m.index))
        clusters: dict[str, list[_Member]] = {}
        for m in members:
            clusters.setdefault(m.cluster, []).append(m)
        ids = {key: cluster_id_for(group[0].id) for key, group in clusters.items()}
        story_id = story_id_for(ids["a"])
        canonical: dict[str, _Member] = {}
        for m in members:  # decisions in order, with the events the pipeline writes
            key, group = m.cluster, clusters[m.cluster]
            founder = group[0]
            common = {"at": m.decided, "cluster_id": ids[key], "article_id": m.id, "story_id": story_id}
            if m is founder:
                canonical[key] = m
                rows.memberships.append(self._membership(m, ids[key], None))
                rows.events.append(
                    common | {"kind": "cluster.created", "detail": {"article_id": m.id, "canonical_id": m.id}}
                )
                for other in ("a", "b") if key != "a" else ():  # a second copy or a blend links the story
                    if other == key or other not in ids:
                        continue
                    link = self._link(m, ids[key], ids[other], clusters[other][0].id)
                    rows.story_links.append(link)
                    detail = {k: link[k] for k in ("article_id", "cluster_id", "other_cluster_id", "matched_id")}
                    detail |= {"story_id": story_id, "jaccard": link["jaccard"], "containment": link["containment"]}
                    detail |= {"rule": "passage", "absorbed": [story_id_for(ids[key])]}
                    rows.events.append(common | {"kind": "story.linked", "detail": detail})
                continue
            membership = self._membership(m, ids[key], founder.id)
            rows.memberships.append(membership)
            evidence = [
                {
                    "other_id": founder.id,
                    "jaccard": membership["jaccard"],
                    "containment": membership["containment"],
                    "rule": membership["rule"],
                }
            ]
            detail = {"article_id": m.id, "rule": membership["rule"], "evidence": evidence}
            rows.events.append(common | {"kind": "article.added", "detail": detail})
            if m.words > canonical[key].words:
                previous, canonical[key] = canonical[key], m
                detail = {"scope": "cluster", "article_id": m.id, "from": previous.id, "reason": _reason(group, m)}
                rows.events.append(common | {"kind": "canonical.changed", "detail": detail})
        for key, group in clusters.items():
            first, last = group[0], group[-1]
            rows.clusters.append(
                {
                    "id": ids[key],
                    "founder_id": first.id,
                    "canonical_id": canonical[key].id,
                    "canonical_reason": _reason(group, canonical[key]),
                    "size": len(group),
                    "created_at": first.decided,
                    "updated_at": last.decided,
                    "story_id": story_id,
                }
            )
        widest = max(clusters, key=lambda key: (len(clusters[key]), key == "a"))
        sizes = sorted((len(g) for g in clusters.values()), reverse=True)
        reason = "only version" if len(clusters) == 1 else f"most widely carried: {sizes[0]} versions (next {sizes[1]})"
        rows.stories.append(
            {
                "id": story_id,
                "canonical_id": canonical[widest].id,
                "canonical_cluster_id": ids[widest],
                "canonical_reason": reason,
                "clusters": len(clusters),
                "size": len(members),
                "created_at": members[0].decided,
                "updated_at": members[-1].decided,
                "merged_into": None,
            }
        )

    def _article(self, m: _Member, rows: _Rows) -> None:
        rng = self.rng
        text_ = self.pool[m.index % len(self.pool)]
        feed_no = int(rng.random() * len(self.feeds))
        feed = self.feeds[feed_no]
        published = datetime.fromtimestamp(int(m.published), UTC)
        fetched = published + timedelta(seconds=rng.randint(60, 1800))
        host = f"www.{feed.slug}.example"
        url = f"https://{host}/{published:%Y/%m/%d}/story-{m.index:07d}/"
        m.id = article_id_for(url, text_.digest)
        m.words = text_.words
        m.decided = fetched + timedelta(seconds=rng.randint(30, 900))
        dated = rng.random() >= UNDATED
        updated = published + timedelta(hours=1) if m.variant in ("update", "correction") else None
        rows.articles.append(
            {
                "id": m.id,
                "url": url,
                "content_hash": text_.digest,
                "feed_id": feed_no + 1,
                "fetched_at": fetched,
                "title": text_.title,
                "byline": text_.byline,
                "published_at": published if dated else None,
                "published_source": "json-ld" if dated else None,
                "language": "en",
                "page_url": None,
                "outlet": feed.name,
                "agency": text_.agency,
                "body": text_.body,
                "word_count": text_.words,
                "extractor": "trafilatura",
                "raw_html": None,
                "authors": [text_.byline] if text_.byline else None,
                "updated_at": updated,
                "updated_source": "json-ld" if updated else None,
                "section": SECTIONS[m.index % len(SECTIONS)],
                "dateline": text_.dateline,
                "host": host,
                "block_keys": None,
            }
        )

    def _membership(self, m: _Member, cluster_id: str, matched: str | None) -> dict[str, Any]:
        row: dict[str, Any] = {"article_id": m.id, "cluster_id": cluster_id, "matched_id": matched}
        if matched is None:
            return row | {"jaccard": None, "containment": None, "rule": "founder", "decided_at": m.decided}
        rule = "containment" if m.variant in ("trim", "update", "blend") else "jaccard"
        jaccard = round(self.rng.uniform(0.55, 0.98) if rule == "jaccard" else self.rng.uniform(0.2, 0.6), 4)
        containment = round(self.rng.uniform(max(jaccard, 0.8), 1.0), 4)
        return row | {"jaccard": jaccard, "containment": containment, "rule": rule, "decided_at": m.decided}

    def _link(self, m: _Member, cluster_id: str, other: str, matched: str) -> dict[str, Any]:
        return {
            "article_id": m.id,
            "other_cluster_id": other,
            "cluster_id": cluster_id,
            "matched_id": matched,
            "jaccard": round(self.rng.uniform(0.05, 0.2), 4),
            "containment": round(self.rng.uniform(0.25, 0.5), 4),
            "rule": "passage",
            "decided_at": m.decided,
        }


def _reason(group: list[_Member], chosen: _Member) -> str:
    if len(group) == 1:
        return "only version"
    others = [m.words for m in group if m is not chosen]
    return f"most complete: {chosen.words} words (next {max(others)})"


def _feed_rows(builder: _Builder, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": i + 1,
            "url": f"https://www.{feed.slug}.example/feed",
            "name": feed.name,
            "created_at": now,
            "consecutive_errors": 0,
            "quiet_polls": 0,
        }
        for i, feed in enumerate(builder.feeds)
    ]


def _bulk_engine(url: str) -> Engine:
    """An engine for writing the store in bulk: on SQLite a large page cache and no fsync (the build only)."""
    engine = create_store_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _fast(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")
            cursor.close()

    return engine


def _store_url(backend: str, n: int, seed: int, cache: Path) -> str:
    name = f"wiredesk_bench_api_{n}_{seed}_v{BUILD_VERSION}"
    if backend == "sqlite":
        return f"sqlite:///{cache / (name + '.db')}"
    return f"{PG_BASE}/{name}"


def _marker(url: str) -> dict[str, Any] | None:
    """What the build left in the store at ``url`` (None: no store there, or an unfinished build)."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            value = conn.execute(text("SELECT value FROM meta WHERE name = :n"), {"n": MARKER}).scalar()
    except Exception:  # no database, no meta table: nothing built
        return None
    finally:
        engine.dispose()
    return json.loads(value) if value else None


def _drop(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", ".dedupe.lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(f"{path}.locks", ignore_errors=True)
        return
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def build_store(backend: str, n: int, seed: int, cache: Path, rebuild: bool) -> tuple[str, dict[str, Any]]:
    """The store of ``n`` articles (built now, or as an earlier run left it): its URL and build facts."""
    url = _store_url(backend, n, seed, cache)
    key = {"articles": n, "seed": seed, "version": BUILD_VERSION}
    found = None if rebuild else _marker(url)
    if found is not None and found.get("key") == key:
        _log(f"  {backend} store of {n:,} articles: built earlier in {found['build_s']:.0f} s (--rebuild to redo)")
        return url, found | {"cached": True, "migrated": migrate_store(url)}
    cache.mkdir(parents=True, exist_ok=True)
    _drop(url)
    started = time.perf_counter()
    Store.open(url).close()  # the real schema and indexes, through the store's migrations
    builder = _Builder(n, seed)
    now = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
    engine = _bulk_engine(url)
    counts = dict.fromkeys(("articles", "clusters", "memberships", "stories", "story_links", "events"), 0)
    with engine.begin() as conn:
        conn.execute(t.feeds.insert(), _feed_rows(builder, now))
    last_print = time.perf_counter()
    for rows in builder.chunks():
        with engine.begin() as conn:
            for name in counts:
                batch = getattr(rows, name)
                if batch:
                    conn.execute(getattr(t, name).insert(), batch)
                    counts[name] += len(batch)
        if time.perf_counter() - last_print > 15 or counts["articles"] >= n:
            last_print = time.perf_counter()
            rate = counts["articles"] / (last_print - started)
            _log(f"    {backend}: {counts['articles']:>9,} / {n:,} articles ({rate:,.0f}/s)")
    insert_s = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    build_s = time.perf_counter() - started
    facts = {"key": key, "build_s": round(build_s, 1), "insert_s": round(insert_s, 1), "counts": counts}
    facts["size_mib"] = round(_size_bytes(engine) / 2**20)
    with engine.begin() as conn:
        conn.execute(t.meta.insert(), [{"name": MARKER, "value": json.dumps(facts)}])
    engine.dispose()
    _log(f"  {backend} store of {n:,} articles built in {build_s:.0f} s ({facts['size_mib']:,} MiB): {counts}")
    return url, facts | {"cached": False, "migrated": None}


LEGACY_FIX_MARKER = "bench.store_api.fix"  # the first version's --fixes: the indexes it created, while they exist


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate_store(url: str) -> dict[str, Any] | None:
    """Bring a store built earlier up to the migrations' head, as ``Store.open`` does (on PostgreSQL, ``ANALYZE``
    after, so that new indexes have their statistics as in a fresh build). Answers the revisions before and
    after and the seconds, or None when the store was up to date."""
    engine = create_store_engine(url)
    try:
        before = _revision(engine)
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        with engine.begin() as conn:  # a killed --fixes run of the first version left indexes named as 0005's
            value = conn.execute(select(t.meta.c.value).where(t.meta.c.name == LEGACY_FIX_MARKER)).scalar()
            for name in json.loads(value) if value and before != head else []:
                conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
            conn.execute(t.meta.delete().where(t.meta.c.name == LEGACY_FIX_MARKER))
        if before == head:
            return None
        _log(f"    migrating the store from revision {before} to {head} ...")
        started = time.perf_counter()
        Store.open(url).close()
        migrate_s = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        seconds = time.perf_counter() - started
        after = _revision(engine)
    finally:
        engine.dispose()
    analyzed = f" ({seconds:.1f} s with ANALYZE)" if seconds > migrate_s + 0.05 else ""
    _log(f"    migrated to {after} in {migrate_s:.1f} s{analyzed}")
    return {"from": before, "to": after, "migrate_s": round(migrate_s, 1), "s": round(seconds, 1)}


def _size_bytes(engine: Engine) -> int:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
        pages = conn.execute(text("PRAGMA page_count")).scalar_one()
        return int(pages * conn.execute(text("PRAGMA page_size")).scalar_one())


# -- what is asked ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One request of a kind: its path, and the store calls the route makes for it."""

    path: str
    call: Callable[[Store], object]


def _pick_ids(engine: Engine, table: str, prefix: str, count: int, rng: random.Random) -> list[str]:
    """``count`` ids drawn uniformly across ``table`` (ids are hex hashes: the first id at or after a random one)."""
    out = []
    with engine.connect() as conn:
        for _ in range(count):
            start = f"{prefix}{rng.getrandbits(64):016x}"
            found = conn.execute(
                text(f"SELECT id FROM {table} WHERE id >= :s ORDER BY id LIMIT 1"), {"s": start}
            ).scalar()
            if found is None:
                found = conn.execute(text(f"SELECT min(id) FROM {table}")).scalar_one()
            out.append(found)
    return out


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _article_page(**kwargs: Any) -> Callable[[Store], object]:
    def call(store: Store) -> object:
        rows = store.canonical_articles(limit=51, **kwargs)
        return store.clusters_by_id([a.cluster_id for a in rows[:50] if a.cluster_id])

    return call


def _article(article_id: str) -> Callable[[Store], object]:
    def call(store: Store) -> object:
        found = store.get_article(article_id)
        return store.clusters_by_id([found.cluster_id]) if found.cluster_id else None

    return call


def _call(method: str, *args: Any, **kwargs: Any) -> Callable[[Store], object]:
    def call(store: Store) -> object:
        return getattr(store, method)(*args, **kwargs)

    return call


def samples(url: str, count: int, seed: int) -> dict[str, list[Sample]]:
    """``count`` requests of each kind, drawn (seeded) across the whole store at ``url``."""
    rng = random.Random(f"samples/{seed}")
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            low, high = conn.execute(text("SELECT min(published_at), max(published_at) FROM articles")).one()
            last_event = int(conn.execute(text("SELECT max(id) FROM events")).scalar_one())
        low, high = (datetime.fromisoformat(str(v)).replace(tzinfo=UTC) for v in (low, high))
        span = (high - low).total_seconds()
        articles = _pick_ids(engine, "articles", "a", count, rng)
        clusters = _pick_ids(engine, "clusters", "c", count, rng)
        stories = _pick_ids(engine, "stories", "s", count, rng)
    finally:
        engine.dispose()
    out: dict[str, list[Sample]] = {kind: [] for kind in KINDS}
    for i in range(count):
        out["health"].append(Sample("/v1/health", lambda store: store.ping()))
        out["articles"].append(Sample("/v1/articles", _article_page()))
        at = low + timedelta(seconds=rng.random() * span)
        cursor = encode_article_cursor(at, "a" + "f" * 16)
        out["articles_deep"].append(Sample(f"/v1/articles?cursor={cursor}", _article_page(after=(at, "a" + "f" * 16))))
        since = datetime.fromisoformat(_iso(low + timedelta(seconds=rng.random() * max(span - 86400, 0))))
        until = since + timedelta(days=1)
        out["articles_day"].append(
            Sample(
                f"/v1/articles?since={quote(_iso(since))}&until={quote(_iso(until))}",
                _article_page(since=since, until=until),
            )
        )
        out["article"].append(Sample(f"/v1/articles/{articles[i]}", _article(articles[i])))
        cid, sid = clusters[i], stories[i]
        out["cluster"].append(Sample(f"/v1/clusters/{cid}", _call("cluster_detail", cid)))
        out["story"].append(Sample(f"/v1/stories/{sid}", _call("story_detail", sid)))
        out["changes"].append(Sample("/v1/changes", _call("events", after=0, limit=50)))
        after = rng.randrange(last_event)
        out["changes_deep"].append(Sample(f"/v1/changes?after={after}", _call("events", after=after, limit=50)))
    return out


# -- HTTP ---------------------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection; ``get`` answers (status, seconds)."""

    def __init__(self, port: int, token: str | None = TOKEN) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> tuple[int, float]:
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                response.read()
                return response.status, time.perf_counter() - started
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # the server closed an idle keep-alive connection: once more on a new one
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path, path: str = "/v1/health") -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            client = Client(port)
            status, _ = client.get(path)
            client.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within 90 s:\n{log.read_text()[-3000:]}")


class Server:
    """A server on a free loopback port: ``mode`` ``api`` is ``wiredesk serve`` itself, ``stub`` this script's
    trivial server."""

    def __init__(self, url: str | None, workdir: Path, mode: str = "api") -> None:
        self.port = _free_port()
        self.log = workdir / f"server-{self.port}.log"
        env = dict(os.environ)
        if url is not None:
            env |= {"WIREDESK_STORE_URL": url, "WIREDESK_API_TOKEN": TOKEN, "WIREDESK_HOME": str(workdir)}
        if mode == "stub":
            command = [sys.executable, "-c", STUB_SERVER, str(self.port)]
        else:
            script = Path(sys.executable).parent / "wiredesk"
            cli = (
                [str(script)]
                if script.exists()
                else [sys.executable, "-c", "import sys; from wiredesk.cli import main; sys.exit(main())"]
            )
            command = [*cli, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        _wait_ready(self.proc, self.port, self.log)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


STUB_SERVER = """
import asyncio, sys

BODY = b'{"status":"ok","store":"ok"}'
HEAD = b"HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: %d\\r\\n\\r\\n"
ANSWER = HEAD % len(BODY) + BODY


class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""

    def data_received(self, data):
        self.buffer += data
        while b"\\r\\n\\r\\n" in self.buffer:
            _, self.buffer = self.buffer.split(b"\\r\\n\\r\\n", 1)
            self.transport.write(ANSWER)


async def serve(port):
    server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(serve(int(sys.argv[1])))
"""
"""A trivial HTTP/1.1 keep-alive server (run with ``python -c``, so it starts at once): the same small JSON for
every request, on plain asyncio. The load generator against it: the generator's own ceiling."""


# -- measuring ----------------------------------------------------------------------------------------------


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of sorted values."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def _stats(seconds: list[float]) -> dict[str, float]:
    values = sorted(seconds)
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values) * 1000, 3),
        "p99_ms": round(_quantile(values, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(values) * 1000, 3),
    }


def _in_turn(
    keys: Sequence[tuple[str, str]],
    count: int,
    budget_s: float,
    one: Callable[[tuple[str, str], int], float],
    min_count: int = 20,
) -> dict[str, dict[str, list[float]]]:
    """Run ``one(key, i)`` for i below ``count``, the keys ((target, kind)) in turn, so that whatever else the
    machine does falls on all of them alike; a key that has used up ``budget_s`` seconds (and has ``min_count``
    samples) drops out. Answers the seconds of each, by target and kind."""
    times: dict[tuple[str, str], list[float]] = {key: [] for key in keys}
    spent = dict.fromkeys(keys, 0.0)
    for i in range(count):
        active = [key for key in keys if spent[key] < budget_s or len(times[key]) < min_count]
        if not active:
            break
        for key in active:
            seconds = one(key, i)
            times[key].append(seconds)
            spent[key] += seconds
    out: dict[str, dict[str, list[float]]] = {}
    for (target, kind), values in times.items():
        out.setdefault(target, {})[kind] = values
    return out


WARM = 5  # requests of each kind before measuring (the samples' last ones): connections, pools, first-use paths


class HttpTarget:
    """Requests to a server on ``port``, one keep-alive client."""

    def __init__(self, port: int, plan: dict[str, list[Sample]]) -> None:
        self.client = Client(port)
        self.plan = plan

    def run(self, kind: str, i: int) -> float:
        path = self.plan[kind][i].path
        status, seconds = self.client.get(path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        return seconds

    def close(self) -> None:
        self.client.close()


class StoreTarget:
    """The same store calls the routes make, in-process (no HTTP, no JSON)."""

    def __init__(self, url: str, plan: dict[str, list[Sample]]) -> None:
        self.store = Store.open(url, migrate=False)
        self.plan = plan

    def run(self, kind: str, i: int) -> float:
        call = self.plan[kind][i].call
        started = time.perf_counter()
        call(self.store)
        return time.perf_counter() - started

    def close(self) -> None:
        self.store.close()


def latency(
    targets: dict[str, HttpTarget | StoreTarget], count: int, budget_s: float
) -> dict[str, dict[str, list[float]]]:
    """Every target's kinds in turn (after ``WARM`` requests of each), ``count`` times at most; closes the
    targets."""
    try:
        for target in targets.values():
            for kind in KINDS:
                for i in range(1, WARM + 1):
                    target.run(kind, -i)
        keys = [(name, kind) for kind in KINDS for name in targets]
        shortest = min(len(target.plan["health"]) for target in targets.values())
        return _in_turn(keys, min(count, shortest - WARM), budget_s, lambda key, i: targets[key[0]].run(key[1], i))
    finally:
        for target in targets.values():
            target.close()


def load(
    port: int, paths: dict[str, list[str]], weights: dict[str, int], concurrency: int, duration: float
) -> dict[str, Any]:
    """``concurrency`` keep-alive clients sending a weighted mix of ``paths`` for ``duration`` seconds."""
    kinds = list(weights)
    cumulative = [sum(weights[k] for k in kinds[: i + 1]) for i in range(len(kinds))]
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    start = threading.Barrier(concurrency + 1)
    stop_at = [0.0]

    def worker(n: int) -> None:
        rng = random.Random(f"load/{n}")
        client = Client(port)
        start.wait()
        try:
            while time.perf_counter() < stop_at[0]:
                kind = rng.choices(kinds, cum_weights=cumulative)[0]
                choices = paths[kind]
                try:
                    status, seconds = client.get(choices[int(rng.random() * len(choices))])
                except OSError:
                    errors[n] += 1
                    continue
                if status != 200:
                    errors[n] += 1
                latencies[n].append(seconds)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    stop_at[0] = started + duration
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    done = [s for per in latencies for s in per]
    return {"rps": round(len(done) / elapsed, 1), "requests": len(done), "errors": sum(errors), **_stats(done)}


# -- EXPLAIN ------------------------------------------------------------------------------------------------


def explain(url: str, plan: dict[str, list[Sample]]) -> dict[str, list[dict[str, Any]]]:
    """The statements the store runs for one request of each kind, with the database's plan of each
    (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN (ANALYZE, BUFFERS)``) and its time in-process."""
    out: dict[str, list[dict[str, Any]]] = {}
    with Store.open(url, migrate=False) as store:
        engine = store._engine
        seen: list[tuple[str, Any]] = []

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
            seen.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        calls = {}
        for kind in KINDS:
            if kind == "health":
                continue
            seen.clear()
            plan[kind][0].call(store)
            calls[kind] = list(seen)
        event.remove(engine, "before_cursor_execute", capture)
        with engine.connect() as conn:
            for kind, statements in calls.items():
                out[kind] = []
                for statement, parameters in statements:
                    started = time.perf_counter()
                    conn.exec_driver_sql(statement, parameters).all()
                    seconds = time.perf_counter() - started
                    if engine.dialect.name == "sqlite":
                        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                        depth = {0: -1}
                        lines = []
                        for node, parent, _unused, detail in rows:
                            depth[node] = depth.get(parent, -1) + 1
                            lines.append("  " * depth[node] + detail)
                    else:
                        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
                        lines = [r[0] for r in rows]
                    out[kind].append(
                        {"sql": " ".join(statement.split()), "ms": round(seconds * 1000, 3), "plan": lines}
                    )
                conn.rollback()
    return out


# -- a run --------------------------------------------------------------------------------------------------


def _latency_figures(http: dict[str, list[float]], inproc: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    latency = {}
    floor = statistics.median(http["health"])
    for kind in KINDS:
        figures = _stats(http[kind])
        store_p50 = statistics.median(inproc[kind])
        figures |= {
            "store_p50_ms": round(store_p50 * 1000, 3),
            "store_p99_ms": round(_quantile(sorted(inproc[kind]), 0.99) * 1000, 3),
            "x_health": round(statistics.median(http[kind]) / floor, 2),
            "x_store": round(statistics.median(http[kind]) / store_p50, 2),
        }
        latency[kind] = figures
    return latency


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any] | None:
    """Both stores of a backend (built, or found): their latency side by side, the load on each, the generator's
    ceiling, and the large store's plans."""
    sizes = {"small": args.small, "large": args.articles}
    urls, out = {}, {}
    for label, n in sizes.items():
        _log(f"{backend}, {n:,} articles")
        urls[label], facts = build_store(backend, n, args.seed, args.cache_dir, args.rebuild)
        out[label] = {"articles": n, "build": facts}
    if args.build_only:
        return None
    plans = {label: samples(url, args.requests + WARM, args.seed) for label, url in urls.items()}
    paths = {label: {kind: [s.path for s in plan[kind]] for kind in KINDS} for label, plan in plans.items()}
    with Server(urls["small"], workdir) as small, Server(urls["large"], workdir) as large:
        ports = {"small": small.port, "large": large.port}
        _log(f"{backend}: latency, one client per store, and the same store calls in-process, all in turn ...")
        targets: dict[str, HttpTarget | StoreTarget] = {}
        for label in sizes:
            targets[f"http_{label}"] = HttpTarget(ports[label], plans[label])
            targets[f"store_{label}"] = StoreTarget(urls[label], plans[label])
        times = latency(targets, args.requests, args.budget)
        for label in sizes:
            _log(f"{backend}: load on the {label} store, {args.concurrency} clients x {args.duration:g} s ...")
            out[label]["load"] = {
                "health": load(ports[label], paths[label], {"health": 1}, args.concurrency, args.duration),
                "mix": load(ports[label], paths[label], MIX, args.concurrency, args.duration),
            }
    with Server(None, workdir, mode="stub") as stub:
        ceiling = load(stub.port, {"health": ["/v1/health"]}, {"health": 1}, args.concurrency, args.duration)
    for label in sizes:
        out[label]["latency"] = _latency_figures(times[f"http_{label}"], times[f"store_{label}"])
        loads = out[label]["load"]
        for name in ("health", "mix"):
            loads[name]["x_health_rps"] = round(loads[name]["rps"] / loads["health"]["rps"], 3)
            loads[name]["x_generator_ceiling"] = round(loads[name]["rps"] / ceiling["rps"], 3)
    for kind in KINDS:
        figures, before = out["large"]["latency"][kind], out["small"]["latency"][kind]
        figures["growth_p50"] = round(figures["p50_ms"] / before["p50_ms"], 2)
        figures["growth_p99"] = round(figures["p99_ms"] / before["p99_ms"], 2)
        figures["growth_store_p50"] = round(figures["store_p50_ms"] / before["store_p50_ms"], 2)
    out["generator_ceiling"] = ceiling
    if not args.no_explain:
        _log(f"{backend}: EXPLAIN of each kind's statements on the large store ...")
        out["large"]["explain"] = explain(urls["large"], plans["large"])
    return out


def print_tables(backend: str, result: dict[str, Any], args: argparse.Namespace) -> None:
    big, little = result["large"], result["small"]
    build = big["build"]
    cached = "; built earlier" if build["cached"] else ""
    if migrated := build.get("migrated"):
        cached += f", migrated {migrated['from']} -> {migrated['to']} in {migrated['s']:.0f} s"
    _log(
        f"\n{backend}: {big['articles']:,} articles ({build['size_mib']:,} MiB, built in {build['build_s']:.0f} s"
        f"{cached}); latency with one client, growth against {little['articles']:,} articles measured in turn"
    )
    _log(
        f"{'query':<14} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'x health':>9} "
        f"{'store p50':>10} {'x store':>8} {'growth p50':>11} {'growth p99':>11} {'store growth':>13}"
    )
    for kind in KINDS:
        f = big["latency"][kind]
        _log(
            f"{kind:<14} {f['n']:>4} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} {f['mean_ms']:>8.2f} "
            f"{f['x_health']:>9.2f} {f['store_p50_ms']:>10.2f} {f['x_store']:>8.2f} "
            f"{f['growth_p50']:>10.2f}x {f['growth_p99']:>10.2f}x {f['growth_store_p50']:>12.2f}x"
        )
    ceiling = result["generator_ceiling"]
    _log(f"load: {args.concurrency} clients x {args.duration:g} s; the generator against a trivial server")
    _log(f"{'':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'x health rps':>13} {'x generator':>12}")
    _log(
        f"{'generator ceiling (stub)':<28} {ceiling['rps']:>8.0f} {ceiling['p50_ms']:>8.2f} {ceiling['p99_ms']:>8.2f} "
        f"{ceiling['errors']:>7} {'':>13} {1:>12.3f}"
    )
    for figures in (big, little):
        for name in ("health", "mix"):
            f = figures["load"][name]
            label = f"{name} ({figures['articles']:,})"
            _log(
                f"{label:<28} {f['rps']:>8.0f} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} {f['errors']:>7} "
                f"{f['x_health_rps']:>13.3f} {f['x_generator_ceiling']:>12.3f}"
            )


def print_explain(explained: dict[str, list[dict[str, Any]]], latency: dict[str, dict[str, float]]) -> None:
    """The plans of the statements that cost, for a kind over 5 times the health floor: those over a
    millisecond, else the slowest."""
    for kind, statements in explained.items():
        if latency[kind]["x_health"] < 5 or not statements:
            continue
        _log(f"\n  {kind}: p50 {latency[kind]['x_health']:.0f}x the health floor; its statements:")
        costly = [s for s in statements if s["ms"] >= 1] or [max(statements, key=lambda s: s["ms"])]
        for statement in costly:
            _log(f"    {statement['ms']:.1f} ms  {statement['sql'][:160]} ...")
            for line in statement["plan"]:
                _log(f"      {line[:150]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000, help="the small store, for the growth ratio")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=200, help="requests per kind, one client")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per kind at most (at least 20 requests)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per load phase")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache-dir", type=Path, default=CACHE, help="where built SQLite stores are kept")
    parser.add_argument("--rebuild", action="store_true", help="build the stores again")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="build (or find) the stores, measure nothing")
    parser.add_argument("--quick", action="store_true", help="5,000 articles against 1,000, SQLite, short (for CI)")
    parser.add_argument("--json-out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.articles, args.small, args.backends = 5_000, 1_000, "sqlite"
        args.requests, args.concurrency, args.duration, args.no_explain = 30, 8, 1.0, True
    machine = describe()
    _log(summary(machine))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="wiredesk-store-api-") as tmp:
        for backend in args.backends.split(","):
            result = run_backend(backend, args, Path(tmp))
            if result is None:
                continue
            results[backend] = result
            print_tables(backend, result, args)
            print_explain(result["large"].get("explain", {}), result["large"]["latency"])
    if args.build_only:
        return 0
    report = {
        "machine": machine,
        "parameters": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "shape": {"duplicate_rate": DUPLICATE_RATE, "feeds": FEEDS, "text_pool": POOL, "undated": UNDATED},
        "backends": results,
    }
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    _log(f"\nwrote {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
