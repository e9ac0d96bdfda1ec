"""Render the article-extraction evaluation corpus: wire texts through site templates, with the truth of each page.

    .venv/bin/python benchmarks/extract_corpus.py [--check]

Inputs, all in ``benchmarks/corpus/extract``: ``sites.json`` (the outlets, their templates, traps and pages),
``templates/*.html`` (one Jinja template per kind of site) and ``texts/*.txt`` (the French, German, Spanish and
live-blog texts written for this corpus). English articles are reused from the dedupe corpus
(``benchmarks/corpus/dedupe/events``) and the Herat corpus (``wiredesk/corpus/herat/texts``).

Output: ``pages/<site>/<name>.html`` and ``pages/<site>/<name>.json``, the truth: the page's body (its article
paragraphs and subheads, or a live blog's entries in page order, without timestamps; no headline, byline,
captions, boxes or comments), title, authors (people only: "By AP" has none), published and updated instants
(UTC ISO; updated is null when the story was not updated; ``published_local`` is the publication in the site's
own offset, for day-level scoring), canonical URL, section (null when the page states
none), wire agency (null for staff copy), dateline place as printed, language, and what a feed entry would say.

Deterministic: no clock, no randomness; run it twice and the files are the same. ``--check`` renders in memory
and fails if a committed file differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup, escape

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "benchmarks" / "corpus" / "extract"
PAGES = CORPUS / "pages"
SOURCES = {
    "dedupe": ROOT / "benchmarks" / "corpus" / "dedupe" / "events",
    "herat": ROOT / "wiredesk" / "corpus" / "herat" / "texts",
    "extract": CORPUS / "texts",
}
AGENCY_FULL = {
    "AP": "Associated Press",
    "AFP": "Agence France-Presse",
    "Reuters": "Reuters",
    "dpa": "dpa",
    "EFE": "EFE",
}
AGENCY_SHORT = {"AP": "AP", "AFP": "AFP", "Reuters": "Reuters", "dpa": "dpa", "EFE": "EFE"}
AGENCY_IN_BYLINE = {"AP": "Associated Press", "AFP": "AFP", "Reuters": "Reuters", "dpa": "dpa", "EFE": "EFE"}
CONJUNCTION = {"en": "and", "fr": "et", "de": "und", "es": "y"}
PHOTOGRAPHERS = (
    "Michael Probst", "Jae C. Hong", "Rebecca Blackwell", "Ebrahim Noroozi", "Ariana Cubillos", "Marco Ugarte",
    "Ludovic Marin", "Jeff Pachoud", "Olivier Chassignole", "Boris Roessler", "Arne Dedert", "Frank Rumpenhorst",
    "Luis Robayo", "Ernesto Guzmán", "Joaquín Sarmiento", "Carlos Barria", "Brendan McDermid", "Kim Kyung-Hoon",
    "Darryl Dyck", "Noah Berger", "Gregorio Borgia", "Mark Schiefelbein", "Mohammad Ponir Hossain", "Ruth Fremson",
)  # fmt: skip
CAPTION_SCENES = {
    "en": (
        "A general view of {place}",
        "Pedestrians walk through central {place}",
        "Traffic moves through {place}",
        "A street scene in {place}",
    ),
    "fr": ("Vue générale de {place}", "Une rue du centre de {place}"),
    "de": ("Blick auf {place}", "Eine Straße in {place}"),
    "es": ("Vista general de {place}", "Una calle del centro de {place}"),
}
SITE_CITY = {
    "harbor-herald": "Harbor Point",
    "riverside-post": "Riverside",
    "courrier-rhodanien": "Lyon",
    "rhein-main-bote": "Frankfurt",
    "diario-del-pacifico": "Cali",
    "borealis-news": "Whitehorse",
}
PHOTO_CREDIT = {
    "harbor-herald": ("({agency} Photo/{ph})", "Photo: {ph}/The Harbor Herald"),
    "metro-ledger": ("Photo: {ph}/{agency}", "Photo: {ph}/The Metro Ledger"),
    "coastline-daily": ("({agency} Photo/{ph})", "Photo: {ph}/Coastline Daily"),
    "riverside-post": ("Photo: {ph}/{agency}", "Photo: {ph}/The Riverside Post"),
    "northern-courier": ("{ph}/{agency}", "{ph}/Northern Courier"),
    "capital-dispatch": ("{ph}/{agency} via Getty Images", "{ph} for The Capital Dispatch"),
    "evening-sentinel": ("{ph}/{agency}/Getty Images", "{ph}/The Evening Sentinel"),
    "prairie-gazette": ("{ph}, {agency}", "{ph}, Prairie Gazette"),
    "courrier-rhodanien": ("Photo : {ph} / {agency}", "Photo : {ph} / Le Courrier Rhodanien"),
    "rhein-main-bote": ("Foto: {ph}/{agency}", "Foto: {ph}"),
    "diario-del-pacifico": ("Foto: {agency}/{ph}", "Foto: {ph} / El Diario del Pacífico"),
    "granite-street": ("Photo: {ph}/{agency}", "Photo: {ph} for Granite Street Report"),
    "valley-tribune": ("Photo: {ph}/{agency}", "Photo: {ph}/Valley Tribune"),
    "borealis-news": ("Photo: {ph}/{agency} via Getty Images", "Photo: {ph}/Borealis News"),
}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
}  # fmt: skip
WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
}
AP_MONTHS = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]
_CREDIT_CUT = re.compile(r"\s*\((?:AP|AFP|Reuters|dpa|EFE)\)|\s+[—–-]\s|\.-")
_DATE_TAIL = re.compile(r",\s*(?:\d{1,2}\s+[a-zé]{3,5}\.?|[A-Z][a-z]{2,4}\.?\s+\d{1,2})$")


# -- texts -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    kind: str  # "p" or "h2"
    text: str


@dataclass(frozen=True)
class Entry:
    """One live-blog entry: local clock time, optional title, paragraphs."""

    clock: str
    title: str | None
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Text:
    ref: str
    name: str
    headline: str
    byline: str | None
    agency: str | None
    dateline: str | None
    language: str
    kind: str  # "article" or "liveblog"
    blocks: tuple[Block, ...]
    entries: tuple[Entry, ...]
    description: str | None


def _source_path(ref: str) -> tuple[Path, str]:
    source, _, rest = ref.partition(":")
    if source == "dedupe":
        event, _, file = rest.partition("/")
        return SOURCES["dedupe"] / event / f"{file}.txt", f"{event}-{file}"
    return SOURCES[source] / f"{rest}.txt", rest


def load_text(ref: str) -> Text:
    """Read a text in the wire-corpus format: ``key: value`` header, ``---``, blocks separated by blank lines
    (``## `` a subhead; in a live blog, ``[HH:MM]`` starts an entry, optionally ``[HH:MM] ## Title``)."""
    path, name = _source_path(ref)
    header, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    fields = {}
    for line in header.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    kind = fields.get("kind") or "article"
    blocks: list[Block] = []
    entries: list[Entry] = []
    for raw in body.split("\n\n"):
        block = " ".join(raw.split())
        if not block:
            continue
        stamp = re.match(r"^\[(\d\d:\d\d)\]\s*(.*)$", block) if kind == "liveblog" else None
        if stamp:
            clock, rest = stamp.groups()
            title = rest[3:].strip() if rest.startswith("## ") else None
            entries.append(Entry(clock, title, () if title else (rest,)))
        elif kind == "liveblog":
            last = entries[-1]
            entries[-1] = Entry(last.clock, last.title, (*last.paragraphs, block))
        elif block.startswith("## "):
            blocks.append(Block("h2", block[3:].strip()))
        else:
            blocks.append(Block("p", block))
    return Text(
        ref=ref,
        name=name,
        headline=fields["headline"],
        byline=fields.get("byline") or None,
        agency=fields.get("agency") or None,
        dateline=fields.get("dateline") or None,
        language=fields.get("language") or "en",
        kind=kind,
        blocks=tuple(blocks),
        entries=tuple(entries),
        description=fields.get("description") or None,
    )


def byline_names(byline: str | None) -> list[str]:
    """People named in a wire byline: ``"By Shoaib Rahimi with Claire Dufour in Kabul"`` -> both names."""
    if not byline:
        return []
    text = re.sub(r"^(By|Par|Von|Por)\s+", "", byline.strip())
    text = re.sub(r"\s+in\s+[A-Z][\w-]*$", "", text)
    parts = re.split(r",\s*|\s+(?:and|und|et|y|with)\s+", text)
    return [p.strip() for p in parts if p.strip()]


def printed_dateline(text: Text, first_paragraph: str) -> str | None:
    """The dateline place as the first paragraph prints it (``"Bologna (Italy)"``, ``"FRANKFURT"``), or None."""
    if not text.dateline:
        return None
    cut = _CREDIT_CUT.search(first_paragraph[:120])
    if not cut:
        return None
    place = _DATE_TAIL.sub("", first_paragraph[: cut.start()].strip())
    if not place or len(place.split()) > 5:
        raise ValueError(f"{text.ref}: cannot read the dateline from {first_paragraph[:80]!r}")
    return place


def first_sentence(paragraph: str) -> str:
    """The lede's first sentence without its dateline, for descriptions and deks."""
    cut = _CREDIT_CUT.search(paragraph[:120])
    if cut and cut.start() < 60:
        paragraph = paragraph[cut.end() :].lstrip(" —–-.")
    match = re.search(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý“«\"])", paragraph)
    sentence = paragraph[: match.start()] if match else paragraph
    if len(sentence) > 220:
        sentence = sentence[:220].rsplit(" ", 1)[0] + "…"
    return sentence[:1].upper() + sentence[1:]


# -- formatting ------------------------------------------------------------------------------------


def slugify(text: str, words: int = 9) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    tokens = re.findall(r"[a-z0-9]+", ascii_text.lower().replace("’", "").replace("'", ""))
    return "-".join(tokens[:words])


def _h12(dt: datetime) -> int:
    return dt.hour % 12 or 12


def _filters() -> dict[str, Any]:
    def iso(dt: datetime) -> str:
        return dt.isoformat()

    def isoutc(dt: datetime) -> str:
        return dt.astimezone(UTC).isoformat()

    def isoz(dt: datetime) -> str:
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def naive(dt: datetime) -> str:
        return dt.replace(tzinfo=None).isoformat()

    en = MONTHS["en"]
    return {
        "iso": iso,
        "isoutc": isoutc,
        "isoz": isoz,
        "naive": naive,
        "us_date": lambda dt: f"{en[dt.month - 1]} {dt.day}, {dt.year}",
        "ap_date": lambda dt: f"{AP_MONTHS[dt.month - 1]} {dt.day}, {dt.year}",
        "us_short": lambda dt: f"{AP_MONTHS[dt.month - 1]} {dt.day}, {dt.year}",
        "mon_d_y": lambda dt: f"{en[dt.month - 1][:3]} {dt.day}, {dt.year}",
        "weekday_en": lambda dt: WEEKDAYS["en"][dt.weekday()],
        "weekday_short": lambda dt: WEEKDAYS["en"][dt.weekday()][:3],
        "month_long": lambda dt: en[dt.month - 1],
        "ap_time": lambda dt: f"{_h12(dt)}:{dt:%M} {'a.m.' if dt.hour < 12 else 'p.m.'}",
        "wp_time": lambda dt: f"{_h12(dt)}:{dt:%M} {'am' if dt.hour < 12 else 'pm'}",
        "clock12": lambda dt: f"{_h12(dt)}:{dt:%M} {'AM' if dt.hour < 12 else 'PM'}",
        "tzabbr": lambda dt: dt.tzname(),
        "fr_weekday_date": lambda dt: f"{WEEKDAYS['fr'][dt.weekday()]} {dt.day} {MONTHS['fr'][dt.month - 1]} {dt.year}",
        "fr_short": lambda dt: f"{dt:%d/%m/%Y} à {dt:%H}h{dt:%M}",
        "de_short": lambda dt: f"{dt:%d.%m.%Y}, {dt:%H:%M} Uhr",
        "es_weekday_date": lambda dt: (
            f"{WEEKDAYS['es'][dt.weekday()].capitalize()}, {dt.day} de {MONTHS['es'][dt.month - 1]} de {dt.year}"
        ),
        "es_long": lambda dt: (
            f"{dt.day} de {MONTHS['es'][dt.month - 1]} de {dt.year} - {_h12(dt)}:{dt:%M} "
            f"{'a. m.' if dt.hour < 12 else 'p. m.'}"
        ),
        "slug": slugify,
    }


def _pick(seq: tuple[str, ...], key: str, salt: str = "") -> str:
    digest = hashlib.sha256((salt + key).encode()).digest()
    return seq[int.from_bytes(digest[:4], "big") % len(seq)]


def _number(key: str, low: int = 1_000_000, span: int = 9_000_000) -> int:
    return low + int.from_bytes(hashlib.sha256(key.encode()).digest()[:6], "big") % span


def _join(names: list[str], language: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {CONJUNCTION[language]} {names[-1]}"


def _caption(place: str, when: datetime, language: str, key: str) -> str:
    scene = _pick(CAPTION_SCENES[language], key).format(place=place)
    month = MONTHS[language][when.month - 1]
    if language == "fr":
        return f"{scene}, le {when.day} {month} {when.year}."
    if language == "de":
        return f"{scene} am {when.day}. {month} {when.year}."
    if language == "es":
        return f"{scene}, el {when.day} de {month} de {when.year}."
    return f"{scene} on {WEEKDAYS['en'][when.weekday()]}, {AP_MONTHS[when.month - 1]} {when.day}, {when.year}."


def _tags(place: str, section: str, site: dict[str, Any]) -> list[str]:
    """Topic tags: the place, and the section only where the site states its section in its metadata (the
    breadcrumbs-only and section-less sites must not leak it through their tag lists)."""
    city, _, region = place.partition(",")
    tags = [city.split(" (")[0].strip()] + ([region.strip()] if region.strip() else [])
    if {"meta", "json-ld"} & set(site["section_in"]):
        tags.append(section)
    return list(dict.fromkeys(tags))


def _with_links(blocks: list[Block], place: str, base: str) -> list[dict[str, Any]]:
    """Paragraphs as text and as HTML; the first mention of the dateline city after the lede links to its
    topic page, as newsrooms' CMSs do (templates that render ``html`` carry an inline link in the body)."""
    city = place.split(",")[0].split(" (")[0].strip()
    out, linked, n = [], False, 0
    for i, b in enumerate(blocks):
        n += b.kind == "p"
        html = escape(b.text)
        if not linked and i > 0 and b.kind == "p" and city in b.text:
            link = Markup('<a href="{}/topic/{}/">{}</a>').format(base, slugify(city), city)
            html = Markup(str(html).replace(str(escape(city)), str(link), 1))
            linked = True
        # n: the paragraph's ordinal among paragraphs (0 for a subhead), where templates slot their boxes
        out.append({"kind": b.kind, "text": b.text, "html": html, "n": n if b.kind == "p" else 0})
    return out


def _place(text: Text, site: dict[str, Any]) -> str:
    if not text.dateline:
        return SITE_CITY.get(site["slug"], site["name"])
    head, _, tail = text.dateline.partition(",")
    head = head.split("/")[0]
    head = " ".join(w.capitalize() if w.isupper() else w for w in head.split())
    return f"{head},{tail}" if tail else head


# -- bylines ---------------------------------------------------------------------------------------


def byline_display(style: str, names: list[str], text: Text, site: dict[str, Any]) -> str:
    """The byline as the site prints it."""
    lang, agency = site["language"], text.agency
    joined = _join(names, lang)
    if style == "wp":
        return names[0] if names and not agency else AGENCY_FULL.get(agency or "", site["name"])
    if style == "names_comma_agency":
        if names:
            return f"By {joined}, {AGENCY_IN_BYLINE[agency]}" if agency else f"By {joined}"
        return AGENCY_FULL[agency] if agency else site["name"]
    if style == "names_slash_agency":
        if names:
            return f"{joined} / {AGENCY_IN_BYLINE[agency]}" if agency else joined
        return AGENCY_FULL[agency] if agency else site["name"]
    if style == "upper_pipe_agency":
        upper = _join([n.upper() for n in names], lang)
        return f"By {upper} | {AGENCY_SHORT[agency]}" if agency else f"By {upper}"
    if style == "plain":
        return f"By {joined}" if names else ""
    if style == "ap_caps":
        upper = _join([n.upper() for n in names], lang)
        return f"By {upper} {AGENCY_FULL[agency]}" if agency else f"By {upper}"
    if style == "fr":
        if names:
            return f"Par {joined} ({AGENCY_SHORT[agency]})" if agency else f"Par {joined}"
        return f"Par {site['name']} avec {AGENCY_SHORT[agency]}" if agency else f"Par {site['name']}"
    if style == "de":
        if names:
            return f"Von {joined}, {AGENCY_SHORT[agency]}" if agency else f"Von {joined}"
        return AGENCY_SHORT[agency] if agency else "Redaktion"
    if style == "es":
        if names:
            return f"Por {joined}"
        return AGENCY_SHORT[agency] if agency else "Redacción"
    if style == "original":
        return text.byline or (AGENCY_SHORT[agency] if agency else "")
    raise ValueError(f"unknown byline style {style!r}")


def author_bio(name: str, section: str, site: dict[str, Any], agency: str | None, place: str) -> str:
    if site["language"] == "de":
        return f"{name} schreibt im Ressort {section} über Verkehr, Stadtentwicklung und den Römer."
    if agency:
        if name == AGENCY_FULL.get(agency):
            return "The Associated Press is an independent, not-for-profit news cooperative headquartered in New York."
        city = place.split(",")[0]
        return f"{name} is a {AGENCY_FULL[agency]} correspondent based in {city}, covering {section.lower()}."
    beat = f"{section.lower()} and county government"
    return f"{name} covers {beat} for {site['name']}. Story tips: newsroom@{site['domain']}"


# -- pages -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """A page before rendering: its text, times and URLs, enough to link related pages to each other."""

    site: dict[str, Any]
    spec: dict[str, Any]
    text: Text
    published: datetime
    updated: datetime | None
    url: str
    canonical: str
    slug: str
    page_id: int


def _local(value: str, tz: ZoneInfo) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=tz)


def _url_values(published: datetime, slug: str, page_id: int, section: str) -> dict[str, Any]:
    return {
        "yyyy": f"{published.year:04d}",
        "mm": f"{published.month:02d}",
        "dd": f"{published.day:02d}",
        "slug": slug,
        "id": page_id,
        "section_slug": slugify(section),
    }


def plan_site(site: dict[str, Any]) -> list[Planned]:
    tz = ZoneInfo(site["timezone"])
    base = f"https://{site['domain']}"
    planned = []
    for spec in site["pages"]:
        text = load_text(spec["text"])
        if text.language != site["language"]:
            raise ValueError(f"{spec['text']}: a {text.language} text on the {site['language']} site {site['slug']}")
        published = _local(spec["published"], tz)
        updated = _local(spec["updated"], tz) if spec.get("updated") else None
        if text.kind == "liveblog":
            updated = _local(f"{spec['published'][:10]} {text.entries[-1].clock}", tz)
        page_id = _number(f"{site['slug']}/{text.ref}")
        slug = slugify(text.headline)
        values = _url_values(published, slug, page_id, spec["section"])
        url = base + site["url"].format(**values)
        if spec.get("part", 1) > 1:
            url += f"{spec['part']}/"
        # "canonical": a pattern for sites whose canonical is another URL (AMP); null or absent: the page's own
        canonical = base + site["canonical"].format(**values) if site.get("canonical") else url
        planned.append(Planned(site, spec, text, published, updated, url, canonical, slug, page_id))
    return planned


def _related(me: Planned, siblings: list[Planned]) -> list[dict[str, str]]:
    index = siblings.index(me)
    others = siblings[index + 1 :] + siblings[:index]
    en = MONTHS["en"]
    return [
        {
            "title": o.text.headline,
            "url": o.canonical,
            "section": o.spec["section"],
            "date": f"{en[o.published.month - 1]} {o.published.day}, {o.published.year}",
        }
        for o in others
    ]


def _page_blocks(p: Planned) -> list[Block]:
    blocks = list(p.text.blocks)
    parts = p.spec.get("parts")
    if not parts:
        return blocks
    size = math.ceil(len(blocks) / parts)
    chunk = blocks[(p.spec["part"] - 1) * size : p.spec["part"] * size]
    if not chunk:
        raise ValueError(f"{p.text.ref}: part {p.spec['part']} of {parts} is empty")
    return chunk


def _entries(p: Planned) -> list[dict[str, Any]]:
    tz = ZoneInfo(p.site["timezone"])
    day = p.spec["published"][:10]
    shown = [
        {
            "id": f"{_number(p.text.ref + e.clock, 10_000, 90_000)}",
            "when": _local(f"{day} {e.clock}", tz),
            "title": e.title,
            "paragraphs": list(e.paragraphs),
        }
        for e in p.text.entries
    ]
    return sorted(shown, key=lambda e: e["when"], reverse=True)  # newest first, as live blogs show them


def _date(dt: datetime, form: str) -> str:
    if form == "utc":
        return dt.astimezone(UTC).isoformat()
    if form == "z":
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.isoformat()


def build_jsonld(p: Planned, ctx: dict[str, Any]) -> dict[str, Any] | None:
    opts = p.site["jsonld"]
    if not opts:
        return None
    a, base = ctx["a"], ctx["site"]["base"]
    names: list[str] = a["authors"]
    published = _date(p.published, opts["dates"])
    modified = _date(p.updated or p.published, opts["dates"])
    people = [{"@type": "Person", "name": n, "url": f"{base}/author/{slugify(n)}/"} for n in names]
    organisation = {"@type": "Organization", "name": a["meta_author"]}
    author: Any
    if opts["author"] == "objects":
        author = people or [organisation]
    elif opts["author"] == "object":
        author = (people[0] if len(people) == 1 else people) or organisation
    elif opts["author"] == "string":
        author = a["meta_author"]
    else:
        author = {"@id": f"{base}/#/schema/person/{a['wp_author_hash']}"}
    publisher = {
        "@type": "NewsMediaOrganization",
        "name": p.site["name"],
        "url": base + "/",
        "logo": {"@type": "ImageObject", "url": f"{base}/logo-600x60.png", "width": 600, "height": 60},
    }
    image = {"@type": "ImageObject", "url": a["image"]["src"], "width": 1200, "height": 800}
    section = {"string": p.spec["section"], "list": [p.spec["section"]], None: None}[opts.get("section")]
    if opts["type"] == "LiveBlogPosting":
        return {
            "@context": "https://schema.org",
            "@type": "LiveBlogPosting",
            "headline": a["headline"],
            "description": a["description"],
            "url": p.canonical,
            "mainEntityOfPage": p.canonical,
            "datePublished": published,
            "dateModified": modified,
            "coverageStartTime": published,
            "author": author,
            "publisher": publisher,
            "image": image,
            "about": {"@type": "Event", "name": a["headline"], "startDate": published},
            "liveBlogUpdate": [
                {
                    "@type": "BlogPosting",
                    "headline": e["title"] or e["paragraphs"][0][:90].rsplit(" ", 1)[0] + "…",
                    "datePublished": _date(e["when"], opts["dates"]),
                    "url": f"{p.canonical}#entry-{e['id']}",
                    "articleBody": " ".join(e["paragraphs"]),
                }
                for e in a["entries"]
            ],
        }
    article: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": opts["type"],
        "headline": a["headline"],
        "description": a["description"],
        "mainEntityOfPage": {"@type": "WebPage", "@id": p.canonical},
        "url": p.canonical,
        "image": image,
        "datePublished": published,
        "dateModified": modified,
        "author": author,
        "publisher": publisher,
        "isAccessibleForFree": True,
    }
    if section is not None:
        article["articleSection"] = section
    if not opts.get("graph"):
        return article
    article.pop("@context")
    article.update(
        {
            "@id": f"{p.canonical}#article",
            "isPartOf": {"@id": p.canonical},
            "publisher": {"@id": f"{base}/#organization"},
            "wordCount": a["word_count"],
            "commentCount": len(ctx["comments"]),
            "inLanguage": p.site["html_lang"],
            "potentialAction": [{"@type": "CommentAction", "name": "Comment", "target": [f"{p.canonical}#respond"]}],
        }
    )
    return {
        "@context": "https://schema.org",
        "@graph": [
            article,
            {
                "@type": "WebPage",
                "@id": p.canonical,
                "url": p.canonical,
                "name": f"{a['headline']} – {p.site['name']}",
                "isPartOf": {"@id": f"{base}/#website"},
                "datePublished": published,
                "dateModified": modified,
                "breadcrumb": {"@id": f"{p.canonical}#breadcrumb"},
                "inLanguage": p.site["html_lang"],
            },
            {
                "@type": "BreadcrumbList",
                "@id": f"{p.canonical}#breadcrumb",
                "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Home", "item": base + "/"},
                    {"@type": "ListItem", "position": 2, "name": a["headline"]},
                ],
            },
            {"@type": "WebSite", "@id": f"{base}/#website", "url": base + "/", "name": p.site["name"]},
            {"@type": "Organization", "@id": f"{base}/#organization", "name": p.site["name"], "url": base + "/"},
            {
                "@type": "Person",
                "@id": f"{base}/#/schema/person/{a['wp_author_hash']}",
                "name": a["wp_author"],
                "url": f"{base}/author/{a['wp_author_slug']}/",
            },
        ],
    }


