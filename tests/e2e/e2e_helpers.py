"""Helpers for end-to-end tests: registering the corpus feeds and comparing the store with the manifest."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from storage import Store
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import register_feed
from wiredesk.settings import Settings

CHROME = (
    "Leave a Reply",
    "Your email address will not be published",
    "Required fields are marked",
)


def register_corpus(settings: Settings, server: CorpusServer, now: datetime) -> None:
    for name, url in server.feed_urls():
        register_feed(settings, url, name, now)


def partition_by_path(store: Store, server: CorpusServer) -> dict[str, frozenset[str]]:
    """Page path -> the set of page paths in its stored cluster."""
    clusters: dict[str, set[str]] = defaultdict(set)
    path_of = {}
    for article in store.list_articles():
        path = article.url.removeprefix(server.url)
        path_of[article.id] = path
        assert article.cluster_id is not None, f"{path} was never clustered"
        clusters[article.cluster_id].add(path)
    return {path: frozenset(clusters[a.cluster_id or ""]) for a in store.list_articles() for path in [path_of[a.id]]}


def expected_partition(server: CorpusServer) -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for page in server.corpus.pages:
        groups[page.cluster].add(page.path)
    return {page.path: frozenset(groups[page.cluster]) for page in server.corpus.pages}


def canonical_paths(store: Store, server: CorpusServer) -> set[str]:
    """Paths of the canonical article of every stored cluster."""
    canon = store.articles_by_id([c.canonical_id for c in store.list_clusters()])
    return {a.url.removeprefix(server.url) for a in canon.values()}
