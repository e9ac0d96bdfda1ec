"""The corpus as data: outlets, wire texts and pages with their expected clusters (``herat/manifest.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

HERAT = Path(__file__).parent / "herat"


@dataclass(frozen=True)
class Paragraph:
    kind: str  # "p" or "h2"
    text: str


@dataclass(frozen=True)
class WireText:
    """One text as an agency or outlet filed it (``herat/texts/<slug>.txt``)."""

    slug: str
    headline: str
    byline: str | None
    agency: str | None
    dateline: str | None
    description: str | None
    paragraphs: tuple[Paragraph, ...]

    @property
    def body(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)


@dataclass(frozen=True)
class Outlet:
    slug: str
    name: str
    template: str
    feed_format: str  # "rss", "atom" or "json"
    feed_path: str
    warts: frozenset[str]


@dataclass(frozen=True)
class Comment:
    author: str
    date_human: str
    text: str


@dataclass(frozen=True)
class Page:
    """An outlet's page for one text, and what the pipeline must make of it."""

    path: str
    outlet: str
    text: str
    variant: str  # republish, trim, writethru, blend, nearmiss, templated, unrelated
    headline: str | None
    published: datetime
    updated: datetime | None
    cluster: str
    canonical: bool


@dataclass(frozen=True)
class Corpus:
    outlets: tuple[Outlet, ...]
    pages: tuple[Page, ...]
    texts: dict[str, WireText]
    comments: dict[str, tuple[Comment, ...]]
    templates: Path

    def outlet(self, slug: str) -> Outlet:
        return next(o for o in self.outlets if o.slug == slug)

    def pages_of(self, outlet: str) -> list[Page]:
        return [p for p in self.pages if p.outlet == outlet]

    def body_of(self, page: Page) -> tuple[Paragraph, ...]:
        """The paragraphs a page carries: the whole text, or the first five for a trim."""
        paragraphs = self.texts[page.text].paragraphs
        if page.variant == "trim":
            return tuple(p for p in paragraphs if p.kind == "p")[:5]
        return paragraphs


def parse_text(slug: str, raw: str) -> WireText:
    """Parse the ``key: value`` header, ``---``, then one paragraph per block (``## `` marks a subhead)."""
    header, _, body = raw.partition("\n---\n")
    fields: dict[str, str] = {}
    for line in header.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    paragraphs = []
    for block in body.split("\n\n"):
        block = block.strip()
        if block.startswith("## "):
            paragraphs.append(Paragraph("h2", block[3:].strip()))
        elif block:
            paragraphs.append(Paragraph("p", block))
    return WireText(
        slug=slug,
        headline=fields["headline"],
        byline=fields.get("byline") or None,
        agency=fields.get("agency") or None,
        dateline=fields.get("dateline") or None,
        description=fields.get("description") or None,
        paragraphs=tuple(paragraphs),
    )


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@cache
def load_corpus(root: Path = HERAT) -> Corpus:
    """Load a corpus folder (manifest, texts, templates)."""
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    texts = {p.stem: parse_text(p.stem, p.read_text(encoding="utf-8")) for p in sorted((root / "texts").glob("*.txt"))}
    outlets = tuple(
        Outlet(
            slug=o["slug"],
            name=o["name"],
            template=o["template"],
            feed_format=o["feed"]["format"],
            feed_path=o["feed"]["path"],
            warts=frozenset(o["feed"].get("warts", ())),
        )
        for o in manifest["outlets"]
    )
    pages = []
    for p in manifest["pages"]:
        published = _time(p["published"])
        assert published is not None
        pages.append(
            Page(
                path=p["path"],
                outlet=p["outlet"],
                text=p["text"],
                variant=p["variant"],
                headline=p.get("headline"),
                published=published,
                updated=_time(p.get("updated")),
                cluster=p["cluster"],
                canonical=p["canonical"],
            )
        )
    comments = {path: tuple(Comment(**c) for c in items) for path, items in manifest.get("comments", {}).items()}
    return Corpus(outlets, tuple(pages), texts, comments, root / "templates")
