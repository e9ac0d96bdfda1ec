"""The canonical article of a cluster or a story: the version a reader should get.

A policy is an ordered list of criteria; each narrows the candidates to those it ranks best, and the first
that leaves one decides. The criteria:

- ``complete``: the most words, where versions within ``tolerance`` (5 %) of the longest count as equally
  complete (a write-thru that adds paragraphs wins; a stray caption does not);
- ``agency``: the agency's own copy (published by the agency the copy credits), if any;
- ``earliest``/``latest``: the earliest (latest) published; undated versions rank last;
- ``widest``: for a story, the copy carried by the most versions (the largest cluster).

When every criterion leaves a tie, the smallest id wins, so the choice is deterministic. The reason names
the criterion that decided, with its figures. Clusters default to ``complete,agency,earliest``; stories to
``widest,complete,agency,earliest``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from dedupe.config import DedupeConfig
from dedupe.records import Canonical, Member

CRITERIA = ("complete", "agency", "earliest", "latest", "widest")
CLUSTER_POLICY = DedupeConfig.cluster_policy
STORY_POLICY = DedupeConfig.story_policy

_LAST = datetime.max


def naive_utc(when: datetime) -> datetime:
    """As naive UTC (a naive time is taken as UTC), so that instants compare, not wall clocks."""
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def parse_policy(text: str) -> tuple[str, ...]:
    """A policy from its comma-separated form, e.g. ``complete,agency,earliest``. Raises ValueError."""
    policy = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = [c for c in policy if c not in CRITERIA]
    if unknown or not policy:
        raise ValueError(
            f"canonical policy {text!r}: use a comma-separated list of {', '.join(CRITERIA)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    if len(set(policy)) != len(policy):
        raise ValueError(f"canonical policy {text!r}: a criterion appears twice")
    return policy


def _when(m: Member) -> datetime:
    return naive_utc(m.published) if m.published else _LAST


def _stamp(m: Member) -> str:
    return f"{naive_utc(m.published):%Y-%m-%d %H:%M} UTC" if m.published else "undated"


@dataclass(frozen=True)
class _Outcome:
    kept: list[Member]
    decided: str = ""  # the reason, when this criterion left one version
    adjective: str = ""  # what a tie on this criterion makes the kept versions ("equally complete")
    together: bool = False  # a tie of publication times


Step = Callable[[list[Member], str], _Outcome]


def _versions(n: int, adjectives: str) -> str:
    return f"{n} {adjectives + ' ' if adjectives else ''}versions"


def _complete(tolerance: float) -> Step:
    def step(pool: list[Member], adjectives: str) -> _Outcome:
        longest = max(m.word_count for m in pool)
        kept = [m for m in pool if m.word_count >= longest * (1 - tolerance)]
        if len(kept) == 1:
            runner_up = max(m.word_count for m in pool if m is not kept[0])
            return _Outcome(kept, f"most complete: {longest} words (next {runner_up})")
        return _Outcome(kept, adjective="equally complete")

    return step


def _agency(pool: list[Member], adjectives: str) -> _Outcome:
    own = [m for m in pool if m.own_copy]
    if len(own) == 1:
        return _Outcome(own, f"agency's own copy among {_versions(len(pool), adjectives)}")
    return _Outcome(own or pool)


def _dated(latest: bool) -> Step:
    def step(pool: list[Member], adjectives: str) -> _Outcome:
        dated = [m for m in pool if m.published] or pool
        best = (max if latest else min)(_when(m) for m in dated)
        kept = [m for m in dated if _when(m) == best]
        if len(kept) == 1:
            word = "latest" if latest else "earliest"
            return _Outcome(kept, f"{word} published ({_stamp(kept[0])}) among {_versions(len(pool), adjectives)}")
        return _Outcome(kept, together=True)

    return step


def _widest(pool: list[Member], adjectives: str) -> _Outcome:
    most = max(m.versions for m in pool)
    kept = [m for m in pool if m.versions == most]
    if len(kept) == 1:
        runner_up = max(m.versions for m in pool if m is not kept[0])
        return _Outcome(kept, f"most widely carried: {most} versions (next {runner_up})")
    return _Outcome(kept, adjective="equally widely carried")


def choose_canonical(
    members: Sequence[Member], tolerance: float = 0.05, policy: Sequence[str] = CLUSTER_POLICY
) -> Canonical:
    """Pick the canonical member by ``policy`` and say why."""
    if not members:
        raise ValueError("a cluster has at least one member")
    if len(members) == 1:
        return Canonical(members[0].id, "only version")
    steps: dict[str, Step] = {
        "complete": _complete(tolerance),
        "agency": _agency,
        "earliest": _dated(latest=False),
        "latest": _dated(latest=True),
        "widest": _widest,
    }
    pool = sorted(members, key=lambda m: m.id)
    adjectives: list[str] = []
    together = False
    for criterion in policy:
        outcome = steps[criterion](pool, " and ".join(adjectives))
        if outcome.decided:
            return Canonical(outcome.kept[0].id, outcome.decided)
        pool = outcome.kept
        if outcome.adjective:
            adjectives.append(outcome.adjective)
        together = together or outcome.together
    reason = f"lowest id among {_versions(len(pool), ' and '.join(adjectives))}"
    return Canonical(pool[0].id, reason + (" published together" if together else ""))
