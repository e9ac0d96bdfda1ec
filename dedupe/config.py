"""Configuration of the dedupe stage. The defaults and why they are what they are: docs/dedupe.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DedupeConfig:
    """Matcher settings.

    - ``num_perm``/``seed``: MinHash size and permutation seed (changing either invalidates stored signatures).
    - ``shingle_size``: words per shingle.
    - ``lsh_threshold``: Jaccard estimate at which LSH returns a candidate; low, so trims are found.
    - ``jaccard_threshold``: verified Jaccard that makes a republication or light edit.
    - ``containment_threshold``: share of the shorter text found in the longer one that makes a trim or
      a write-thru; ``min_shingles`` is the fewest shingles a text needs for containment to count.
    - ``related_floor``: a document joins a cluster only if every member shares at least this share of the
      shorter text with it (Jaccard or containment), besides matching at least half of them.
    - ``numbers_min_overlap``: below this share of shared figures, two texts report different events.
    - ``story_min_shared``/``story_containment``: a story link (two clusters sharing a passage) needs at least
      this many shared shingles, making at least this share of the shorter text; ``story_numeric_overlap``
      is the least share of the shorter text's figure-bearing shingles found in the other (templated reports
      share their wording, never their figures).
    - ``publication_gap_hours``/``distant_jaccard``: texts published further apart than this match only when
      near-verbatim (verified Jaccard at least ``distant_jaccard``); publication time is evidence too.
    - ``window_days``: how long, by publication time, an article stays in the index; only articles published
      within this many days of each other are compared.
    - ``completeness_tolerance``: versions within this share of the longest count as equally complete.
    - ``cluster_policy``/``story_policy``: the criteria, in order, that pick a cluster's and a story's
      canonical article (:mod:`dedupe.canonical`).
    """

    num_perm: int = 128
    seed: int = 1
    shingle_size: int = 5
    lsh_threshold: float = 0.2
    jaccard_threshold: float = 0.6
    containment_threshold: float = 0.8
    min_shingles: int = 20
    related_floor: float = 0.5
    numbers_min_overlap: float = 0.5
    story_min_shared: int = 60
    story_containment: float = 0.25
    story_numeric_overlap: float = 0.2
    publication_gap_hours: float = 48.0
    distant_jaccard: float = 0.9
    window_days: int = 7
    completeness_tolerance: float = 0.05
    cluster_policy: tuple[str, ...] = ("complete", "agency", "earliest")
    story_policy: tuple[str, ...] = ("widest", "complete", "agency", "earliest")
