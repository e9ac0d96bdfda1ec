"""The composition point: ingest -> dedupe -> storage. The DAG and the CLI both call these functions and
hold no pipeline logic of their own.

- :func:`due_feeds` lists the feeds whose poll time has come;
- :func:`ingest_feed` polls one feed (conditional GET), records its entries, fetches and extracts each new
  article once and stores it; a failing feed or page is recorded against it and the run goes on;
- :func:`dedupe_pending` places every stored article not yet in a cluster, in publication order;
- :func:`run_cycle` does all three, in order, for ``wiredesk run-once``.

Every function takes the run's time: nothing here reads the clock. A store failure raises (the task
fails and is retried); every write is an idempotent upsert, so a retry stores nothing twice.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from datasketch import LeanMinHash

from dedupe import (
    Candidate,
    Canonical,
    Clusterer,
    Decision,
    DedupeConfig,
    Document,
    Member,
    band_keys,
    choose_canonical,
    from_bytes,
    index_params,
    story_id_for,
    to_bytes,
    tokens,
)
from dedupe.signature import minhashes, signature_params
from ingest import polling
from ingest.boilerplate import SiteModel, learn
from ingest.credits import agency_code
from ingest.errors import BadStatus, IngestError, RobotsDisallowed
from ingest.extract import extract_article
from ingest.feeds import parse_feed
from ingest.fetch import Fetcher
from ingest.polling import error_class, retry_after
from ingest.records import FeedEntry, Response
from ingest.robots import Robots, RobotsRecord
from ingest.urls import canonical_url
from storage import (
    Article,
    Cluster,
    ClusterWrite,
    Feed,
    FeedHealth,
    Membership,
    NewArticle,
    NewEntry,
    PollRecord,
    RunRecord,
    Store,
    Story,
    StoryLink,
    StoryWrite,
)
from wiredesk.settings import Settings

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8"
POLL_HISTORY_DAYS = 30  # the polls kept for feed health (its window is at most this long)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class FeedTask:
    """What the DAG maps over: one due feed."""

    feed_id: int
    name: str
    url: str


@dataclass(frozen=True)
class FeedReport:
    """What one feed's poll, fetch and extract did."""

    feed_id: int
    name: str
    status: str  # "ok", "not_modified", "error", or "deferred" (its host was busy: due again next run)
    http_status: int | None = None
    entries: int = 0
    new_entries: int = 0
    stored: int = 0
    failed: int = 0
    error: str | None = None
    warning: str | None = None
    page_errors: list[str] = field(default_factory=list)
    error_class: str | None = None
    deferred: int = 0  # pages left pending: host busy or throttling (429/503), robots.txt unreadable
    disallowed: int = 0  # pages robots.txt disallows (never fetched)
    next_poll_at: str | None = None  # ISO time
    poll_reason: str | None = None  # why then: ingest.polling.NextPoll.reason

    def summary(self) -> str:
        """The one-line summary each feed task logs."""
        after = f"; next poll {self.next_poll_at} ({self.poll_reason})" if self.next_poll_at else ""
        if self.status == "error":
            return f"{self.name}: error [{self.error_class}]: {self.error}{after}"
        if self.status == "deferred":
            return f"{self.name}: deferred ({self.error}); due again next run"
        head = (
            "304 not modified" if self.status == "not_modified" else f"{self.entries} entries, {self.new_entries} new"
        )
        line = f"{self.name}: {head}, {self.stored} articles stored, {self.failed} failed"
        if self.deferred or self.disallowed:
            line += f", {self.deferred} deferred, {self.disallowed} disallowed by robots.txt"
        return line + (f" ({self.warning})" if self.warning else "") + after


@dataclass(frozen=True)
class DedupeReport:
    decided: int = 0
    clusters_created: int = 0
    joined: int = 0
    canonical_changed: int = 0
    stories_linked: int = 0


@dataclass(frozen=True)
class CycleReport:
    feeds: list[FeedReport]
    dedupe: DedupeReport

    def counts(self) -> dict[str, int]:
        """The run's counts (the Asset event carries these)."""
        return run_counts(self.feeds, self.dedupe)


