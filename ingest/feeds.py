"""Feed parsing: RSS and Atom through feedparser, JSON Feed (1.0 and 1.1) ourselves.

Each format ends in the same :class:`FeedEntry`. Links are made absolute against the feed's URL (or its
``xml:base``) and canonicalised; an entry without a usable link is skipped, because the GUID is a hint,
not an identity. A damaged feed keeps the entries that could be read and reports the damage as a warning.

Bodies come from strangers, so before any parser sees one (:func:`prepare`):

- UTF-16 and UTF-32 bodies are transcoded to UTF-8, so every later byte-level step is sound;
- the DTD is removed: no entity declared in it is ever expanded (billion laughs, quadratic blow-up) and no
  external entity or DTD is ever read (XXE). Only entities declared as single character references
  (``<!ENTITY nbsp "&#160;">``, which feeds use for HTML's names) live on: each use is replaced by the
  reference, which cannot amplify;
- control characters XML forbids are removed (a NUL would also be refused by PostgreSQL), and so are
  character references to no character (``&#xD800;``, ``&#x110000;``: feedparser's fallback parser crashes
  on them).

feedparser is handed a stream, never bytes or a string: given those it first tries them as a local file
name (or a URL) and would read that file. An HTML page where a feed was expected is named as such; every
text an entry carries is cleaned of control characters and unpaired surrogates; a date after the poll's
time (``now``) is dropped, never stored as the future.
"""

from __future__ import annotations

import calendar
import codecs
import io
import json
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import feedparser
import lxml.html

from ingest.errors import FeedParseError, InvalidURL
from ingest.records import FeedEntry, ParsedFeed
from ingest.urls import canonical_url

# Not damage: a feed served under a non-XML type, or with an encoding that differs from its declaration.
_HARMLESS = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
_JSON_TYPES = ("application/feed+json", "application/json", "text/json")

