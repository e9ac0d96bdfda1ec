"""Feed URLs from people: ``wiredesk feeds add URL`` and OPML import (the (name, URL) of every feed outline, at
any depth). Every problem is a :class:`WiredeskError` with one line that says what is wrong and what to do.

An OPML file is read whole, up to :data:`MAX_OPML_BYTES`; entities and DTDs are never resolved, and a file that
declares entities is refused (OPML has no use for them; a "billion laughs" file declares thousands).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from ingest.errors import InvalidURL
from ingest.urls import canonical_url
from wiredesk.errors import WiredeskError

MAX_OPML_BYTES = 10 * 1024 * 1024  # a list of ten thousand feeds is about 2 MiB
_HOST = re.compile(r"[\w-]+(\.[\w-]+)*\.?")  # a name (IDN too) or an IPv4 address
_IPV6 = re.compile(r"[0-9a-f:.]+")
_FEED_SCHEME = re.compile(r"^feed:(//)?", re.IGNORECASE)  # feed://host/x, feed:https://host/x (old readers)
_ADVICE = "give the feed's full address, e.g. https://example.com/feed.xml"


def feed_url(url: str) -> str:
    """The canonical form of a feed URL a person gave; :class:`WiredeskError` (one line, with what to do)
    when it is not an absolute http(s) URL."""
    canonical, problem = _check(url)
    if canonical is not None:
        return canonical
    reason, advice = problem or ("not an absolute http(s) URL", _ADVICE)
    raise WiredeskError(f"url: not an absolute http(s) URL: {_shown(url)} ({reason}); {advice}")


def _shown(url: str) -> str:
    """``url`` for a message: quoted, on one line, its first 120 characters."""
    return repr(url[:120]) + ("..." if len(url) > 120 else "")


def _check(url: str) -> tuple[str | None, tuple[str, str] | None]:
    """(the canonical URL, None), or (None, (what is wrong, what to do))."""
    raw = url.strip()
    if _FEED_SCHEME.match(raw):
        rest = _FEED_SCHEME.sub("", raw, count=1)
        raw = rest if rest.lower().startswith(("http://", "https://")) else f"http://{rest}"
    if not raw:
        return None, ("it is empty", _ADVICE)
    if any(c.isspace() for c in raw):
        return None, ("it contains a space", "percent-encode spaces in a URL as %20, and give one URL at a time")
    if any(not c.isprintable() or "\ud800" <= c <= "\udfff" for c in raw):
        return None, ("it contains control characters or bytes that are not UTF-8", "type or paste it again")
    scheme, sep, _ = raw.partition("://")
    if not sep:
        return None, ("no http:// or https:// in front", _ADVICE)
    if scheme.lower() not in ("http", "https"):
        return None, (f"the scheme is {scheme}:", "wiredesk reads feeds over http:// and https:// only")
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
    except ValueError as exc:
        return None, (str(exc), _ADVICE)
    if not host:
        return None, ("no host name", _ADVICE)
    if not (_IPV6.fullmatch(host) if ":" in host else _HOST.fullmatch(host)):
        return None, (f"{host!r} is not a host name", _ADVICE)
    try:
        return canonical_url(raw), None
    except InvalidURL as exc:  # "url: <what>: '<url>'": keep the what
        what = str(exc.__cause__) if exc.__cause__ else str(exc).removeprefix("url: ").rsplit(": ", 1)[0]
        return None, (what or "not an absolute http(s) URL", _ADVICE)


def read_opml(path: Path) -> list[tuple[str | None, str]]:
    """Feeds listed in an OPML file, as (title, canonical URL). Raises :class:`WiredeskError` with a one-line
    reason; nothing is registered unless every listed feed URL is valid."""
    data = _read(path)
    if b"<!ENTITY" in data:
        raise WiredeskError(
            f"{path} declares XML entities (<!ENTITY ...>), which OPML does not use and wiredesk never expands; "
            "remove the <!DOCTYPE ...> block, or export the OPML file again"
        )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        reason = re.sub(r",? line \d+, column \d+$", "", " ".join(str(exc.msg).split()))
        raise WiredeskError(
            f"{path} is not valid OPML (line {exc.lineno}: {reason}); check that it is the complete OPML file "
            "your reader exported"
        ) from None
    if root is None or not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        raise WiredeskError(f"{path} is not an OPML file (its root element is not <opml>); give an OPML export")
    feeds: list[tuple[str | None, str]] = []
    bad: list[tuple[str, str]] = []
    for outline in root.iter("{*}outline", "outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if not url or not url.strip():
            continue  # a folder, or a link without a feed
        canonical, problem = _check(url)
        if canonical is None:
            bad.append((url, problem[0] if problem else "not an absolute http(s) URL"))
            continue
        title = " ".join((outline.get("title") or outline.get("text") or "").split())
        feeds.append((title or None, canonical))
    if bad:
        first, reason = bad[0]
        many = (
            f"{len(bad)} outlines have an invalid xmlUrl, the first"
            if len(bad) > 1
            else "an outline has an invalid xmlUrl"
        )
        raise WiredeskError(
            f"{path}: {many} {_shown(first)} ({reason}); give every feed an absolute http(s) URL or remove the outline "
            "(nothing was imported)"
        )
    if not feeds:
        raise WiredeskError(
            f"{path} lists no feeds (no <outline> has an xmlUrl attribute); give an OPML export of feed subscriptions"
        )
    return feeds


def _read(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise WiredeskError(f"{path} is a folder; give the path of an OPML file")
        with path.open("rb") as handle:
            data = handle.read(MAX_OPML_BYTES + 1)
    except OSError as exc:
        raise WiredeskError(f"cannot read {path}: {exc.strerror}; check the path of the OPML file") from None
    if len(data) > MAX_OPML_BYTES:
        raise WiredeskError(
            f"{path} is over {MAX_OPML_BYTES // (1024 * 1024)} MiB, far more than an OPML list of feeds; "
            "check that it is the right file"
        )
    return data