def run_counts(feeds: list[FeedReport], dedupe: DedupeReport) -> dict[str, int]:
    return {
        "feeds_polled": len(feeds),
        "feeds_not_modified": sum(f.status == "not_modified" for f in feeds),
        "feeds_failed": sum(f.status == "error" for f in feeds),
        "new_entries": sum(f.new_entries for f in feeds),
        "articles_stored": sum(f.stored for f in feeds),
        "pages_failed": sum(f.failed for f in feeds),
        "pages_deferred": sum(f.deferred for f in feeds),
        "pages_disallowed": sum(f.disallowed for f in feeds),
        "articles_clustered": dedupe.decided,
        "clusters_created": dedupe.clusters_created,
        "articles_joined": dedupe.joined,
        "canonicals_changed": dedupe.canonical_changed,
        "stories_linked": dedupe.stories_linked,
    }


def article_id_for(url: str, content_hash: str) -> str:
    """An article version's id: derived from its natural key (canonical URL, content hash)."""
    return "a" + hashlib.sha256(f"{url}\n{content_hash}".encode()).hexdigest()[:16]


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


# -- feeds -----------------------------------------------------------------------------------------


def due_feeds(settings: Settings, now: datetime) -> list[FeedTask]:
    """Feeds due for a poll at ``now``."""
    with settings.open_store() as store:
        return [FeedTask(f.id, f.name, f.url) for f in store.due_feeds(now)]


def ingest_feed(settings: Settings, feed_id: int, now: datetime, fetcher: Fetcher | None = None) -> FeedReport:
    """Poll one feed and store each new article it lists. Feed and page errors are recorded, not raised."""
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(settings.fetch)
    try:
        with settings.open_store() as store:
            return _ingest_feed(store, fetcher, settings, store.get_feed(feed_id), now)
    finally:
        if own_fetcher:
            fetcher.close()


def _ingest_feed(store: Store, fetcher: Fetcher, settings: Settings, feed: Feed, now: datetime) -> FeedReport:
    policy = settings.polling
    try:
        with store.slot(f"host:{host_of(feed.url)}", settings.host_concurrency, settings.host_wait_s) as free:
            if not free:
                # Not the feed's fault: no poll is recorded, so the feed is due again on the next run.
                return FeedReport(feed.id, feed.name, "deferred", error=f"host {host_of(feed.url)} busy")
            response = fetcher.get(
                feed.url,
                max_bytes=settings.fetch.max_feed_bytes,
                etag=feed.etag,
                last_modified=feed.last_modified,
                accept=FEED_ACCEPT,
            )
        parsed = (
            None
            if response.not_modified
            else parse_feed(response.body, url=response.url, content_type=response.content_type, now=now)
        )
    except IngestError as exc:
        status = exc.status if isinstance(exc, BadStatus) else None
        wait = retry_after(exc.retry_after, now) if isinstance(exc, BadStatus) else None
        errors = feed.consecutive_errors + 1
        after = polling.after_error(policy, now, feed_id=feed.id, errors=errors, wait=wait)
        kind = error_class(exc)
        store.record_poll(feed.id, PollRecord("error", now, after.at, status, error=str(exc), error_class=kind))
        return FeedReport(
            feed.id,
            feed.name,
            "error",
            status,
            error=str(exc),
            error_class=kind,
            next_poll_at=after.at.isoformat(),
            poll_reason=after.reason,
        )

    new_entries = 0
    by_url: dict[str, FeedEntry] = {}
    if parsed is not None:
        by_url = {e.url: e for e in parsed.entries}
        new_entries = store.add_entries(
            feed.id, [NewEntry(e.url, e.guid, e.title, e.author, e.published) for e in parsed.entries], now
        )
    after = polling.after_success(policy, now, new_entries=new_entries, quiet_polls=feed.quiet_polls)
    # The poll is recorded once its pages are stored: a process killed on the way leaves the feed due, so the
    # rerun (or the task's retry) polls it again and finishes its pages.
    pages = _fetch_pages(store, fetcher, settings, feed, by_url, parsed.title if parsed else feed.title, now)
    store.record_poll(
        feed.id,
        PollRecord(
            "not_modified" if parsed is None else "ok",
            now,
            after.at,
            http_status=response.status,
            etag=response.etag,
            last_modified=response.last_modified,
            title=parsed.title if parsed else None,
            format=parsed.format if parsed else None,
            error=parsed.warning if parsed else None,
            quiet_polls=after.quiet_polls,
            entries=len(by_url),
            new_entries=new_entries,
        ),
    )
    return FeedReport(
        feed.id,
        feed.name,
        "not_modified" if parsed is None else "ok",
        response.status,
        entries=len(by_url),
        new_entries=new_entries,
        stored=pages.stored,
        failed=pages.failed,
        deferred=pages.deferred,
        disallowed=pages.disallowed,
        warning=parsed.warning if parsed else None,
        page_errors=pages.errors,
        next_poll_at=after.at.isoformat(),
        poll_reason=after.reason,
    )