_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_BYTES_BUT_ESC = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f]")  # ISO-2022 needs ESC
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_PROLOG_SPACE = re.compile(rb"(?:\s|\xef\xbb\xbf)*")
# What may come inside a markup declaration: comments, PIs and quoted strings are skipped whole.
_DECLARATION_TOKEN = re.compile(rb"""<!--.*?-->|<\?.*?\?>|"[^"]*"|'[^']*'|[\[\]>]""", re.DOTALL)
_CHAR_REF_ENTITY = re.compile(rb"""<!ENTITY\s+([A-Za-z_][\w.-]*)\s+(["'])(&#(?:x[0-9A-Fa-f]{1,6}|[0-9]{1,7});)\2\s*>""")
_ENTITY_REF = re.compile(rb"&([A-Za-z_][\w.-]*);")
_ANY_ENTITY = re.compile(rb"<!ENTITY\b")
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_HTML_ROOTS = frozenset({"html", "head", "body"})
_HTML_DOCTYPE = re.compile(rb"<!doctype\s+html\b", re.IGNORECASE)
_FEED_LINK = re.compile(rb"""<link\b[^>]*\btype\s*=\s*["']?application/(?:rss|atom)\+xml[^>]*>""", re.IGNORECASE)
_HREF = re.compile(rb"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


def clean_text(text: str | None) -> str | None:
    """``text`` without control characters, unpaired surrogates and noncharacters (no store takes them)."""
    if text is None:
        return None
    return _CONTROL_CHARS.sub("", text)


def html_to_text(html: str | None) -> str | None:
    """Plain text of an HTML fragment (feed summaries often carry markup), cleaned of control characters."""
    html = clean_text(html)
    if not html or not html.strip():
        return None
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    try:
        text = lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    except (ValueError, lxml.etree.ParserError, lxml.etree.XMLSyntaxError):
        return " ".join(html.split())
    return " ".join(text.split()) or None


def looks_like_json(body: bytes, content_type: str | None) -> bool:
    if content_type and content_type.split(";")[0].strip().lower() in _JSON_TYPES:
        return True
    return body.lstrip()[:1] == b"{"


def parse_feed(body: bytes, *, url: str, content_type: str | None = None, now: datetime | None = None) -> ParsedFeed:
    """Parse a feed body fetched from ``url``. Raises :class:`FeedParseError` when nothing is readable.

    ``now`` is the poll's time: an entry dated after it keeps no date (see the module's docstring)."""
    body, content_type, notes = prepare(body, content_type)
    if looks_like_json(body, content_type):
        parsed = _parse_json_feed(body, url)
    else:
        refuse_html(body, url)
        body, dropped = strip_dtd(body)
        if dropped:
            notes.append(f"{dropped} entity declarations ignored (a feed's DTD is never expanded or fetched)")
        parsed = _parse_xml_feed(body, url, content_type)
    if now is not None:
        future = sum(1 for e in parsed.entries if e.published is not None and e.published > now)
        if future:
            entries = tuple(
                replace(e, published=None) if e.published is not None and e.published > now else e
                for e in parsed.entries
            )
            parsed = replace(parsed, entries=entries)
            notes.append(f"{future} entries dated after the poll time kept without a date")
    warning = "; ".join([*notes, *([parsed.warning] if parsed.warning else [])]) or None
    return replace(parsed, warning=warning)


def prepare(body: bytes, content_type: str | None) -> tuple[bytes, str | None, list[str]]:
    """The body in UTF-8 or another ASCII-compatible encoding without the control characters XML forbids,
    its content type (the charset adjusted if the body was transcoded) and notes on what was changed that a
    feed's owner would want to know. The DTD goes later (:func:`strip_dtd`): XML only."""
    notes: list[str] = []
    wide = _wide_encoding(body)
    if wide is not None:
        codec, bom = wide
        body = _XML_DECL_ENCODING.sub(rb"\1\2utf-8\2", body[bom:].decode(codec, "replace").encode("utf-8"), 1)
        mime = (content_type or "application/xml").split(";", 1)[0].strip()
        content_type = f"{mime}; charset=utf-8"
    iso2022 = b"2022" in body[:256] or "2022" in (content_type or "")
    body, removed = (_CONTROL_BYTES_BUT_ESC if iso2022 else _CONTROL_BYTES).subn(b"", body)
    if removed:
        notes.append(f"{removed} control characters removed")
    invalid = sum(1 for ref in _CHAR_REF.finditer(body) if not _allowed_char_ref(ref)) if b"&#" in body else 0
    if invalid:
        body = _CHAR_REF.sub(lambda ref: ref.group(0) if _allowed_char_ref(ref) else b"", body)
        notes.append(f"{invalid} references to no character removed")
    return body, content_type, notes


def _allowed_char_ref(ref: re.Match[bytes]) -> bool:
    """Whether a character reference names a character XML allows (feedparser's fallback parser crashes on
    a surrogate or a number past U+10FFFF)."""
    hex_digits, digits = ref.groups()
    number = hex_digits or digits
    if len(number) > 8:
        return False
    code = int(number, 16 if hex_digits else 10)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _wide_encoding(body: bytes) -> tuple[str, int] | None:
    """The UTF-16 or UTF-32 codec of ``body`` and its BOM's length, by the BOM or by where the NULs of an
    ASCII first character fall; None for an ASCII-compatible body."""
    for bom, codec in _WIDE_BOMS:
        if body.startswith(bom):
            return codec, len(bom)
    head = body[:4]
    if len(head) < 4:
        return None
    if head[:3] == b"\0\0\0":
        return "utf-32-be", 0
    if head[1:] == b"\0\0\0":
        return "utf-32-le", 0
    if head[0] == 0 and head[2] == 0:
        return "utf-16-be", 0
    if head[1] == 0 and head[3] == 0:
        return "utf-16-le", 0
    return None


def strip_dtd(body: bytes) -> tuple[bytes, int]:
    """``body`` without the markup declarations before its root element (the DOCTYPE with its internal
    subset, stray ``<!ENTITY``). An entity declared as a single character reference is kept by writing that
    reference in place of each use (``&nbsp;`` becomes ``&#160;``: never longer than a few bytes, so it cannot
    amplify). Returns the body and how many other entity declarations were dropped."""
    declarations, _ = _prolog(body)
    if not declarations:
        return body, 0
    kept: dict[bytes, bytes] = {}
    dropped = 0
    pieces: list[bytes] = []
    start = 0
    for begin, end in declarations:
        declaration = body[begin:end]
        safe = {m.group(1): m.group(3) for m in _CHAR_REF_ENTITY.finditer(declaration)}
        kept |= safe
        dropped += len(_ANY_ENTITY.findall(declaration)) - len(safe)
        pieces.append(body[start:begin])
        start = end
    rest = body[start:]
    if kept:
        rest = _ENTITY_REF.sub(lambda ref: kept.get(ref.group(1), ref.group(0)), rest)
    return b"".join(pieces) + rest, dropped


def _prolog(body: bytes) -> tuple[list[tuple[int, int]], int]:
    """The (start, end) of each markup declaration before the root element, and where the root (or whatever
    stands in its place) begins. XML declaration, processing instructions and comments are skipped."""
    declarations = []
    pos = 0
    while pos < len(body):
        pos = _skip_space(body, pos)
        if body.startswith(b"<?", pos):
            end = body.find(b"?>", pos + 2)
            pos = len(body) if end < 0 else end + 2
        elif body.startswith(b"<!--", pos):
            end = body.find(b"-->", pos + 4)
            pos = len(body) if end < 0 else end + 3
        elif body.startswith(b"<!", pos):
            end = _declaration_end(body, pos)
            declarations.append((pos, end))
            pos = end
        else:
            break
    return declarations, pos


def _skip_space(body: bytes, pos: int) -> int:
    match = _PROLOG_SPACE.match(body, pos)
    return match.end() if match else pos


def _declaration_end(body: bytes, pos: int) -> int:
    """Where the markup declaration at ``pos`` ends: after its ``>``, outside quotes and its ``[...]``."""
    depth = 0
    for token in _DECLARATION_TOKEN.finditer(body, pos + 2):
        mark = token.group(0)
        if mark == b"[":
            depth += 1
        elif mark == b"]":
            depth = max(0, depth - 1)
        elif mark == b">" and depth == 0:
            return token.end()
    return len(body)


def refuse_html(body: bytes, url: str) -> None:
    """Raise :class:`FeedParseError` if ``body`` is an HTML page (its DOCTYPE or its root element says so),
    naming the feed the page links to, if it does."""
    declarations, root = _prolog(body)
    html_doctype = any(_HTML_DOCTYPE.match(body, begin) for begin, _ in declarations)
    element = _FIRST_ELEMENT.match(body, root)
    if not html_doctype and (element is None or element.group(1).decode("ascii").lower() not in _HTML_ROOTS):
        return
    hint = ""
    link = _FEED_LINK.search(body, 0, 256 * 1024)
    href = _HREF.search(link.group(0)) if link else None
    if href:
        target = next(g for g in href.groups() if g is not None).decode("utf-8", "replace")
        try:
            hint = f"; the page names its feed: {canonical_url(target, base=url)}"
        except InvalidURL:
            hint = ""
    raise FeedParseError(f"feed: expected a feed, got an HTML page (not a feed{hint}) at {url}")


def _dedupe(entries: Iterable[FeedEntry]) -> tuple[FeedEntry, ...]:
    seen: dict[str, FeedEntry] = {}
    for entry in entries:
        seen.setdefault(entry.url, entry)
    return tuple(seen.values())


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, OSError, ValueError, TypeError):
        return None


