"""The records dedupe takes and gives: a document, its features, a match, a decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Document:
    """A text to deduplicate, with the publication time that orders arrivals."""

    id: str
    text: str
    title: str | None = None
    published: datetime | None = None


@dataclass(frozen=True)
class Features:
    """What the matcher compares: shingles for similarity, figures and weekdays as event evidence."""

    shingles: frozenset[bytes]
    numbers: frozenset[str]
    weekdays: frozenset[str]
    word_count: int
    numeric: frozenset[bytes] = frozenset()  # the shingles that carry a figure


@dataclass(frozen=True)
class Match:
    """Verified evidence between a new document and an indexed one.

    ``rule`` is ``jaccard`` (near-verbatim), ``containment`` (trim or write-thru), ``passage`` (a story link:
    a substantial shared passage), or, for a rejection, ``numbers-differ`` / ``weekdays-differ`` /
    ``published-apart`` / ``below-threshold``.
    """

    other_id: str
    jaccard: float
    containment: float
    rule: str

    @property
    def accepted(self) -> bool:
        return self.rule in ("jaccard", "containment", "passage")

    @property
    def score(self) -> float:
        return max(self.jaccard, self.containment)


@dataclass(frozen=True)
class Decision:
    """Where a document goes: an existing cluster, with the evidence against each member (strongest first:
    by score, then Jaccard), or a new one it founds."""

    doc_id: str
    cluster_id: str
    created: bool
    evidence: tuple[Match, ...] = ()
    links: tuple[tuple[str, Match], ...] = ()  # (other cluster id, passage evidence): story links

    @property
    def rule(self) -> str:
        return "founder" if self.created else self.evidence[0].rule


@dataclass(frozen=True)
class Member:
    """What the canonical policy knows of a version (a cluster member, or a cluster's canonical article
    when the policy picks a story's canonical: then ``versions`` is the size of its cluster)."""

    id: str
    word_count: int
    published: datetime | None
    own_copy: bool = False  # published by the agency the copy credits
    versions: int = 1


@dataclass(frozen=True)
class Canonical:
    id: str
    reason: str