@dataclass
class _Pages:
    stored: int = 0
    failed: int = 0
    deferred: int = 0
    disallowed: int = 0
    errors: list[str] = field(default_factory=list)


class _RobotsStore:
    """The store as :mod:`ingest.robots`' cache of robots.txt answers."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def robots_txt(self, origin: str) -> RobotsRecord | None:
        found = self._store.robots_txt(origin)
        return RobotsRecord(*found) if found else None

    def save_robots_txt(self, origin: str, record: RobotsRecord) -> None:
        self._store.save_robots_txt(origin, record.body, record.status, record.fetched_at)


def _fetch_pages(
    store: Store,
    fetcher: Fetcher,
    settings: Settings,
    feed: Feed,
    by_url: dict[str, FeedEntry],
    feed_title: str | None,
    now: datetime,
) -> _Pages:
    """Fetch and store the feed's pending pages, politely: robots.txt (when obeyed), at most
    ``host_concurrency`` fetches per host across workers, and no more from a host this poll once it
    answered 429 or 503. A deferred page stays pending without losing an attempt."""
    pages = _Pages()
    sites = SiteModels(store, settings)
    robots = Robots(fetcher, _RobotsStore(store), now) if settings.obey_robots else None
    throttled: set[str] = set()
    for pending in store.pending_entries(feed.id, settings.max_attempts)[: settings.max_articles_per_poll]:
        entry = by_url.get(pending.url) or FeedEntry(
            pending.url, pending.guid, pending.title, None, pending.author, pending.published_at
        )
        host = host_of(entry.url)
        if host in throttled:
            pages.deferred += 1
            continue
        try:
            if robots is not None:
                robots.check(entry.url)
            with store.slot(f"host:{host}", settings.host_concurrency, settings.host_wait_s) as free:
                if not free:
                    pages.deferred += 1
                    continue
                response = fetcher.get(entry.url, max_bytes=settings.fetch.max_page_bytes, accept=PAGE_ACCEPT)
            article = _extract_article(response, settings, feed, entry, feed_title, now, sites.model(host))
        except RobotsDisallowed as exc:
            if exc.definite:
                store.disallow_entry(entry.url, str(exc), now)
                pages.disallowed += 1
            else:
                store.record_fetch_failure(entry.url, str(exc), now, "robots", attempt=False)
                pages.deferred += 1
            pages.errors.append(str(exc))
            continue
        except IngestError as exc:
            throttling = isinstance(exc, BadStatus) and exc.status in (429, 503)
            store.record_fetch_failure(entry.url, str(exc), now, error_class(exc), attempt=not throttling)
            if throttling:
                throttled.add(host)
                pages.deferred += 1
            else:
                pages.failed += 1
            pages.errors.append(str(exc))
            continue
        store.save_article(article)
        sites.stored(article.host)
        pages.stored += 1
    sites.catch_up({host_of(url) for url in by_url})
    sites.relearn(now)
    return pages


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class SiteModels:
    """The learned boilerplate of each site a feed's pages come from: loaded once per poll, learned again
    from the site's latest stored pages after the poll stored new ones (:mod:`ingest.boilerplate`)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._models: dict[str, SiteModel | None] = {}
        self._touched: set[str] = set()

    def model(self, host: str) -> SiteModel | None:
        if host not in self._models:
            stored = self._store.site_model(host)
            self._models[host] = SiteModel(host, frozenset(stored[0]), stored[1]) if stored else None
        return self._models[host]

    def stored(self, host: str | None) -> None:
        if host:
            self._touched.add(host)

    def catch_up(self, hosts: set[str]) -> None:
        """Relearn, with the next :meth:`relearn`, any of ``hosts`` whose model was learned from fewer pages
        than it could be now (a process killed between storing pages and relearning)."""
        config = self._settings.extract
        for host in hosts - self._touched:
            count = min(self._store.site_page_count(host), config.boilerplate_pages)
            stored = self._store.site_model(host)
            if count >= config.boilerplate_min_pages and (stored is None or stored[1] < count):
                self._touched.add(host)

    def relearn(self, now: datetime) -> None:
        config = self._settings.extract
        for host in sorted(self._touched):
            pages = self._store.site_pages(host, limit=config.boilerplate_pages)
            if len(pages) < config.boilerplate_min_pages:
                continue
            model = learn(host, pages, min_pages=config.boilerplate_min_pages, min_share=config.boilerplate_min_share)
            self._store.save_site_model(host, sorted(model.keys), len(pages), now)
            self._models[host] = model
        self._touched.clear()


