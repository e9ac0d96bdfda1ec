"""Verification of an LSH candidate: exact Jaccard and containment of shingle sets, then event evidence.

LSH only proposes; every link is decided on exact figures. Two texts that share their wording but report
different figures or different days (daily market reports, weekly statistics) are different events. So are
two texts published days apart that are not near-verbatim: wire copy travels within hours, and a trim or
write-thru published days after its original is far more often the next day's templated report.
"""

from __future__ import annotations

from dedupe.config import DedupeConfig
from dedupe.records import Features, Match


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the smaller set found in the other (1.0 when either is empty)."""
    if not a or not b:
        return 1.0
    return len(a & b) / min(len(a), len(b))


def passage(new: Features, other: Features, other_id: str, config: DedupeConfig) -> Match:
    """Whether two texts of different copies share a substantial passage (a story link), and the figures.

    The passage must be long (``story_min_shared`` shingles) and a fair share of the shorter text; templated
    reports, which share their wording but none of their figures, fail the figure test; texts naming
    disjoint weekdays report different days.
    """
    inter = len(new.shingles & other.shingles)
    union = len(new.shingles) + len(other.shingles) - inter
    smaller = min(len(new.shingles), len(other.shingles))
    jaccard = round(inter / union, 4) if union else 0.0
    containment = round(inter / smaller, 4) if smaller else 0.0
    if inter < config.story_min_shared or containment < config.story_containment:
        return Match(other_id, jaccard, containment, "below-threshold")
    figures = min(new.numeric, other.numeric, key=len)
    if len(figures) >= 5 and len(new.numeric & other.numeric) / len(figures) < config.story_numeric_overlap:
        return Match(other_id, jaccard, containment, "numbers-differ")
    if new.weekdays and other.weekdays and not new.weekdays & other.weekdays:
        return Match(other_id, jaccard, containment, "weekdays-differ")
    return Match(other_id, jaccard, containment, "passage")


def compare(
    new: Features, other: Features, other_id: str, config: DedupeConfig, hours_apart: float | None = None
) -> Match:
    """Exact similarity of two texts and the rule it satisfies (or the reason it fails).

    ``hours_apart`` is the gap between the two publication times, when both are known: beyond
    ``publication_gap_hours`` only a near-verbatim copy (``distant_jaccard``) still matches.
    """
    inter = len(new.shingles & other.shingles)
    union = len(new.shingles) + len(other.shingles) - inter
    smaller = min(len(new.shingles), len(other.shingles))
    jaccard = inter / union if union else 0.0
    containment = inter / smaller if smaller else 0.0
    if jaccard >= config.jaccard_threshold:
        rule = "jaccard"
    elif containment >= config.containment_threshold and smaller >= config.min_shingles:
        rule = "containment"
    else:
        rule = "below-threshold"
    if rule != "below-threshold":
        if overlap(new.numbers, other.numbers) < config.numbers_min_overlap:
            rule = "numbers-differ"
        elif new.weekdays and other.weekdays and not new.weekdays & other.weekdays:
            rule = "weekdays-differ"
        elif (
            hours_apart is not None and hours_apart > config.publication_gap_hours and jaccard < config.distant_jaccard
        ):
            rule = "published-apart"
    return Match(other_id, round(jaccard, 4), round(containment, 4), rule)
