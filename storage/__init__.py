"""wiredesk's store: feeds, entries, articles (every version), clusters, memberships, stories, the candidate
index and events.

SQLite by default, PostgreSQL in production; the schema comes from Alembic migrations. This package knows
nothing of feeds' formats, HTML or MinHash internals beyond the values it stores.
"""

from storage.errors import NotFound, StoreError, StoreUnavailable
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
from storage.store import Store, create_store_engine

__all__ = [
    "Article",
    "Cluster",
    "ClusterDetail",
    "ClusterWrite",
    "Event",
    "Feed",
    "FeedHealth",
    "IndexedCandidate",
    "IndexedSignature",
    "Membership",
    "NewArticle",
    "NewEntry",
    "NotFound",
    "PendingEntry",
    "PollRecord",
    "RunRecord",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "Story",
    "StoryDetail",
    "StoryLink",
    "StoryWrite",
    "create_store_engine",
]