def _extract_article(
    response: Response,
    settings: Settings,
    feed: Feed,
    entry: FeedEntry,
    feed_title: str | None,
    now: datetime,
    site: SiteModel | None = None,
) -> NewArticle:
    extracted = extract_article(
        response.body,
        url=response.url,
        entry=entry,
        feed_title=feed_title or feed.name,
        config=settings.extract,
        site=site,
    )
    digest = content_hash(extracted.text)
    return NewArticle(
        id=article_id_for(entry.url, digest),
        url=entry.url,
        content_hash=digest,
        feed_id=feed.id,
        fetched_at=now,
        body=extracted.text,
        word_count=extracted.word_count,
        extractor=extracted.method,
        title=extracted.title,
        byline=extracted.byline,
        published_at=extracted.published,
        published_source=extracted.published_source,
        language=extracted.language,
        page_url=extracted.canonical_url or response.url,
        outlet=extracted.outlet,
        agency=",".join(extracted.agencies) or None,
        raw_html=zlib.compress(response.body, 6),
        authors=list(extracted.authors),
        updated_at=extracted.updated,
        updated_source=extracted.updated_source,
        section=extracted.section,
        dateline=extracted.dateline,
        host=host_of(entry.url),
        block_keys=list(extracted.block_keys),
    )


# -- dedupe ----------------------------------------------------------------------------------------


def article_document(article: Article) -> Document:
    return Document(id=article.id, text=article.body, title=article.title, published=article.published_at)


def article_member(article: Article, versions: int = 1) -> Member:
    agencies = tuple(a for a in (article.agency or "").split(",") if a)
    own = bool(article.outlet) and agency_code(article.outlet or "") in agencies
    return Member(article.id, article.word_count, article.published_at, own_copy=own, versions=versions)


class StoreIndex:
    """The candidate index kept in the store (``index_keys``): the matcher queries it; a decision's band
    keys are written with the decision, in the same transaction, so :meth:`add` has nothing left to do."""

    def __init__(self, store: Store, config: DedupeConfig) -> None:
        self._store = store
        self._config = config

    def query(self, signature: LeanMinHash) -> list[Candidate]:
        keys = band_keys(signature, self._config)
        return [Candidate(c.article_id, c.cluster_id, c.published_at) for c in self._store.index_candidates(keys)]

    def add(self, doc_id: str, signature: LeanMinHash, cluster_id: str, published: datetime | None) -> None:
        """Nothing to do: :meth:`storage.Store.write_decision` wrote the keys."""


def ensure_index(store: Store, config: DedupeConfig, now: datetime, *, force: bool = False) -> int | None:
    """Rebuild the stored index from the stored signatures when it is missing, was built with other
    settings, or ``force``; returns how many articles it then holds (None when it was fine as it was).
    Signatures stored under another scheme are recomputed first (:func:`ensure_signatures`)."""
    resigned = ensure_signatures(store, config)
    state = index_params(config)
    since = _window_start(store, config, now)
    lost = store.index_is_empty() and store.has_signatures_since(since)
    if not force and not resigned and not lost and store.index_state() == state:
        return None
    rows = (
        (sig.article_id, sig.published_at or since, band_keys(from_bytes(sig.hashvalues, config), config))
        for sig in store.indexed_signatures(since=since)
        if sig.cluster_id is not None
    )
    count = store.replace_index(state, rows)
    store.refresh_statistics()
    return count


