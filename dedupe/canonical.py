"""The canonical article of a cluster: the version a reader should get.

Policy, in order:
1. the most complete version: the most words, where versions within ``tolerance`` (5 %) of the longest
   count as equally complete (a write-thru that adds paragraphs wins; a stray caption does not);
2. among those, the agency's own copy (published by the agency the copy credits);
3. then the earliest published (undated versions last);
4. then the smallest id, so the choice is deterministic.
The reason names the step that decided, with its figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from dedupe.records import Canonical, Member

_LAST = datetime.max


def naive_utc(when: datetime) -> datetime:
    """As naive UTC (a naive time is taken as UTC), so that instants compare, not wall clocks."""
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _when(m: Member) -> datetime:
    return naive_utc(m.published) if m.published else _LAST


def choose_canonical(members: Sequence[Member], tolerance: float = 0.05) -> Canonical:
    """Pick the canonical member and say why."""
    if not members:
        raise ValueError("a cluster has at least one member")
    if len(members) == 1:
        return Canonical(members[0].id, "only version")
    longest = max(m.word_count for m in members)
    complete = [m for m in members if m.word_count >= longest * (1 - tolerance)]
    if len(complete) == 1:
        runner_up = max(m.word_count for m in members if m is not complete[0])
        return Canonical(complete[0].id, f"most complete: {longest} words (next {runner_up})")
    own = [m for m in complete if m.own_copy]
    if len(own) == 1:
        return Canonical(own[0].id, f"agency's own copy among {len(complete)} equally complete versions")
    pool = own or complete
    pool = sorted(pool, key=lambda m: (_when(m), m.id))
    first = pool[0]
    if len(pool) > 1 and _when(pool[1]) == _when(first):
        return Canonical(first.id, f"lowest id among {len(pool)} equally complete versions published together")
    when = f"{naive_utc(first.published):%Y-%m-%d %H:%M} UTC" if first.published else "undated"
    return Canonical(first.id, f"earliest published ({when}) among {len(pool)} equally complete versions")