def _next_data(p: Planned, ctx: dict[str, Any]) -> dict[str, Any]:
    a = ctx["a"]
    return {
        "props": {
            "pageProps": {
                "article": {
                    "id": str(p.page_id),
                    "slug": p.slug,
                    "headline": a["headline"],
                    "dek": a["dek"],
                    "section": {"name": a["section"], "slug": a["section_slug"]},
                    "byline": a["byline"],
                    "authors": [{"name": n, "slug": slugify(n)} for n in a["authors"]],
                    "publishedAt": _date(p.published, "z"),
                    "updatedAt": _date(p.updated, "z") if p.updated else None,
                    "image": {"src": a["image"]["src"], "caption": a["image"]["caption"]},
                    "body": [
                        {"type": "subhead" if b["kind"] == "h2" else "paragraph", "text": b["text"]}
                        for b in a["paragraphs"]
                    ],
                },
                "__N_SSP": True,
            }
        },
        "page": "/news/[section]/[slug]",
        "query": {"section": a["section_slug"], "slug": p.slug},
        "buildId": "bN7q2xVw1kQpZ4tR8sY3e",
        "isFallback": False,
        "gssp": True,
        "scriptLoader": [],
    }


def _script_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def context_of(p: Planned, siblings: list[Planned]) -> dict[str, Any]:
    site, spec, text = p.site, p.spec, p.text
    lang = site["language"]
    base = f"https://{site['domain']}"
    style = site["byline_style"]
    names = spec["authors"] if "authors" in spec else byline_names(text.byline)
    if style == "wp" and text.agency:
        names = []  # WordPress shows one author: the agency's user account, not the reporters
    byline = spec.get("byline") or byline_display(style, names, text, site)
    blocks = _page_blocks(p)
    entries = _entries(p) if text.kind == "liveblog" else []
    first_para = next((b.text for b in text.blocks if b.kind == "p"), None) or entries[-1]["paragraphs"][0]
    place = _place(text, site)
    related = _related(p, siblings)
    agency = text.agency
    photographer = _pick(PHOTOGRAPHERS, text.ref, "ph")
    credit_agency, credit_staff = PHOTO_CREDIT[site["slug"]]
    credit = (credit_agency if agency else credit_staff).format(ph=photographer, agency=AGENCY_SHORT.get(agency or ""))
    photographer2 = _pick(PHOTOGRAPHERS, text.ref, "ph2")
    credit2 = (credit_agency if agency else credit_staff).format(
        ph=photographer2, agency=AGENCY_SHORT.get(agency or "")
    )
    wp_author = byline_display("wp", names, text, site)
    meta_author = ", ".join(names) if names else AGENCY_FULL.get(agency or "", site["name"])
    body_words = sum(len(b.text.split()) for b in text.blocks) or sum(
        len(" ".join(e.paragraphs).split()) for e in text.entries
    )
    description = text.description or first_sentence(first_para)
    staff_bio = bool(names) and not agency and lang == "de"
    a = {
        "headline": text.headline,
        "description": description,
        "dek": description,
        "byline": byline,
        "authors": names,
        "names_display": _join(names, lang),
        "meta_author": meta_author,
        "agency": agency,
        "agency_name": AGENCY_FULL.get(agency or ""),
        "section": spec["section"],
        "section_slug": slugify(spec["section"]),
        "tags": _tags(place, spec["section"], site),
        "paragraphs": _with_links(blocks, place, base),
        "entries": entries,
        "word_count": body_words,
        "reading_minutes": max(1, math.ceil(body_words / 230)),
        "image": {
            "src": f"https://cdn.{site['domain'].removeprefix('www.')}/images/{p.published:%Y/%m}/{p.slug[:40]}.jpg",
            "caption": _caption(place, p.published, lang, text.ref),
            "credit": credit,
            "caption2": _caption(place, p.published, lang, text.ref + "/2"),
            "credit2": credit2,
        },
        "read_more": spec.get("read_more"),
        "read_more_link": related[0],
        "ap_copyright": spec.get("ap_copyright", False),
        "wp_author": wp_author,
        "wp_author_slug": slugify(wp_author),
        "wp_author_hash": hashlib.md5(wp_author.encode()).hexdigest(),
        "author_bio": author_bio(names[0] if names else wp_author, spec["section"], site, agency, place)
        if (lang != "de" or staff_bio)
        else None,
        "author_slug": slugify(names[0]) if names else "",
        "bios": [
            {"name": n, "slug": slugify(n), "text": author_bio(n, spec["section"], site, agency, place)} for n in names
        ],
        "copyright": f"Copyright {p.published.year} {AGENCY_FULL[agency]}. All rights reserved." if agency else "",
    }
    part, parts = spec.get("part", 1), spec.get("parts", 1)
    first_url = p.url if part == 1 else p.url[: -len(f"{part}/")]
    page_urls = [first_url if n == 1 else f"{first_url}{n}/" for n in range(1, parts + 1)]
    comments = [
        {
            "id": _number(f"{p.page_id}/{i}", 1000, 9000),
            "author": c["author"],
            "text": c["text"],
            "when": datetime.fromtimestamp(p.published.timestamp() + 2220 * (i + 1) + 17 * i, p.published.tzinfo),
            "hash": hashlib.md5(c["author"].encode()).hexdigest(),
        }
        for i, c in enumerate(spec.get("comments", []))
    ]
    ctx: dict[str, Any] = {
        "site": {**site, "base": base},
        "page": {
            "id": p.page_id,
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, p.canonical)),
            "url": p.url,
            "canonical": p.canonical,
            "og_url": site["og_url"].format(**_url_values(p.published, p.slug, p.page_id, spec["section"]))
            if site.get("og_url")
            else p.canonical,
            "part": part,
            "parts": parts,
            "prev_url": page_urls[part - 2] if part > 1 else None,
            "next_url": page_urls[part] if part < parts else None,
            "page_links": [{"number": n, "url": u, "current": n == part} for n, u in enumerate(page_urls, 1)],
        },
        "a": a,
        "related": related,
        "comments": comments,
        "pub": p.published,
        "upd": p.updated,
    }
    jsonld = build_jsonld(p, ctx)
    ctx["jsonld"] = _script_json(jsonld) if jsonld else ""
    ctx["next_data"] = _script_json(_next_data(p, ctx))
    return ctx