SIGNATURE_PAGE = 500  # articles whose signatures are recomputed per transaction


def ensure_signatures(store: Store, config: DedupeConfig) -> int | None:
    """Recompute every stored signature from its article's body when the store's were computed otherwise (an
    older shingle hash, another ``num_perm``, seed or shingle size: :func:`dedupe.signature.signature_params`),
    a page of articles per transaction; returns how many it recomputed (None when they were current). The new
    state is recorded last, so an interrupted run starts over next time (recomputing is idempotent)."""
    params = signature_params(config)
    if store.signature_state() == params:
        return None
    count, after = 0, ""
    while page := store.signed_articles(after, SIGNATURE_PAGE):
        signatures = minhashes([tokens(body) for _, body in page], config)
        store.update_signatures([(i, to_bytes(s)) for (i, _), s in zip(page, signatures, strict=True)])
        count += len(page)
        after = page[-1][0]
    store.update_signatures([], params)
    return count or None


def _window_start(store: Store, config: DedupeConfig, now: datetime) -> datetime:
    """Where the index window starts: ``window_days`` before the newest publication stored, or before now
    if that is earlier (a far-future date does not empty the index). A backfill of archived copy thus keeps
    its own window, not today's."""
    newest = store.newest_signature_time()
    anchor = now if newest is None else min(newest, now)
    return anchor - timedelta(days=config.window_days)


DECISIONS_PER_COMMIT = 100  # dedupe decisions per transaction (Store.group), and signatures per batch


def dedupe_pending(settings: Settings, now: datetime) -> DedupeReport:
    """Place every article not yet in a cluster, oldest publication first, committed a hundred decisions at a
    time (an interrupted run leaves the rest pending, decided again by the next); then take
    articles older than the window out of the index. One dedupe at a time per store (a lock shared by every
    process), so concurrent workers never open two clusters for one copy."""
    with settings.open_store() as store, store.exclusive("dedupe"):
        config = settings.dedupe
        ensure_index(store, config, now)
        pending = store.undecided_articles()
        if not pending:
            return DedupeReport()
        clusterer = Clusterer(
            config,
            documents=lambda ids: {i: article_document(a) for i, a in store.articles_by_id(ids).items()},
            members=store.member_ids,
            index=StoreIndex(store, config),
        )
        created = joined = changed = linked = 0
        signatures: dict[str, LeanMinHash] = {}
        with store.group() as commit:
            for n, article in enumerate(pending, 1):
                if article.id not in signatures:  # the next batch's, at once (a batch is much faster)
                    batch = [article_document(a) for a in pending[n - 1 : n - 1 + DECISIONS_PER_COMMIT]]
                    signatures = dict(zip((d.id for d in batch), clusterer.signatures(batch), strict=True))
                doc = article_document(article)
                signature = signatures[article.id]
                decision = clusterer.decide(doc, signature)
                write = _cluster_write(store, config, article, decision, signature, now)
                if not store.write_decision(write):
                    clusterer.forget_members()  # another writer decided this article meanwhile
                    continue
                created += decision.created
                joined += not decision.created
                changed += any(kind == "canonical.changed" for kind, _ in write.events)
                linked += sum(kind == "story.linked" for kind, _ in write.events)
                clusterer.record(decision, signature)
                if n % DECISIONS_PER_COMMIT == 0:
                    commit()
        store.prune_index(before=_window_start(store, config, now))
        if created + joined >= 500:
            store.refresh_statistics()
        return DedupeReport(created + joined, created, joined, changed, linked)


