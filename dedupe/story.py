"""Stories: clusters linked by a shared passage (an outlet's blend of AP and AFP copy links both agencies'
clusters). Each link rests on direct passage evidence between an article and a member of the other cluster
(:func:`dedupe.verify.passage`); a story is what those links connect. When a link joins two stories, the
older story keeps its id, so ids stay stable as stories grow.
"""

from __future__ import annotations

from collections.abc import Iterable

from dedupe.records import Decision


def story_id_for(cluster_id: str) -> str:
    """The id of the story a cluster starts: derived from the cluster id."""
    return "s" + cluster_id[1:]


class Stories:
    """Which story each cluster belongs to, built from decisions in arrival order."""

    def __init__(self) -> None:
        self._story_of: dict[str, str] = {}
        self._clusters: dict[str, list[str]] = {}
        self._order: dict[str, int] = {}

    def add_cluster(self, cluster_id: str) -> str:
        story = self._story_of.get(cluster_id)
        if story is None:
            story = self._story_of[cluster_id] = story_id_for(cluster_id)
            self._clusters[story] = [cluster_id]
            self._order[story] = len(self._order)
        return story

    def link(self, a: str, b: str) -> tuple[str, str] | None:
        """Link two clusters; returns (kept story, absorbed story) when two stories merged."""
        sa, sb = self.add_cluster(a), self.add_cluster(b)
        if sa == sb:
            return None
        kept, absorbed = (sa, sb) if self._order[sa] <= self._order[sb] else (sb, sa)
        for cluster in self._clusters.pop(absorbed):
            self._story_of[cluster] = kept
            self._clusters[kept].append(cluster)
        return kept, absorbed

    def story_of(self, cluster_id: str) -> str:
        return self._story_of[cluster_id]

    def apply(self, decisions: Iterable[Decision]) -> Stories:
        """Fold decisions (in arrival order) into the stories."""
        for decision in decisions:
            self.add_cluster(decision.cluster_id)
            for other_cluster, _match in decision.links:
                self.link(decision.cluster_id, other_cluster)
        return self