def _parse_xml_feed(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    # No content-location: feedparser would resolve a non-URL GUID ("4127") against it. Links are resolved
    # below, against the feed's URL, after feedparser has applied any xml:base.
    headers = {"content-type": content_type} if content_type else None
    try:
        # A stream, never bytes: feedparser tries bytes as a file name first, and reads the file if it exists.
        parsed = feedparser.parse(
            io.BytesIO(body), response_headers=headers, resolve_relative_uris=True, sanitize_html=True
        )
    except Exception as exc:  # its own failure on one stranger's bytes is that feed's problem, not the run's
        raise FeedParseError(f"feed: unreadable, the feed parser failed ({type(exc).__name__}) at {url}") from exc
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS or Atom document found"
        raise FeedParseError(f"feed: not a feed ({reason}) at {url}")
    fmt = "atom" if version.startswith("atom") else "rss"
    entries = []
    skipped = 0
    for item in parsed.entries:
        link = item.get("link") or _first_alternate(item)
        guid = item.get("id")
        if item.get("guidislink") and not str(link).startswith(("http://", "https://")):
            link = None  # feedparser took the link from a GUID that is no URL: the GUID is only a hint
        if not link and guid and str(guid).startswith(("http://", "https://")):
            link = guid
        try:
            entry_url = canonical_url(link, base=url) if link else None
        except InvalidURL:
            entry_url = None
        if entry_url is None:
            skipped += 1
            continue
        summary = item.get("summary") or (item.get("content") or [{}])[0].get("value")
        entries.append(
            FeedEntry(
                url=entry_url,
                guid=clean_text(str(guid)) if guid else None,
                title=html_to_text(item.get("title")),
                summary=html_to_text(summary),
                author=clean_text(item.get("author")) or None,
                published=_struct_time(item.get("published_parsed") or _updated(item)),
            )
        )
    warnings = []
    damage = parsed.get("bozo_exception")
    if parsed.get("bozo") and damage is not None and not isinstance(damage, _HARMLESS):
        warnings.append(f"malformed feed, kept {len(_dedupe(entries))} entries ({damage})")
    if skipped:
        warnings.append(f"{skipped} entries without a usable link skipped")
    return ParsedFeed(
        format=fmt,
        title=html_to_text(parsed.feed.get("title")),
        entries=_dedupe(entries),
        warning="; ".join(warnings) or None,
    )


def _updated(item: Any) -> Any:
    # Asked only when present: else feedparser hands back the published time, with a DeprecationWarning.
    return item.get("updated_parsed") if "updated_parsed" in item else None


def _first_alternate(item: Any) -> str | None:
    for link in item.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def _json_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"feed: invalid JSON ({exc}) at {url}") from exc
    except RecursionError as exc:
        raise FeedParseError(f"feed: JSON nested too deeply at {url}") from exc
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise FeedParseError(f"feed: JSON without a JSON Feed version at {url}")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedParseError(f"feed: JSON Feed without an items list at {url}")
    base = doc.get("feed_url") if isinstance(doc.get("feed_url"), str) else url
    entries, skipped = [], 0
    for item in items:
        if not isinstance(item, dict):
            skipped += 1
            continue
        link = _string(item.get("url")) or _string(item.get("external_url"))
        guid = item.get("id")
        if not link and isinstance(guid, str) and guid.startswith(("http://", "https://")):
            link = guid
        try:
            entry_url = canonical_url(link, base=base) if link else None
        except InvalidURL:
            entry_url = None
        if entry_url is None:
            skipped += 1
            continue
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        names = (
            [str(a["name"]) for a in authors if isinstance(a, dict) and a.get("name")]
            if isinstance(authors, list)
            else []
        )
        summary = item.get("summary") or item.get("content_html") or item.get("content_text")
        entries.append(
            FeedEntry(
                url=entry_url,
                guid=clean_text(str(guid)) if guid is not None else None,
                title=html_to_text(item.get("title") if isinstance(item.get("title"), str) else None),
                summary=html_to_text(summary if isinstance(summary, str) else None),
                author=clean_text(", ".join(names)) or None,
                published=_json_time(item.get("date_published") or item.get("date_modified")),
            )
        )
    warning = f"{skipped} items without a usable link skipped" if skipped else None
    title = clean_text(doc.get("title")) if isinstance(doc.get("title"), str) else None
    return ParsedFeed(format="json", title=title, entries=_dedupe(entries), warning=warning)