def _cluster_write(
    store: Store, config: DedupeConfig, article: Article, decision: Decision, signature: LeanMinHash, now: datetime
) -> ClusterWrite:
    previous = None if decision.created else store.get_cluster(decision.cluster_id)
    members = [] if previous is None else [a for a, _ in store.cluster_members(decision.cluster_id)]
    members.append(article)
    canonical = choose_canonical(
        [article_member(a) for a in members], config.completeness_tolerance, config.cluster_policy
    )
    story_id = previous.story_id if previous and previous.story_id else story_id_for(decision.cluster_id)
    cluster = Cluster(
        id=decision.cluster_id,
        founder_id=previous.founder_id if previous else article.id,
        canonical_id=canonical.id,
        canonical_reason=canonical.reason,
        size=len(members),
        created_at=previous.created_at if previous else now,
        updated_at=now,
        story_id=story_id,
    )
    match = decision.evidence[0] if decision.evidence else None
    membership = Membership(
        article_id=article.id,
        cluster_id=decision.cluster_id,
        rule=decision.rule,
        decided_at=now,
        matched_id=match.other_id if match else None,
        jaccard=match.jaccard if match else None,
        containment=match.containment if match else None,
    )
    events: list[tuple[str, dict[str, Any]]] = []
    if previous is None:
        events.append(("cluster.created", {"article_id": article.id, "canonical_id": canonical.id}))
    else:
        evidence = [asdict(m) for m in decision.evidence]
        events.append(("article.added", {"article_id": article.id, "rule": decision.rule, "evidence": evidence}))
        if previous.canonical_id != canonical.id:
            events.append(
                (
                    "canonical.changed",
                    {
                        "scope": "cluster",
                        "article_id": canonical.id,
                        "from": previous.canonical_id,
                        "reason": canonical.reason,
                    },
                )
            )
    story, links, story_events = _story_write(store, config, article, decision, cluster, canonical, members, now)
    cluster = replace(cluster, story_id=story.story.id)
    published = article.published_at or article.fetched_at
    return ClusterWrite(
        article.id,
        to_bytes(signature),
        published,
        cluster,
        membership,
        index_keys=band_keys(signature, config),
        story=story,
        links=links,
        events=events + story_events,
    )


def _story_write(
    store: Store,
    config: DedupeConfig,
    article: Article,
    decision: Decision,
    cluster: Cluster,
    canonical: Canonical,
    members: list[Article],
    now: datetime,
) -> tuple[StoryWrite, list[StoryLink], list[tuple[str, dict[str, Any]]]]:
    """The article's story after this decision: the links it makes, the stories they merge (the oldest
    keeps its id), and the story's canonical, re-decided over its clusters' canonical articles."""
    assert cluster.story_id is not None
    linked = store.clusters_by_id([other for other, _ in decision.links])
    links = [
        StoryLink(article.id, other, cluster.id, m.other_id, m.jaccard, m.containment, m.rule, now)
        for other, m in decision.links
        if other in linked
    ]
    involved = sorted({cluster.story_id} | {c.story_id for c in linked.values() if c.story_id})
    known = store.stories_by_id(involved)
    kept = min(involved, key=lambda s: (known[s].created_at, s) if s in known else (now, s))
    absorbed = [s for s in involved if s != kept]
    previous = known.get(kept)

    clusters = {c.id: c for c in store.story_clusters([s for s in involved if s in known])}  # a new one has none
    clusters[cluster.id] = cluster
    canon = store.articles_by_id([c.canonical_id for c in clusters.values() if c.id != cluster.id])
    canon[canonical.id] = next(a for a in members if a.id == canonical.id)
    story = story_summary(config, kept, clusters, canon, previous, now)
    events: list[tuple[str, dict[str, Any]]] = []
    joined = {cluster.story_id}
    for link in links:  # one event per story joined, with the link that joined it
        other_story = linked[link.other_cluster_id].story_id
        if other_story is None or other_story in joined:
            continue
        joined.add(other_story)
        events.append(
            (
                "story.linked",
                {
                    "story_id": kept,
                    "article_id": article.id,
                    "cluster_id": cluster.id,
                    "other_cluster_id": link.other_cluster_id,
                    "matched_id": link.matched_id,
                    "jaccard": link.jaccard,
                    "containment": link.containment,
                    "rule": link.rule,
                    "absorbed": sorted({cluster.story_id, other_story} - {kept}),
                },
            )
        )
    if previous is not None and previous.canonical_id != story.canonical_id:
        events.append(
            (
                "canonical.changed",
                {
                    "scope": "story",
                    "story_id": kept,
                    "cluster_id": story.canonical_cluster_id,
                    "article_id": story.canonical_id,
                    "from": previous.canonical_id,
                    "reason": story.canonical_reason,
                },
            )
        )
    return StoryWrite(story, absorbed), links, events


