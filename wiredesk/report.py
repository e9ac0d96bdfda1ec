"""Human and JSON renderings of what the store holds, shared by the CLI and the demo."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from storage import Article, Cluster, ClusterDetail, Event, Feed, FeedHealth, StoryDetail


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "undated"


def _short(text: str | None, width: int) -> str:
    text = " ".join((text or "(no title)").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _figure(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def cluster_lines(detail: ClusterDetail) -> list[str]:
    """A cluster with its canonical article, and each member with the evidence that placed it."""
    c = detail.cluster
    canonical = next((a for a, _ in detail.members if a.id == c.canonical_id), None)
    lines = [f"cluster {c.id}: {c.size} version{'s' if c.size != 1 else ''} (story {c.story_id or '-'})"]
    if canonical is not None:
        lines.append(f'  canonical  "{_short(canonical.title, 70)}"')
        lines.append(f"             {canonical.outlet or '?'}, {when(canonical.published_at)}; {c.canonical_reason}")
    lines.append(f"  {'':2}{'outlet':<22} {'title':<46} {'rule':<12} {'jaccard':>7} {'contain':>7} {'words':>6}")
    for article, m in detail.members:
        mark = "*" if article.id == c.canonical_id else " "
        lines.append(
            f"  {mark} {_short(article.outlet, 22):<22} {_short(article.title, 46):<46} {m.rule:<12} "
            f"{_figure(m.jaccard):>7} {_figure(m.containment):>7} {article.word_count:>6}"
        )
    return lines


def article_json(article: Article) -> dict[str, Any]:
    data = asdict(article)
    data["agencies"] = [a for a in (article.agency or "").split(",") if a]
    del data["agency"]
    for key in ("published_at", "fetched_at"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def cluster_summary(cluster: Cluster | None) -> dict[str, Any] | None:
    """The few facts of an article's cluster a reader needs (None: not clustered yet)."""
    if cluster is None:
        return None
    return {"id": cluster.id, "size": cluster.size, "canonical_id": cluster.canonical_id, "story_id": cluster.story_id}


def canonical_json(article: Article, cluster: Cluster | None, *, body: bool = True) -> dict[str, Any]:
    """An article (``body`` false: without its body) with its cluster summary, every time in ISO 8601: the
    read API's and ``wiredesk export``'s shape."""
    data = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in article_json(article).items()}
    if not body:
        del data["body"]
    data["cluster"] = cluster_summary(cluster)
    return data


def event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "kind": event.kind,
        "article_id": event.article_id,
        "cluster_id": event.cluster_id,
        "story_id": event.story_id,
        "detail": event.detail,
    }


def feed_json(feed: Feed) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(feed).items()}


def cluster_json(detail: ClusterDetail) -> dict[str, Any]:
    c = asdict(detail.cluster)
    for key in ("created_at", "updated_at"):
        c[key] = c[key].isoformat()
    c["members"] = []
    for article, m in detail.members:
        member = {k: v for k, v in asdict(m).items() if k not in ("cluster_id",)}
        member["decided_at"] = m.decided_at.isoformat()
        member |= {
            "title": article.title,
            "outlet": article.outlet,
            "url": article.url,
            "published_at": article.published_at.isoformat() if article.published_at else None,
            "word_count": article.word_count,
            "canonical": article.id == detail.cluster.canonical_id,
        }
        c["members"].append(member)
    return c


def story_lines(detail: StoryDetail) -> list[str]:
    """A story with its canonical article, its clusters and the passage links between them."""
    s = detail.story
    lines = [f"story {s.id}: {s.clusters} cluster{'s' if s.clusters != 1 else ''}, {s.size} versions"]
    canonical = next((a for c, a in detail.clusters if a.id == s.canonical_id), None)
    if canonical is not None:
        lines.append(f'  canonical  "{_short(canonical.title, 70)}"')
        lines.append(f"             {canonical.outlet or '?'}, {when(canonical.published_at)}; {s.canonical_reason}")
    lines.append(f"  {'':2}{'cluster':<18} {'versions':>8}  canonical article")
    for cluster, article in detail.clusters:
        mark = "*" if cluster.id == s.canonical_cluster_id else " "
        lines.append(f"  {mark} {cluster.id:<18} {cluster.size:>8}  {_short(article.title, 60)}")
    if detail.links:
        lines.append("  links: an article of one cluster shares a passage with a member of the other")
        lines.append(f"    {'cluster':<18}   {'other cluster':<18} {'article':<18} {'jaccard':>7} {'contain':>7}  rule")
        for link in detail.links:
            lines.append(
                f"    {link.cluster_id:<18} ~ {link.other_cluster_id:<18} {link.article_id:<18} "
                f"{_figure(link.jaccard):>7} {_figure(link.containment):>7}  {link.rule}"
            )
    return lines


def story_json(detail: StoryDetail) -> dict[str, Any]:
    s = asdict(detail.story)
    for key in ("created_at", "updated_at"):
        s[key] = s[key].isoformat()
    s["clusters"] = [
        {
            "id": c.id,
            "size": c.size,
            "canonical_id": c.canonical_id,
            "canonical_reason": c.canonical_reason,
            "title": a.title,
            "canonical": c.id == detail.story.canonical_cluster_id,
        }
        for c, a in detail.clusters
    ]
    s["links"] = [asdict(link) | {"decided_at": link.decided_at.isoformat()} for link in detail.links]
    return s


def _share(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "-"


def _interval(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def health_json(health: FeedHealth) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(health).items()}


def health_lines(health: list[FeedHealth], days: int) -> list[str]:
    """A table of feed health (``wiredesk feeds health``); each failing feed's last error under its row."""
    lines = [
        f"feed health over the last {days} day{'s' if days != 1 else ''}",
        f"{'id':>4}  {'name':<24} {'status':<8} {'errors':>6} {'class':<12} {'last success':<21} {'every':>8} "
        f"{'304s':>5} {'items/d':>7} {'dup':>5} {'extract':>7} {'fetch':>5}",
    ]
    for h in health:
        lines.append(
            f"{h.feed_id:>4}  {_short(h.name, 24):<24} {h.status:<8} {h.consecutive_errors:>6} "
            f"{h.error_class or '-':<12} {when(h.last_success_at) if h.last_success_at else 'never':<21} "
            f"{_interval(h.poll_interval_s):>8} {_share(h.not_modified_share):>5} {h.items_per_day:>7.2f} "
            f"{_share(h.duplicate_share):>5} {h.extraction_failures:>7} {h.fetch_failures:>5}"
        )
        if h.status in ("failing", "dead") and h.last_error:
            lines.append(f"{'':6}last error: {h.last_error}")
    return lines
