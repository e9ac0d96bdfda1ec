"""OPML import: the (name, URL) of every feed outline, at any depth. Entities and DTDs are not resolved."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from ingest.errors import InvalidURL
from ingest.urls import canonical_url
from wiredesk.errors import WiredeskError


def read_opml(path: Path) -> list[tuple[str | None, str]]:
    """Feeds listed in an OPML file. Raises :class:`WiredeskError` with a one-line reason."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WiredeskError(f"cannot read {path}: {exc.strerror}") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise WiredeskError(
            f"{path} is not valid OPML (line {exc.lineno}: {exc.msg}); check the file is complete XML"
        ) from None
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise WiredeskError(f"{path} is not an OPML file (its root element is not <opml>)")
    feeds: list[tuple[str | None, str]] = []
    bad = []
    for outline in root.iter("{*}outline", "outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if not url:
            continue
        try:
            canonical_url(url)
        except InvalidURL:
            bad.append(url)
            continue
        feeds.append((outline.get("title") or outline.get("text") or None, url))
    if bad:
        raise WiredeskError(
            f"{path}: {len(bad)} outlines have an invalid xmlUrl (first: {bad[0]!r}); fix or remove them"
        )
    if not feeds:
        raise WiredeskError(f"{path} lists no feeds (no <outline> has an xmlUrl attribute)")
    return feeds