def truth_of(p: Planned, ctx: dict[str, Any]) -> dict[str, Any]:
    a = ctx["a"]
    if p.text.kind == "liveblog":
        body = [t for e in a["entries"] for t in ([e["title"]] if e["title"] else []) + e["paragraphs"]]
    else:
        body = [b["text"] for b in a["paragraphs"]]
    first = a["paragraphs"][0]["text"] if a["paragraphs"] else ""
    on_first_page = p.spec.get("part", 1) == 1
    feed = None
    if p.site.get("feed"):
        feed = {
            "title": p.text.headline,
            "published": p.published.astimezone(UTC).isoformat(),
            "author": a["meta_author"],
        }
    return {
        "site": p.site["slug"],
        "site_name": p.site["name"],
        "template": p.site["template"].removesuffix(".html"),
        "text": p.text.ref,
        "url": p.url,
        "language": p.site["language"],
        "title": p.text.headline,
        "body": "\n\n".join(body),
        "authors": a["authors"],
        "published": p.published.astimezone(UTC).isoformat(),
        "published_local": p.published.isoformat(),
        "updated": p.updated.astimezone(UTC).isoformat() if p.updated else None,
        "canonical_url": p.canonical,
        "section": p.spec["section"] if p.site["section_in"] else None,
        "agency": p.text.agency,
        "dateline": printed_dateline(p.text, first) if on_first_page and p.text.kind == "article" else None,
        "feed": feed,
    }