def story_summary(
    config: DedupeConfig,
    story_id: str,
    clusters: dict[str, Cluster],
    canon: dict[str, Article],
    previous: Story | None,
    now: datetime,
) -> Story:
    """A story's summary over its clusters (``canon``: their canonical articles): the canonical by the story
    policy, the counts. Clusters emptied by re-extraction do not count."""
    live = [c for c in clusters.values() if c.size > 0]
    if not live:
        assert previous is not None, "a new story has the cluster that founds it"
        return replace(previous, clusters=0, size=0, updated_at=now)
    by_article = {c.canonical_id: c for c in live}
    choice = choose_canonical(
        [article_member(canon[c.canonical_id], versions=c.size) for c in live],
        config.completeness_tolerance,
        config.story_policy,
    )
    return Story(
        id=story_id,
        canonical_id=choice.id,
        canonical_cluster_id=by_article[choice.id].id,
        canonical_reason=choice.reason if len(live) > 1 else by_article[choice.id].canonical_reason,
        clusters=len(live),
        size=sum(c.size for c in live),
        created_at=previous.created_at if previous else now,
        updated_at=now,
    )


def reindex(settings: Settings, now: datetime) -> int:
    """Rebuild the candidate index from the stored signatures, recomputed first if stored under another scheme
    (``wiredesk reindex``)."""
    with settings.open_store() as store, store.exclusive("dedupe"):
        count = ensure_index(store, settings.dedupe, now, force=True)
        return count or 0


# -- a whole cycle ---------------------------------------------------------------------------------


def run_cycle(settings: Settings, now: datetime, progress: Callable[[str], None] | None = None) -> CycleReport:
    """One full cycle without a scheduler: every due feed, then dedupe. With ``settings.workers`` above one,
    feeds are polled, fetched and extracted in that many processes at once (extraction is CPU-bound); the
    reports come back in feed order whatever order the feeds finished in."""
    tasks = due_feeds(settings, now)
    reports: dict[int, FeedReport] = {}

    def done(report: FeedReport) -> None:
        reports[report.feed_id] = report
        if progress:
            progress(f"[{len(reports)}/{len(tasks)}] {report.summary()}")

    workers = min(settings.workers, len(tasks))
    if workers > 1:
        context = multiprocessing.get_context("spawn")  # no fork of a process holding threads and connections
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(ingest_feed, settings, task.feed_id, now) for task in tasks]
            for future in as_completed(futures):
                done(future.result())
    else:
        with Fetcher(settings.fetch) as fetcher:
            for task in tasks:
                done(ingest_feed(settings, task.feed_id, now, fetcher))
    dedupe = dedupe_pending(settings, now)
    if progress:
        progress(
            f"dedupe: {dedupe.decided} articles placed, {dedupe.clusters_created} new clusters, "
            f"{dedupe.joined} joined existing ones, {dedupe.stories_linked} story links"
        )
    return CycleReport([reports[task.feed_id] for task in tasks], dedupe)


def record_run(
    settings: Settings, run_id: str, source: str, started_at: datetime, finished_at: datetime, counts: dict[str, int]
) -> None:
    """Record a run's counts (the UI's throughput per run); a rerun of the same ``run_id`` overwrites them.
    Poll history older than :data:`POLL_HISTORY_DAYS` is dropped then."""
    with settings.open_store() as store:
        store.record_run(RunRecord(run_id, source, started_at, finished_at, dict(counts)))
        store.prune_polls(started_at - timedelta(days=POLL_HISTORY_DAYS))


def feed_health(settings: Settings, now: datetime, days: int = 7) -> list[FeedHealth]:
    """Every feed's health over the ``days`` before ``now``."""
    with settings.open_store() as store:
        return store.feed_health(now, days, dead_after=settings.polling.dead_after)


def register_feed(settings: Settings, url: str, name: str | None, now: datetime) -> tuple[Feed, bool]:
    """Register a feed by its canonical URL; returns it and whether it was new."""
    canonical = canonical_url(url)
    with settings.open_store() as store:
        return store.add_feed(canonical, name or canonical, now)