def render_all() -> dict[Path, str]:
    """Every output file (path -> content), rendered in memory."""
    manifest = json.loads((CORPUS / "sites.json").read_text(encoding="utf-8"))
    out: dict[Path, str] = {}
    for site in manifest["sites"]:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(CORPUS / "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        env.filters.update(_filters())
        template = env.get_template(site["template"])
        planned = plan_site(site)
        for p in planned:
            ctx = context_of(p, planned)
            name = p.text.name if p.spec.get("part", 1) == 1 else f"{p.text.name}-p{p.spec['part']}"
            folder = PAGES / site["slug"]
            out[folder / f"{name}.html"] = template.render(**ctx)
            out[folder / f"{name}.json"] = json.dumps(truth_of(p, ctx), ensure_ascii=False, indent=2) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed pages differ from a fresh render")
    args = parser.parse_args(argv)
    files = render_all()
    if args.check:
        stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        extra = {p for p in PAGES.rglob("*") if p.is_file()} - set(files) if PAGES.exists() else set()
        for path in sorted(stale) + sorted(extra):
            print(f"stale: {path.relative_to(ROOT)}")
        return 1 if stale or extra else 0
    if PAGES.exists():
        for old in PAGES.rglob("*"):
            if old.is_file() and old not in files:
                old.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    sites = {p.parent.name for p in files}
    print(f"{len(files) // 2} pages from {len(sites)} sites written to {PAGES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
