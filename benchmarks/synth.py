"""Synthetic wire corpora: articles, their variants, their pages and their feeds, from 1,000 to 1,000,000 articles.

    .venv/bin/python benchmarks/synth.py --articles N (--out DIR | --count-only) [--seed 7] [--duplicate-rate 0.3]
                                         [--feeds 20] [--variants republish,trim,update,blend,correction]
                                         [--per-day 20000] [--workers 1] [--html]

writes ``DIR/articles.jsonl`` (one record per line, story by story), ``DIR/feeds.json`` and ``DIR/manifest.json``
(the parameters, counts per variant, the measured rate and speed, the lexicon's fingerprint); ``--html`` also
renders every article's page into ``DIR/pages/<feed>/<id>.html``; ``--count-only`` generates and counts without
writing (the generator's own speed). ``--workers`` builds stories in a process pool: the same output.

**Text.** The vocabulary and the sentence shapes come from the English wire texts already in the repository (the
Herat corpus, the dedupe corpus, the English texts of the extraction corpus): their ~2,400 sentences and 129 headlines
become ~1,600 distinct *skeletons* whose function words ("the", "said", "on", ...) and punctuation stay, while
every other word is a slot. Filling a skeleton keeps a content word with probability 0.4 and otherwise draws a word
of the same suffix class ("-ing", "-ed", "-tion", plural, ...) from the corpus; numbers take one of 64 others of
the same shape; names and places are mapped, consistently within an article, to one of the story's six recurring
entities, another corpus name or one of 4,000 recombined from two (``Rhein`` + ``dahar``); acronyms to acronyms,
first names to first names; agency credits follow the article's agency. An article is a dateline and a lede
(``KABUL, Afghanistan (AP) — ...``, ``FRANKFURT, Sept 12 (Reuters) - ...``), then paragraphs of one to three
sentences, about a third of them quotes, until it reaches its drawn length (300 to 1,200 words, mode 550, mean
about 690). The result reads like news put through a thesaurus, which is what extraction, shingling and dedupe
see of it; unrelated articles share almost no 5-word shingles (mean Jaccard under one in a thousand).

**Stories.** Articles come in stories: one agency's original copy, sometimes a second agency's copy of the same
event (another cluster of the same story), and *variants* of them: ``republish`` (another outlet, another
headline, the dateline credit dropped or kept, quotes straightened or not, an agency tagline), ``trim`` (the
first paragraphs), ``update`` (a write-thru: new top paragraphs, a few paragraphs rewritten or added),
``blend`` (an outlet's mix of both agencies' copy: needs a second agency's copy, so its weight applies only to
those stories) and ``correction`` (one figure changed and a correction note). ``duplicate_rate`` is the share of
articles that are variants (every record but the originals); the number of variants per story is heavy-tailed
(some stories are carried by dozens of outlets) and steered so the running count stays within 20 articles of the
target. Publication times: a story starts where the previous one's share of ``per_day`` ends; variants follow
within hours (republications 0.2-8 h, trims 0.5-10 h, updates 1-12 h, corrections 2-20 h, blends 1-12 h after
the later copy).

**Streaming and determinism.** :func:`generate` yields records story by story (or, with ``ordered=True``, in
publication order through a heap that holds about a day's articles); nothing else is kept. A story is built from
its own random generators seeded by ``(seed, story number)``, so the same seed gives the same records (with the
same repository texts, ``lexicon().digest``, and numpy's PCG64 stream), and any story can be rebuilt alone
(:class:`SynthServer` renders pages that way, on demand). Pages and feeds are rendered with the Herat corpus's own
renderer and its eight outlet templates (``wiredesk/corpus/herat/templates``: navigation, share buttons, related
links, newsletter boxes, a WordPress comment list and its "Leave a Reply" form), whose pages wiredesk reads back
exactly.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import itertools
import json
import math
import os
import random
import re
import sys
import threading
import time
from bisect import bisect_right
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
import numpy as np

from wiredesk.corpus.model import HERAT, Comment, Corpus, Outlet, Page, Paragraph, WireText
from wiredesk.corpus.render import Resource, render_feed
from wiredesk.corpus.render import render_page as render_herat_page

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    ROOT / "wiredesk" / "corpus" / "herat" / "texts",
    ROOT / "benchmarks" / "corpus" / "dedupe",
    ROOT / "benchmarks" / "corpus" / "extract" / "texts",
)
COMMENT_SOURCES = (
    ROOT / "wiredesk" / "corpus" / "herat" / "manifest.json",
    ROOT / "benchmarks" / "corpus" / "extract" / "sites.json",
)
TEMPLATES = HERAT / "templates"
TEMPLATE_NAMES = tuple(sorted(p.name for p in TEMPLATES.glob("*.html")))
FEED_FORMATS = ("rss", "atom", "json")
FEED_WARTS = ("tracking", "relative_links", "missing_dates", "html_description", "guid_not_url")
VARIANTS = ("republish", "trim", "update", "blend", "correction")
DEFAULT_WEIGHTS: Mapping[str, float] = {"republish": 0.5, "trim": 0.15, "update": 0.15, "blend": 0.1, "correction": 0.1}
AGENCIES = ("AP", "AFP", "Reuters", "dpa")
AGENCY_WEIGHTS = (0.4, 0.25, 0.3, 0.05)
AGENCY_NAMES = {"AP": "The Associated Press", "AFP": "Agence France-Presse", "Reuters": "Reuters", "dpa": "dpa"}
AGENCY_TAIL = {
    "AP": (
        "Associated Press writers contributed to this report.",
        "Copyright {year} The Associated Press. All rights reserved.",
    ),
    "Reuters": ("(Reporting by {name}; Editing by {name2})", "Our Standards: The Thomson Reuters Trust Principles."),
    "AFP": ("bur/{initials}", "© Agence France-Presse"),
    "dpa": ("dpa {initials} xx", "© dpa-infocom GmbH"),
}
START = datetime(2024, 3, 4, 6, 0, tzinfo=UTC)
KEEP = 0.4  # the share of a skeleton's content words kept as they are
SLACK = 20  # how far (in articles) the running number of variants may stray from the target
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")  # fmt: skip
REUTERS_MONTHS = ("Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OUTLET_NOUNS = ("Times", "Herald", "Courier", "Gazette", "Post", "Chronicle", "Observer", "Tribune", "Ledger",
                "Sentinel", "Dispatch", "Review", "Journal", "Record", "Star", "Examiner", "Bulletin", "Register",
                "Monitor", "Daily", "Press", "Standard", "Mirror", "Beacon", "Telegraph")  # fmt: skip
# Function words and reporting verbs stay as the skeleton has them: they carry the sentence's shape.
STOPWORDS = frozenset(
    """a about above across after again against ago ahead all almost along already also although always am among an
    and another any are around as at away back be because been before being below between both but by can could did
    do does down during each either else even ever every few for from further had has have having he her here hers
    him his how however i if in including into is it its itself just last least less like many may me might more
    most much must my near nearly neither never next no nor not now of off on once one only onto or other others our
    out over own per rather same says said say saying several she should since so some still such than that the their
    them then there these they this those though three through throughout thus to told too two under until up upon
    us very via was we were what when where whether which while who whom whose why will with within without would
    yet you your added according asked called told announced week weeks day days year years month months percent
    time times first second third new officials official people government""".split()  # noqa: SIM905 - reads as text
)
# Capitalised words that are titles and institutions, not names: kept, so "President X" stays a president.
KEEP_CAPS = frozenset(
    """Mr Mrs Ms Dr President Prime Minister Ministry Department Secretary Gov Governor Sen Senator Rep Chief General
    Gen Interior Foreign Defence Defense Finance Court Council Party Union Bank Central National Federal Reserve
    Police Army Government Parliament Senate House Supreme City Province State Republic Company Group Airport
    University Agency Office Commission Committee Street Avenue River North South East West Northern Southern
    Eastern Western New Saint Mount Lake Port Health Organization United Nations International European Economic
    Agriculture Labor Labour Justice Transport Energy Security Emergency Service Services Authority Board Institute
    The A An I In On At As But And For It He She They We This That These Those When While After Before If""".split()  # noqa: SIM905
)
# Suffix classes: a content word is replaced by another word of its class.
_SUFFIXES = (
    ("ing", "ing"), ("ed", "ed"), ("ly", "ly"), ("tions", "tions"), ("tion", "tion"), ("sion", "tion"),
    ("ments", "ments"), ("ment", "ment"), ("ness", "ness"), ("ity", "ity"), ("ies", "plural"), ("ers", "agents"),
    ("ors", "agents"), ("er", "er"), ("or", "er"), ("ous", "adj"), ("ive", "adj"), ("ful", "adj"), ("able", "adj"),
    ("ible", "adj"), ("ical", "adj"), ("ic", "adj"), ("al", "adj"), ("ss", "other"), ("us", "other"),
    ("s", "plural"),
)  # fmt: skip
_TOKEN = re.compile(r"^(\W*?)(\w(?:[\w’'.\-]*\w)?)((?:[’']s)?\W*)$")
_CREDIT = re.compile(r"^(.{2,80}?)\s*(?:\((?:AP|AFP|Reuters|dpa|EFE)\)\s*)?[—–-]\s+(?=[A-Z“\"])")
_SENTENCE_END = re.compile(r"(?<=[.!?”\"])\s+(?=[A-Z“\"(])")
_DATELINE = re.compile(r"^.{1,80}?\((?:AP|AFP|Reuters|dpa)\) [—-] ")  # as Writer.dateline prints it
_FIGURE = re.compile(r"(?<![\w.,:])\d(?:[\d,.]*\d)?(?![\w])")
_YEAR = re.compile(r"(?:19|20)\d\d")

# slot kinds
_CONTENT, _PROPER, _NUMBER, _AGENCY, _MONTH, _DAY, _FIRST = range(7)
# what a capitalised word maps to, per article
_TO_NAME, _TO_ACRONYM, _TO_FIRST, _TO_AGENCY = range(4)
NUMBER_VARIANTS = 64  # other numbers of the same shape per number in the corpus
INVENTED = 4000  # names recombined from two corpus names
ACRONYMS = 500


# -- the lexicon -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Skeleton:
    """A sentence shape: ``fmt`` is its literal text with a ``%s`` per slot, ``table`` a numpy array with one
    column per slot: the original word, the start and scale of the pool the slot draws from and the chance of
    keeping the original (indexes into the lexicon's vocabulary), and the slot's capitalised-word id (-1 if none:
    names, acronyms, first names and agency credits are mapped per article). ``words``: its length in words."""

    fmt: str
    table: Any = field(compare=False, repr=False)
    words: int
    rows: tuple[tuple[float, float, float, float, int], ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Lexicon:
    """Skeletons by role and the vocabulary they draw from (``vocabulary``, a numpy object array: content-word
    pools, number variants, months, days, names, acronyms, first names, then every original word)."""

    ledes: tuple[Skeleton, ...]
    quotes: tuple[Skeleton, ...]
    body: tuple[Skeleton, ...]
    headlines: tuple[Skeleton, ...]
    vocabulary: Any = field(repr=False)
    capitals: Any = field(repr=False)  # per capitalised-word id: what it maps to (_TO_NAME, _TO_ACRONYM, ...)
    capital_groups: tuple[Any, ...] = field(default=(), repr=False)  # ids of acronyms, first names, credits
    names: tuple[int, int] = (0, 0)  # (start, size) in the vocabulary: corpus names, then invented ones
    acronyms: tuple[int, int] = (0, 0)
    firsts: tuple[int, int] = (0, 0)
    agencies: dict[str, int] = field(default_factory=dict)  # vocabulary index of each agency's credit
    first_names: tuple[str, ...] = ()
    last_names: tuple[str, ...] = ()
    places: tuple[tuple[str, str], ...] = ()  # (city, region): region may be ""
    invented: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()
    commenters: tuple[str, ...] = ()
    sources: int = 0
    digest: str = ""

    @property
    def skeletons(self) -> int:
        return len(self.ledes) + len(self.quotes) + len(self.body)


def _source_files() -> list[Path]:
    files = [p for root in SOURCES for p in sorted(root.rglob("*.txt"))]
    return sorted(files, key=lambda p: str(p.relative_to(ROOT)))


def _read(path: Path) -> tuple[dict[str, str], list[str]]:
    header, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    fields = {}
    for line in header.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    paragraphs = []
    for raw in body.split("\n\n"):
        block = " ".join(raw.split())
        block = re.sub(r"^\[\d\d:\d\d\]\s*", "", block)  # live-blog entry stamps
        if block and not block.startswith("## ") and not block.startswith("(Corrects"):
            paragraphs.append(block)
    return fields, paragraphs


def _suffix_class(word: str) -> str:
    if "-" in word:
        return "hyphen"
    for suffix, name in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return name
    return "short" if len(word) <= 4 else "other"


def _split_tokens(sentence: str) -> list[tuple[str, str, str]]:
    """(leading punctuation, core word, trailing punctuation) per space-separated token; a core of "" is all
    punctuation."""
    out = []
    for token in sentence.split(" "):
        match = _TOKEN.match(token)
        out.append((match.group(1), match.group(2), match.group(3)) if match else (token, "", ""))
    return out


def _name_parts(bylines: Iterable[str]) -> tuple[list[str], list[str]]:
    firsts, lasts = [], []
    for byline in bylines:
        text = re.sub(r"^(By|Par|Von|Por)\s+", "", byline)
        text = re.sub(r"\s+in\s+\w+$", "", text)
        for name in re.split(r",\s*|\s+(?:and|with|und|et|y)\s+", text):
            parts = name.split()
            if len(parts) >= 2 and all(p[:1].isupper() for p in parts):
                firsts.append(parts[0])
                lasts.append(parts[-1])
    return firsts, lasts


def _renumber(number: str, rng: random.Random) -> str:
    """Another number of the same shape: every digit redrawn, no leading zero, years kept."""
    if len(number) == 4 and number[:2] in ("19", "20") and number.isdigit():
        return number
    out = []
    leading = True
    for ch in number:
        if "0" <= ch <= "9":
            out.append(str(rng.randint(1, 9) if leading else rng.randint(0, 9)))
            leading = False
        else:
            out.append(ch)
            leading = ch not in ",."
    return "".join(out)


class _Compiler:
    """Turns sentences into skeletons once the corpus-wide word classes are known, laying out the vocabulary."""

    def __init__(self, sentences: list[str], firsts: list[str]) -> None:
        capitalised: Counter[str] = Counter()
        content: dict[str, list[str]] = {}
        for sentence in sentences:
            for i, (_, core, _) in enumerate(_split_tokens(sentence)):
                if not core or any(c.isdigit() for c in core):
                    continue
                if core[0].isupper():
                    if i > 0:
                        capitalised[core] += 1
                elif core not in STOPWORDS and core.isascii():
                    content.setdefault(_suffix_class(core), []).append(core)
        excluded = KEEP_CAPS | set(AGENCY_NAMES) | set(MONTH_NAMES) | set(DAYS) | {"EFE"}
        self.propers = sorted(w for w in capitalised if w not in excluded and len(w) > 1)
        self.proper_set = set(self.propers)
        self.first_set = set(firsts)
        rng = random.Random("lexicon")  # the derived pools are part of the lexicon: fixed, not per seed
        alpha = [w for w in self.propers if w.isalpha() and len(w) >= 5 and not w.isupper()]
        heads = sorted({w[: len(w) // 2 + 1] for w in alpha})
        tails = sorted({w[len(w) // 2 :].lower() for w in alpha})
        self.invented = [rng.choice(heads) + rng.choice(tails) for _ in range(INVENTED)]
        self.vocabulary: list[str] = []
        self.pools: dict[str, tuple[int, int]] = {}
        for name in sorted(content):
            self.pools[name] = self._add(content[name])
        self.months = self._add(list(MONTH_NAMES))
        self.days = self._add(list(DAYS))
        self.names = self._add([w for w in self.propers if not w.isupper()] + self.invented)
        letters = "ABCDEFGHIJKLMNOPRSTUVW"
        self.acronyms = self._add(
            ["".join(rng.choice(letters) for _ in range(rng.randint(2, 4))) for _ in range(ACRONYMS)]
        )
        self.firsts = self._add(sorted(set(firsts)))
        self.agencies = {a: self._add([a])[0] for a in ("AP", "AFP", "Reuters", "dpa", "EFE")}
        self.numbers: dict[str, tuple[int, int]] = {}
        self.capital_ids: dict[str, int] = {}
        self.capital_kinds: list[int] = []
        self._index: dict[str, int] = {}
        self._rng = rng

    def _add(self, words: list[str]) -> tuple[int, int]:
        start = len(self.vocabulary)
        self.vocabulary += words
        return start, len(words)

    def _word(self, word: str) -> int:
        index = self._index.get(word)
        if index is None:
            index = self._index[word] = len(self.vocabulary)
            self.vocabulary.append(word)
        return index

    def _number_pool(self, number: str) -> tuple[int, int]:
        pool = self.numbers.get(number)
        if pool is None:
            pool = self.numbers[number] = self._add([_renumber(number, self._rng) for _ in range(NUMBER_VARIANTS)])
        return pool

    def _capital(self, word: str, kind: int) -> int:
        cid = self.capital_ids.get(word)
        if cid is None:
            cid = self.capital_ids[word] = len(self.capital_kinds)
            if kind == _AGENCY:
                target = _TO_AGENCY
            else:
                target = _TO_FIRST if kind == _FIRST else _TO_ACRONYM if word.isupper() else _TO_NAME
            self.capital_kinds.append(target)
        return cid

    def compile(self, sentence: str) -> Skeleton | None:
        tokens = _split_tokens(sentence)
        lits: list[str] = []
        rows: list[tuple[float, float, float, float, float]] = []
        pending = ""
        for i, (lead, core, trail) in enumerate(tokens):
            space = " " if i else ""
            kind = self._kind(core, initial=i == 0)
            if kind is None:
                pending += space + lead + core + trail
                continue
            lits.append(pending + space + lead)
            original = self._word(core)
            # columns: original, pool start, pool scale, chance to keep the original, capital id (or -1)
            if kind == _CONTENT:
                start, size = self.pools[_suffix_class(core)]
                rows.append((original, start, (size - 1e-6) / (1 - KEEP), KEEP, -1))
            elif kind in (_NUMBER, _MONTH, _DAY):
                start, size = {_NUMBER: self._number_pool(core), _MONTH: self.months, _DAY: self.days}[kind]
                rows.append((original, start, size - 1e-6, 0.0, -1))
            else:  # mapped per article: names, acronyms, first names, agency credits
                rows.append((original, original, 0.0, 1.0, self._capital(core, kind)))
            pending = trail
        lits.append(pending)
        if not rows:
            return None
        fmt = "%s".join(lit.replace("%", "%%") for lit in lits)
        table = np.ascontiguousarray(np.array(rows, dtype=np.float64).T)
        return Skeleton(fmt, table, len(tokens), tuple((a, b, c, d, int(e)) for a, b, c, d, e in rows))

    def _kind(self, core: str, initial: bool) -> int | None:
        if not core:
            return None
        if any(c.isdigit() for c in core):
            return _NUMBER
        if core in ("AP", "AFP", "Reuters", "dpa", "EFE"):
            return _AGENCY
        if core in MONTH_NAMES or core.rstrip(".") in ("Jan", "Feb", "Aug", "Sept", "Oct", "Nov", "Dec"):
            return _MONTH
        if core in DAYS:
            return _DAY
        if core[0].isupper():
            if core in self.first_set and not initial:
                return _FIRST
            if core in self.proper_set and (not initial or core.lower() not in STOPWORDS):
                return _PROPER
            return None
        if core in STOPWORDS or not core.isascii():
            return None
        return _CONTENT


def _comments() -> tuple[list[str], list[str]]:
    texts, authors = [], []
    herat = json.loads(COMMENT_SOURCES[0].read_text(encoding="utf-8"))
    for items in herat.get("comments", {}).values():
        texts += [c["text"] for c in items]
        authors += [c["author"] for c in items]
    sites = json.loads(COMMENT_SOURCES[1].read_text(encoding="utf-8"))
    for site in sites["sites"]:
        if site.get("language") != "en":
            continue
        for page in site["pages"]:
            texts += [c["text"] for c in page.get("comments", [])]
            authors += [c["author"] for c in page.get("comments", [])]
    return texts, authors


@cache
def lexicon() -> Lexicon:
    """The skeletons and word pools, built once per process from the repository's English wire texts."""
    digest = hashlib.sha256()
    ledes: list[str] = []
    others: list[str] = []
    headlines: list[str] = []
    bylines: list[str] = []
    places: list[tuple[str, str]] = []
    files = _source_files()
    for path in files:
        digest.update(path.read_bytes())
        fields, paragraphs = _read(path)
        if fields.get("language", "en") != "en" or not paragraphs:
            continue
        headlines.append(fields["headline"])
        if fields.get("byline"):
            bylines.append(fields["byline"])
        if fields.get("dateline"):
            city, _, region = fields["dateline"].partition(",")
            places.append((city.strip().split("/")[0], region.strip()))
        for n, paragraph in enumerate(paragraphs):
            if n == 0 and fields.get("kind") != "liveblog":
                match = _CREDIT.match(paragraph)
                if match:
                    paragraph = paragraph[match.end() :]
                first, *rest = _SENTENCE_END.split(paragraph)
                ledes.append(first)
                others += rest
            else:
                others += _SENTENCE_END.split(paragraph)
    firsts, lasts = _name_parts(bylines)
    sentences = [s for s in dict.fromkeys(ledes + others) if 5 <= len(s.split()) <= 70]
    compiler = _Compiler(sentences + headlines, firsts)

    def shapes(items: Iterable[str]) -> tuple[Skeleton, ...]:
        seen: dict[str, Skeleton] = {}
        for item in items:
            skeleton = compiler.compile(item)
            if skeleton is not None:  # same shape (templated reports differing in figures only): one skeleton
                seen.setdefault(skeleton.fmt, skeleton)
        return tuple(seen.values())

    lede_set = set(ledes)
    ledes_ = shapes(s for s in sentences if s in lede_set and len(s.split()) >= 12)
    quotes = shapes(s for s in sentences if s not in lede_set and ("“" in s or '"' in s))
    body = shapes(s for s in sentences if s not in lede_set and "“" not in s and '"' not in s)
    headlines_ = shapes(dict.fromkeys(headlines))
    comments, commenters = _comments()
    capitals = np.array(compiler.capital_kinds, dtype=np.int8)
    return Lexicon(
        ledes=ledes_,
        quotes=quotes,
        body=body,
        headlines=headlines_,
        vocabulary=np.array(compiler.vocabulary, dtype=object),  # after every compile() added its words
        capitals=capitals,
        capital_groups=tuple(np.flatnonzero(capitals == k) for k in (_TO_ACRONYM, _TO_FIRST, _TO_AGENCY)),
        names=compiler.names,
        acronyms=compiler.acronyms,
        firsts=compiler.firsts,
        agencies=compiler.agencies,
        first_names=tuple(sorted(set(firsts))),
        last_names=tuple(sorted(set(lasts))),
        places=tuple(sorted(set(places))),
        invented=tuple(compiler.invented),
        comments=tuple(comments),
        commenters=tuple(commenters),
        sources=len(files),
        digest=digest.hexdigest()[:16],
    )


# -- writing text --------------------------------------------------------------------------------------------

_local = threading.local()


def _generator(rng: random.Random) -> Any:
    """The thread's numpy generator, its PCG64 state set from ``rng`` (setting the state directly is a tenth of
    the cost of seeding a new generator, which runs numpy's SeedSequence)."""
    gen = getattr(_local, "generator", None)
    if gen is None:
        gen = _local.generator = np.random.Generator(np.random.PCG64(0))
    gen.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": rng.getrandbits(128), "inc": rng.getrandbits(128) | 1},
        "has_uint32": 0,
        "uinteger": 0,
    }
    return gen


class Writer:
    """Fills skeletons for one story, vectorised with numpy: all the slots of an article are drawn at once (a
    pure-Python loop over words would be most of the generator's time). Capitalised words map consistently
    within an article (``begin_article`` draws a new mapping): to one of the story's six recurring entities 30 %
    of the time, so two agencies' copies of one event name the same people and places, else to another corpus
    name or an invented one; acronyms to acronyms, first names to first names."""

    def __init__(self, rng: random.Random, lex: Lexicon) -> None:
        self.rng = rng
        self.random = rng.random
        self.gen = _generator(rng)
        self.lex = lex
        start, size = lex.names
        self.entities = start + np.floor(self.gen.random(6) * size)
        self.people = [f"{self._pick(lex.first_names)} {self._pick(lex.last_names)}" for _ in range(4)]
        self.agency = "AP"
        self._map: Any = None

    def begin_article(self, agency: str) -> None:
        self.agency = agency
        self._map = None

    def resume(self, agency: str, names: Any) -> None:
        """Write more for an article already begun (a variant of it): its agency, its names."""
        self.agency = agency
        self._map = names

    @property
    def names(self) -> Any:
        """The current article's mapping of capitalised words (for :meth:`resume`)."""
        return self._capitals()

    def _pick(self, seq: Sequence[str]) -> str:
        return seq[int(self.random() * len(seq))]

    def _capitals(self) -> Any:
        """This article's replacement (a vocabulary index) for every capitalised word of the corpus."""
        if self._map is None:
            lex = self.lex
            u = self.gen.random(len(lex.capitals))
            start, size = lex.names
            cmap = np.where(
                u < 0.3, self.entities[(u * 20).astype(np.intp) % 6], start + np.floor((u - 0.3) / 0.7 * size)
            )
            acronyms, firsts, agency_credits = lex.capital_groups
            cmap[acronyms] = lex.acronyms[0] + np.floor(u[acronyms] * lex.acronyms[1])
            cmap[firsts] = lex.firsts[0] + np.floor(u[firsts] * lex.firsts[1])
            cmap[agency_credits] = lex.agencies[self.agency]
            self._map = cmap
        return self._map

    def fill(self, skeletons: Sequence[Skeleton], fmt: str) -> str:
        """``fmt`` (the skeletons' formats joined, in order) with every slot filled."""
        if len(skeletons) == 1 and len(skeletons[0].rows) < 40:
            return self._fill_small(skeletons[0], fmt)
        table = skeletons[0].table if len(skeletons) == 1 else np.concatenate([s.table for s in skeletons], axis=1)
        r = self.gen.random(table.shape[1])
        keep = table[3]
        chosen = np.where(r < keep, table[0], table[1] + np.floor((r - keep) * table[2]))
        capital = table[4]
        chosen = np.where(capital >= 0, self._capitals()[np.maximum(capital, 0).astype(np.intp)], chosen)
        return fmt % tuple(self.lex.vocabulary[chosen.astype(np.intp)].tolist())

    def _fill_small(self, skeleton: Skeleton, fmt: str) -> str:
        """One short skeleton (a headline): numpy's fixed cost per call would be most of the work."""
        random_, vocabulary = self.random, self.lex.vocabulary
        capitals = None
        words = []
        for original, start, scale, keep, capital in skeleton.rows:
            if capital >= 0:
                if capitals is None:
                    capitals = self._capitals()
                index = capitals[capital]
            else:
                r = random_()
                index = original if r < keep else start + (r - keep) * scale
            words.append(vocabulary[int(index)])
        return fmt % tuple(words)

    def number(self, original: str) -> str:
        """Another number of the same shape (years stay)."""
        return _renumber(original, self.rng)

    def headline(self) -> str:
        skeleton = self._pick_skeleton(self.lex.headlines)
        text = self.fill([skeleton], skeleton.fmt)
        return text[:1].upper() + text[1:]

    def invented(self) -> str:
        return self._pick(self.lex.invented)

    def byline(self) -> str:
        names = self.people[: 2 if self.random() < 0.2 else 1]
        return "By " + " and ".join(names)

    @staticmethod
    def place_as_printed(place: tuple[str, str], agency: str) -> str:
        """The dateline's place as the agency prints it: ``KABUL, Afghanistan`` (AP), ``FRANKFURT`` (Reuters),
        ``Kabul`` (AFP, dpa)."""
        city, region = place
        if agency == "AP":
            return f"{city.upper()}, {region}" if region else city.upper()
        return city.upper() if agency == "Reuters" else city

    def dateline(self, place: tuple[str, str], agency: str, when: datetime) -> str:
        printed = self.place_as_printed(place, agency)
        if agency == "AP":
            return f"{printed} (AP) — "
        if agency == "Reuters":
            return f"{printed}, {REUTERS_MONTHS[when.month - 1]} {when.day} (Reuters) - "
        return f"{printed} ({agency}) - "

    def _pick_skeleton(self, seq: Sequence[Skeleton]) -> Skeleton:
        return seq[int(self.random() * len(seq))]

    def _shapes(self, count: int | None, words: int, quote_share: float) -> tuple[list[Skeleton], list[str]]:
        """Skeletons for ``count`` paragraphs (or as many as reach ``words``) and each paragraph's format: a quote
        (and a sentence after it, sometimes), or one to three sentences. Inlined: this loop runs for every
        paragraph of every article."""
        lex, random_ = self.lex, self.random
        quotes, body = lex.quotes, lex.body
        nq, nb = len(quotes), len(body)
        skeletons: list[Skeleton] = []
        fmts: list[str] = []
        total = 0
        while (total < words) if count is None else (len(fmts) < count):
            if random_() < quote_share:
                paragraph = [quotes[int(random_() * nq)]]
                if random_() < 0.4:
                    paragraph.append(body[int(random_() * nb)])
            else:
                r = random_()
                paragraph = [body[int(random_() * nb)] for _ in range(1 if r < 0.35 else 2 if r < 0.8 else 3)]
            skeletons += paragraph
            fmts.append(" ".join([s.fmt for s in paragraph]))
            total += sum([s.words for s in paragraph])
        return skeletons, fmts

    def paragraphs(self, count: int, quote_share: float = 0.3) -> list[str]:
        """``count`` body paragraphs."""
        skeletons, fmts = self._shapes(count, 0, quote_share)
        return self.fill(skeletons, "\n\n".join(fmts)).split("\n\n")

    def article(self, words: int, dateline: str) -> list[str]:
        """Paragraphs of about ``words`` words: the dateline and lede, then body and quote paragraphs."""
        lede = self._pick_skeleton(self.lex.ledes)
        skeletons, fmts = self._shapes(None, words - lede.words - dateline.count(" "), 0.3)
        fmt = dateline.replace("%", "%%") + lede.fmt + "\n\n" + "\n\n".join(fmts)
        return self.fill([lede, *skeletons], fmt).split("\n\n")

    def lede(self, dateline: str) -> str:
        lede = self._pick_skeleton(self.lex.ledes)
        return self.fill([lede], dateline.replace("%", "%%") + lede.fmt)


# -- feeds ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """One outlet and its feed: its template (a Herat outlet's), its format and the warts its feed carries."""

    slug: str
    name: str
    template: str
    format: str
    warts: frozenset[str]

    @property
    def path(self) -> str:
        return {"rss": f"/{self.slug}/rss.xml", "atom": f"/{self.slug}/atom.xml", "json": f"/{self.slug}/feed.json"}[
            self.format
        ]

    def outlet(self) -> Outlet:
        return Outlet(self.slug, self.name, self.template, self.format, self.path, self.warts)


def make_feeds(count: int, seed: int = 7) -> list[Feed]:
    """``count`` outlets with distinct names, templates and feed formats in turn, a few warts each."""
    rng = random.Random(f"feeds/{seed}")
    lex = lexicon()
    feeds, names = [], set()
    for i in range(count):
        while True:
            city = lex.places[int(rng.random() * len(lex.places))][0].title() if rng.random() < 0.5 else None
            place = city or rng.choice(lex.invented)
            name = f"The {place} {rng.choice(OUTLET_NOUNS)}"
            if name not in names:
                break
        names.add(name)
        slug = f"o{i:03d}-" + re.sub(r"[^a-z0-9]+", "-", name.lower().removeprefix("the ")).strip("-")
        warts = frozenset(w for w in FEED_WARTS if rng.random() < 0.3)
        feeds.append(Feed(slug, name, TEMPLATE_NAMES[i % len(TEMPLATE_NAMES)], FEED_FORMATS[i % 3], warts))
    return feeds


# -- records -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    """One synthetic article: what an outlet published, with its truth (story, cluster, variant, parent)."""

    id: str
    index: int
    story_id: str
    cluster_id: str
    parent_id: str | None
    variant: str  # original, republish, trim, update, blend, correction
    text: str  # paragraphs separated by blank lines
    title: str
    byline: str | None
    published: datetime
    updated: datetime | None
    agency: str  # "AP", or "AP,AFP" for a blend
    dateline: str | None
    outlet: str
    feed: str  # the feed's slug
    path: str  # the page's path on the outlet's site

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n\n")

    @property
    def words(self) -> int:
        return len(self.text.split())

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["published"] = self.published.isoformat()
        out["updated"] = self.updated.isoformat() if self.updated else None
        return out


@dataclass(frozen=True)
class Options:
    """What to generate. ``feeds``: how many outlets (or the outlets themselves); ``per_day``: articles per day,
    which spaces the stories' start times."""

    n_articles: int
    seed: int = 7
    duplicate_rate: float = 0.3
    variants: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    feeds: tuple[Feed, ...] = ()
    second_share: float = 0.25
    per_day: float = 20_000.0
    start: datetime = START
    min_words: int = 300
    max_words: int = 1200
    mode_words: int = 550

    def __post_init__(self) -> None:
        if not 0 <= self.duplicate_rate < 1:
            raise ValueError(f"duplicate_rate must be in [0, 1), not {self.duplicate_rate}")
        unknown = set(self.variants) - set(VARIANTS)
        if unknown or not any(w > 0 for w in self.variants.values()):
            raise ValueError(f"variants: weights for some of {', '.join(VARIANTS)} (unknown: {sorted(unknown)})")
        if not self.feeds:
            raise ValueError("at least one feed")
        if not 40 <= self.min_words <= self.mode_words <= self.max_words:
            raise ValueError("words: 40 <= min_words <= mode_words <= max_words")


@dataclass(frozen=True)
class StoryPlan:
    """A story's place in the corpus: its number, its first record's index, its originals (1 or 2 agencies'
    copies), its variants and its start time (seconds since the epoch)."""

    number: int
    first_index: int
    originals: int
    duplicates: int
    start: float

    @property
    def size(self) -> int:
        return self.originals + self.duplicates


def options(
    n_articles: int,
    seed: int = 7,
    duplicate_rate: float = 0.3,
    variants: Mapping[str, float] | Sequence[str] | None = None,
    feeds: int | Sequence[Feed] = 20,
    **extra: Any,
) -> Options:
    """:class:`Options` from the convenient forms: ``variants`` as weights or names (equal weights), ``feeds`` as a
    count (:func:`make_feeds`) or the feeds themselves."""
    if variants is None:
        weights: Mapping[str, float] = dict(DEFAULT_WEIGHTS)
    elif isinstance(variants, Mapping):
        weights = dict(variants)
    else:
        weights = {name: DEFAULT_WEIGHTS.get(name, 0.1) for name in variants}
    feed_list = tuple(make_feeds(feeds, seed) if isinstance(feeds, int) else feeds)
    return Options(n_articles, seed, duplicate_rate, weights, feed_list, **extra)


def plan(opts: Options) -> Iterator[StoryPlan]:
    """The stories, in order: how many originals and variants each has. Cheap (no text): the same sequence for
    the same options, which :class:`SynthServer` keeps to rebuild any story on demand."""
    rng = random.Random(f"plan/{opts.seed}")
    d = opts.duplicate_rate
    only_blend = not any(w > 0 for name, w in opts.variants.items() if name != "blend")
    emitted = duplicates = 0
    clock = opts.start.timestamp()
    seconds_per_article = 86_400 / opts.per_day
    number = 0
    while emitted < opts.n_articles:
        two = d > 0 and (only_blend or rng.random() < opts.second_share)
        originals = min(2 if two else 1, opts.n_articles - emitted)
        k = 0
        if d > 0:
            mean = originals * d / (1 - d) * rng.expovariate(1.0)  # heavy tail: a few stories go everywhere
            p = mean / (1 + mean)
            k = int(math.log(1 - rng.random()) / math.log(p)) if p > 0 else 0
            error = duplicates - d * (emitted + originals)  # steer: keep |dups - d * total| within SLACK
            low = math.ceil((-SLACK - error) / (1 - d))
            high = math.floor((SLACK - error) / (1 - d))
            k = max(0, min(max(k, low), high))
            if only_blend and originals < 2:
                k = 0
        k = min(k, opts.n_articles - emitted - originals)
        yield StoryPlan(number, emitted, originals, k, clock)
        emitted += originals + k
        duplicates += k
        clock += (originals + k) * seconds_per_article
        number += 1


@dataclass
class _Copy:
    paragraphs: list[str]
    title: str
    agency: str
    byline: str | None
    dateline: str | None
    published: float
    cluster: str
    feed: int
    variant: str = "original"
    parent: int | None = None  # position of the parent among the story's copies
    updated: float | None = None
    names: Any = None  # the writer's mapping of capitalised words for this copy (variants reuse it)


def _slug(text: str, words: int = 8) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower().encode("ascii", "ignore").decode())[:words]) or "story"


def _tail(agency: str, writer: Writer, year: int) -> str:
    options_ = AGENCY_TAIL.get(agency)
    if not options_:
        return ""
    text = options_[int(writer.random() * len(options_))]
    people = writer.people
    initials = "".join(p[0].lower() for p in people[0].split()) + "/" + "".join(p[0].lower() for p in people[1].split())
    return text.format(year=year, name=people[0], name2=people[1], initials=initials)


class _StoryBuilder:
    def __init__(self, opts: Options, story: StoryPlan) -> None:
        self.opts = opts
        self.story = story
        self.rng = random.Random(f"story/{opts.seed}/{story.number}")
        self.writer = Writer(self.rng, lexicon())
        self.place = self.writer.lex.places[int(self.rng.random() * len(self.writer.lex.places))]
        if self.rng.random() < 0.5:
            self.place = (self.writer.invented(), self.place[1])
        self.copies: list[_Copy] = []

    def _agency(self, exclude: str | None = None) -> str:
        while True:
            agency = self.rng.choices(AGENCIES, AGENCY_WEIGHTS)[0]
            if agency != exclude:
                return agency

    def _feed(self, exclude: int | None = None) -> int:
        n = len(self.opts.feeds)
        feed = int(self.rng.random() * n)
        if exclude is not None and n > 1 and feed == exclude:
            feed = (feed + 1 + int(self.rng.random() * (n - 1))) % n
        return feed

    def _words(self) -> int:
        o = self.opts
        return int(self.rng.triangular(o.min_words, o.max_words, o.mode_words))

    def original(self, agency: str, when: float, cluster: str) -> _Copy:
        w = self.writer
        w.begin_article(agency)
        dateline = w.dateline(self.place, agency, datetime.fromtimestamp(when, UTC))
        paragraphs = w.article(self._words(), dateline)
        title = w.headline()
        place = w.place_as_printed(self.place, agency)
        return _Copy(paragraphs, title, agency, w.byline(), place, when, cluster, self._feed(), names=w.names)

    def build(self) -> list[_Copy]:
        rng, story = self.rng, self.story
        sid = self.story_id
        start = story.start + rng.random() * 1800
        first = self._agency()
        self.copies.append(self.original(first, start, f"{sid}-a"))
        if story.originals > 1:
            second = self._agency(exclude=first)
            self.copies.append(self.original(second, start + rng.random() * 7200, f"{sid}-b"))
        weights = dict(self.opts.variants)
        if story.originals < 2:
            weights.pop("blend", None)
        names = [n for n, w in weights.items() if w > 0]
        cumulative = list(itertools.accumulate(weights[n] for n in names))
        for _ in range(story.duplicates):
            kind = rng.choices(names, cum_weights=cumulative)[0]
            getattr(self, f"_{kind}")()
        return self.copies

    @property
    def story_id(self) -> str:
        return f"s{self.opts.seed}-st{self.story.number:07d}"

    def _source(self) -> int:
        """Which original a variant derives from: the first agency's copy, or the second's a third of the time."""
        return 1 if self.story.originals > 1 and self.rng.random() < 1 / 3 else 0

    def _derive(self, parent: int, variant: str, paragraphs: list[str], title: str, delay: tuple[float, float],
                updated: bool = False) -> None:  # fmt: skip
        src = self.copies[parent]
        when = src.published + 3600 * self.rng.uniform(*delay)
        self.copies.append(
            _Copy(paragraphs, title, src.agency, src.byline, src.dateline, when, src.cluster,
                  self._feed(exclude=src.feed), variant, parent, when if updated else None)
        )  # fmt: skip

    def _republish(self) -> None:
        parent = self._source()
        src, w, rng = self.copies[parent], self.writer, self.rng
        paragraphs = list(src.paragraphs)
        if rng.random() < 0.5:
            paragraphs[0] = paragraphs[0].replace(f" ({src.agency})", "", 1)
        if rng.random() < 0.5:
            paragraphs = [p.replace("“", '"').replace("”", '"').replace("’", "'") for p in paragraphs]
        if rng.random() < 0.6:
            year = datetime.fromtimestamp(src.published, UTC).year
            paragraphs.append(_tail(src.agency, w, year))
        w.resume(src.agency, src.names)
        self._derive(parent, "republish", [p for p in paragraphs if p], w.headline(), (0.2, 8))

    def _trim(self) -> None:
        parent = self._source()
        src = self.copies[parent]
        n = len(src.paragraphs)
        keep = self.rng.randint(min(4, n), max(min(4, n), int(n * 0.6)))
        paragraphs = src.paragraphs[:keep]
        while sum(p.count(" ") + 1 for p in paragraphs) < 80 and keep < n:
            keep += 1
            paragraphs = src.paragraphs[:keep]
        self._derive(parent, "trim", paragraphs, src.title, (0.5, 10))

    def _update(self) -> None:
        parent = self._source()
        src, w, rng = self.copies[parent], self.writer, self.rng
        w.resume(src.agency, src.names)
        when = datetime.fromtimestamp(src.published + 3600, UTC)
        top = [w.lede(w.dateline(self.place, src.agency, when)), *w.paragraphs(rng.randint(1, 3))]
        rest = [_DATELINE.sub("", src.paragraphs[0], count=1), *src.paragraphs[1:]]  # the old lede, undated
        for i, paragraph in zip(rng.sample(range(1, len(rest)), min(len(rest) - 1, rng.randint(1, 2))),
                                w.paragraphs(2, quote_share=0.0), strict=False):  # fmt: skip
            rest[i] = paragraph
        rest += w.paragraphs(rng.randint(1, 3))
        title = ("UPDATE: " if rng.random() < 0.5 else "") + w.headline()
        self._derive(parent, "update", top + rest, title, (1, 12), updated=True)

    def _blend(self) -> None:
        a, b, rng = self.copies[0], self.copies[1], self.rng
        w = self.writer
        na, nb = rng.randint(2, 4), rng.randint(2, 4)
        paragraphs = a.paragraphs[:na] + b.paragraphs[1 : 1 + nb] + a.paragraphs[na + 2 : na + 2 + rng.randint(1, 2)]
        w.resume(a.agency, a.names)
        when = max(a.published, b.published) + 3600 * rng.uniform(1, 12)
        self.copies.append(
            _Copy(paragraphs, w.headline(), f"{a.agency},{b.agency}", None, a.dateline, when,
                  f"{self.story_id}-blend", self._feed(), "blend", 0)
        )  # fmt: skip

    def _correction(self) -> None:
        parent = self._source()
        src, w, rng = self.copies[parent], self.writer, self.rng
        paragraphs = list(src.paragraphs)
        figures = [(i, m) for i, p in enumerate(paragraphs) if i > 0 for m in _FIGURE.finditer(p)]
        figures = [(i, m) for i, m in figures if not _YEAR.fullmatch(m.group())]
        if figures:
            i, match = figures[int(rng.random() * len(figures))]
            old = new = match.group()
            for _ in range(5):
                new = w.number(old)
                if new != old:
                    break
            paragraphs[i] = paragraphs[i][: match.start()] + new + paragraphs[i][match.end() :]
            note = f"(Corrects figure in paragraph {i + 1} to {new} from {old})"
        else:
            i = rng.randrange(1, len(paragraphs)) if len(paragraphs) > 1 else 0
            paragraphs[i] = w.paragraphs(1, quote_share=0.0)[0]
            note = f"(Corrects paragraph {i + 1} to clarify the sequence of events)"
        self._derive(parent, "correction", [*paragraphs, note], src.title, (2, 20), updated=True)


def build_story(opts: Options, story: StoryPlan) -> list[Article]:
    """The records of one story, in publication order, indexed from ``story.first_index``."""
    builder = _StoryBuilder(opts, story)
    copies = builder.build()
    order = sorted(range(len(copies)), key=lambda i: (copies[i].published, i))
    index_of = {position: story.first_index + n for n, position in enumerate(order)}
    seed = opts.seed
    out = []
    for position in order:
        c = copies[position]
        index = index_of[position]
        feed = opts.feeds[c.feed]
        published = datetime.fromtimestamp(int(c.published), UTC)
        updated = datetime.fromtimestamp(int(c.updated), UTC) if c.updated is not None else None
        article_id = f"s{seed}-{index:07d}"
        out.append(
            Article(
                id=article_id,
                index=index,
                story_id=builder.story_id,
                cluster_id=c.cluster,
                parent_id=f"s{seed}-{index_of[c.parent]:07d}" if c.parent is not None else None,
                variant=c.variant,
                text="\n\n".join(c.paragraphs),
                title=c.title,
                byline=c.byline,
                published=published,
                updated=updated,
                agency=c.agency,
                dateline=c.dateline,
                outlet=feed.name,
                feed=feed.slug,
                path=f"/{feed.slug}/{published:%Y/%m/%d}/{_slug(c.title)}-{index:07d}/",
            )
        )
    return out


def generate(
    n_articles: int,
    seed: int = 7,
    duplicate_rate: float = 0.3,
    variants: Mapping[str, float] | Sequence[str] | None = None,
    feeds: int | Sequence[Feed] = 20,
    *,
    ordered: bool = False,
    **extra: Any,
) -> Iterator[Article]:
    """Yield ``n_articles`` synthetic articles, story by story (``ordered=True``: in publication order). Keyword
    options as :class:`Options` (``second_share``, ``per_day``, ``start``, ``min_words``, ...)."""
    opts = options(n_articles, seed, duplicate_rate, variants, feeds, **extra)
    records = (record for story in plan(opts) for record in build_story(opts, story))
    return _in_time_order(records, plan(opts)) if ordered else records


def _in_time_order(records: Iterator[Article], stories: Iterator[StoryPlan]) -> Iterator[Article]:
    """Records reordered by publication time: those published before the next story starts are released."""
    heap: list[tuple[datetime, int, Article]] = []
    next_story = next(stories, None)
    for record in records:
        while next_story is not None and next_story.first_index <= record.index:
            limit = datetime.fromtimestamp(next_story.start, UTC)
            while heap and heap[0][0] < limit:
                yield heapq.heappop(heap)[2]
            next_story = next(stories, None)
        heapq.heappush(heap, (record.published, record.index, record))
    while heap:
        yield heapq.heappop(heap)[2]


# -- pages ---------------------------------------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )


def _feed_of(record: Article, feeds: Sequence[Feed] | None) -> Feed:
    for feed in feeds or ():
        if feed.slug == record.feed:
            return feed
    index = int(record.feed[1:4]) if re.match(r"o\d{3}-", record.feed) else 0
    return Feed(record.feed, record.outlet, TEMPLATE_NAMES[index % len(TEMPLATE_NAMES)], FEED_FORMATS[index % 3],
                frozenset())  # fmt: skip


def _wire_text(record: Article, paragraphs: Sequence[str] | None = None) -> WireText:
    return WireText(
        slug=record.id,
        headline=record.title,
        byline=record.byline,
        agency=record.agency.split(",")[0],
        dateline=record.dateline,
        description=None,
        paragraphs=tuple(Paragraph("p", p) for p in (record.paragraphs if paragraphs is None else paragraphs)),
    )


def _page(record: Article) -> Page:
    # variant "republish" for every page: the Herat renderer cuts "trim" pages to five paragraphs itself
    return Page(record.path, record.feed, record.id, "republish", record.title, record.published, record.updated,
                record.cluster_id, False)  # fmt: skip


def _comments_for(record: Article) -> tuple[Comment, ...]:
    lex = lexicon()
    rng = random.Random(f"comments/{record.id}")
    count = rng.choice((0, 0, 1, 2, 3, 4))
    out = []
    for n in range(count):
        when = record.published + timedelta(minutes=37 * (n + 1) + rng.randrange(30))
        clock = f"{when.hour % 12 or 12}:{when:%M} {'am' if when.hour < 12 else 'pm'}"
        human = f"{when:%B} {when.day}, {when:%Y} at {clock}"
        out.append(Comment(rng.choice(lex.commenters), human, rng.choice(lex.comments)))
    return tuple(out)


def render_page(
    record: Article,
    template: str | None = None,
    base_url: str | None = None,
    related: Sequence[Article] = (),
    feeds: Sequence[Feed] | None = None,
) -> str:
    """The article's page as its outlet shows it (``template``: one of :data:`TEMPLATE_NAMES`, default the
    outlet's), with links absolute against ``base_url`` (default ``https://<feed slug>.example``), up to three
    ``related`` articles of the same outlet in the "more stories" box, and 0-4 reader comments where the
    template shows them."""
    feed = _feed_of(record, feeds)
    base = base_url if base_url is not None else f"https://{feed.slug}.example"
    outlet = Outlet(feed.slug, feed.name, template or feed.template, feed.format, feed.path, feed.warts)
    others = [r for r in related if r.id != record.id][:3]
    pages = (_page(record), *(_page(r) for r in others))
    texts = {record.id: _wire_text(record), **{r.id: _wire_text(r, r.paragraphs[:1]) for r in others}}
    comments = _comments_for(record)
    corpus = Corpus((outlet,), pages, texts, {record.path: comments} if comments else {}, TEMPLATES)
    return render_herat_page(corpus, pages[0], base, _environment()).body.decode("utf-8")


def render_feed_document(feed: Feed, records: Sequence[Article], base_url: str) -> Resource:
    """A feed (in the feed's format, with its warts) listing ``records``: title, link, summary, date, author."""
    pages = tuple(_page(r) for r in records)
    texts = {r.id: _wire_text(r, r.paragraphs[:1]) for r in records}
    corpus = Corpus((feed.outlet(),), pages, texts, {}, TEMPLATES)
    return render_feed(corpus, feed.outlet(), base_url)


# -- the server ----------------------------------------------------------------------------------------------


class SynthServer:
    """A synthetic corpus served on a free loopback port: every feed (RSS, Atom or JSON Feed, each listing its
    ``feed_items`` latest articles; all by default) and every page, rendered when asked for. It keeps the story
    plan and each article's feed, path and time (a few hundred bytes each), not the texts: a page request
    rebuilds its story (a small LRU cache holds the latest). ``prerender=True`` renders every page up front
    instead (about 12 KB a page), so that serving costs next to nothing while a benchmark measures its client.
    No conditional GET. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        n_articles: int,
        seed: int = 7,
        duplicate_rate: float = 0.3,
        variants: Mapping[str, float] | Sequence[str] | None = None,
        feeds: int | Sequence[Feed] = 20,
        *,
        feed_items: int | None = None,
        prerender: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        **extra: Any,
    ) -> None:
        self.options = options(n_articles, seed, duplicate_rate, variants, feeds, **extra)
        self.stories = list(plan(self.options))
        self._firsts = [s.first_index for s in self.stories]
        self._by_path: dict[str, int] = {}
        self._by_feed: dict[str, list[tuple[datetime, int]]] = {f.slug: [] for f in self.options.feeds}
        for story in self.stories:
            for record in build_story(self.options, story):
                self._by_path[record.path] = record.index
                self._by_feed[record.feed].append((record.published, record.index))
        for items in self._by_feed.values():
            items.sort(reverse=True)
            if feed_items is not None:
                del items[feed_items:]
        self._feeds = {f.path: f for f in self.options.feeds}
        self._feed_cache: dict[str, Resource] = {}
        self._pages: dict[str, Resource] = {}
        self._stories: OrderedDict[int, list[Article]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.url = f"http://{host}:{self._httpd.server_address[1]}"
        if prerender:
            for path in self._by_path:
                self._pages[path] = self._render(path)
            for path in self._feeds:
                self.resource(path)

    def feed_urls(self) -> list[tuple[str, str]]:
        """(name, URL) of every feed."""
        return [(f.name, self.url + f.path) for f in self.options.feeds]

    def article(self, index: int) -> Article:
        """The record at ``index`` (its story rebuilt, or from the cache)."""
        story = self.stories[bisect_right(self._firsts, index) - 1]
        with self._lock:
            records = self._stories.get(story.number)
            if records is not None:
                self._stories.move_to_end(story.number)
        if records is None:
            records = build_story(self.options, story)
            with self._lock:
                self._stories[story.number] = records
                while len(self._stories) > 256:
                    self._stories.popitem(last=False)
        return records[index - story.first_index]

    def articles(self) -> Iterator[Article]:
        """Every record, story by story (rebuilt: the truth the pipeline's results are compared with)."""
        for story in self.stories:
            yield from build_story(self.options, story)

    def resource(self, path: str) -> Resource | None:
        """What ``path`` serves: a feed, a page, or None."""
        feed = self._feeds.get(path)
        if feed is not None:
            with self._lock:
                cached = self._feed_cache.get(path)
            if cached is None:
                records = [self.article(i) for _, i in self._by_feed[feed.slug]]
                cached = render_feed_document(feed, records, self.url)
                with self._lock:
                    self._feed_cache[path] = cached
            return cached
        page = self._pages.get(path)
        if page is not None:
            return page
        return self._render(path) if path in self._by_path else None

    def _render(self, path: str) -> Resource:
        index = self._by_path[path]
        record = self.article(index)
        newest = self._by_feed[record.feed][:4]  # the outlet's "more stories" box: its latest
        related = [self.article(i) for _, i in newest if i != index][:3]
        html = render_page(record, base_url=self.url, related=related, feeds=self.options.feeds)
        return Resource(html.encode("utf-8"), "text/html; charset=utf-8", record.updated or record.published)

    def start(self) -> SynthServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="synth-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SynthServer:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "wiredesk-synth/1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0].split("#", 1)[0]
                resource = server.resource(path)
                if resource is None:
                    self.send_error(404)
                    return
                with server._lock:
                    server.hits[path] += 1
                self.send_response(200)
                self.send_header("Content-Type", resource.content_type)
                self.send_header("Content-Length", str(len(resource.body)))
                self.end_headers()
                self.wfile.write(resource.body)

        return Handler


# -- the command line ----------------------------------------------------------------------------------------


def _chunk(opts: Options, stories: list[StoryPlan], serialize: bool) -> tuple[str, Counter[str], int]:
    """A batch of stories as JSON lines (or nothing, when only counting), its variant counts and its words."""
    lines, kinds, words = [], Counter[str](), 0
    for story in stories:
        for record in build_story(opts, story):
            if serialize:
                lines.append(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            kinds[record.variant] += 1
            words += record.words
    return "".join(lines), kinds, words


def _batches(stories: Iterator[StoryPlan], size: int) -> Iterator[list[StoryPlan]]:
    while batch := list(itertools.islice(stories, size)):
        yield batch


def _chunks(opts: Options, workers: int, serialize: bool) -> Iterator[tuple[str, Counter[str], int]]:
    """Every batch's result, in order; with ``workers`` > 1 built in a process pool, at most ``4 * workers``
    batches in flight (the output is the same: each story has its own generator)."""
    if workers <= 1:
        for batch in _batches(plan(opts), 500):
            yield _chunk(opts, batch, serialize)
        return
    from concurrent.futures import Future, ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        pending: list[Future[tuple[str, Counter[str], int]]] = []
        for batch in _batches(plan(opts), 500):
            pending.append(pool.submit(_chunk, opts, batch, serialize))
            if len(pending) >= 4 * workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def write_corpus(opts: Options, out: Path | None, workers: int = 1, html: bool = False) -> dict[str, Any]:
    """Write the corpus into ``out`` as JSONL (and its pages with ``html``); returns the manifest. ``out`` None:
    generate and count only (what the generator alone costs)."""
    kinds: Counter[str] = Counter()
    words = 0
    started = time.perf_counter()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    with (out / "articles.jsonl").open("w", encoding="utf-8") if out else open(os.devnull, "w") as sink:
        for text, k, w in _chunks(opts, workers, serialize=out is not None):
            sink.write(text)
            kinds += k
            words += w
    elapsed = time.perf_counter() - started
    if html and out is not None:
        for record in (r for story in plan(opts) for r in build_story(opts, story)):
            page = out / "pages" / record.feed / f"{record.id}.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(render_page(record, feeds=opts.feeds), encoding="utf-8")
    total = sum(kinds.values())
    manifest = {
        "articles": total,
        "seed": opts.seed,
        "duplicate_rate": opts.duplicate_rate,
        "measured_duplicate_rate": (total - kinds["original"]) / total if total else 0.0,
        "variants": dict(opts.variants),
        "counts": dict(sorted(kinds.items())),
        "mean_words": words / total if total else 0.0,
        "feeds": len(opts.feeds),
        "per_day": opts.per_day,
        "start": opts.start.isoformat(),
        "workers": workers,
        "seconds": elapsed,
        "articles_per_second": total / elapsed if elapsed else 0.0,
        "lexicon": {"digest": lexicon().digest, "sources": lexicon().sources, "skeletons": lexicon().skeletons},
    }
    if out is None:
        return manifest
    (out / "feeds.json").write_text(
        json.dumps([{**f.__dict__, "warts": sorted(f.warts), "path": f.path} for f in opts.feeds], indent=2),
        encoding="utf-8",
    )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, required=True, help="how many articles")
    parser.add_argument("--out", type=Path, help="the folder to write into")
    parser.add_argument("--count-only", action="store_true", help="generate and count, write nothing (timing)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duplicate-rate", type=float, default=0.3, help="share of articles that are variants")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="variant types, comma-separated")
    parser.add_argument("--feeds", type=int, default=20, help="how many outlets (feeds)")
    parser.add_argument("--per-day", type=float, default=20_000, help="articles per day (spaces the stories)")
    parser.add_argument("--workers", type=int, default=1, help="processes building stories (same output)")
    parser.add_argument("--html", action="store_true", help="also render every page into DIR/pages/")
    args = parser.parse_args(argv)
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    try:
        opts = options(args.articles, args.seed, args.duplicate_rate, names, args.feeds, per_day=args.per_day)
    except ValueError as exc:
        parser.error(str(exc))
    if args.out is None and not args.count_only:
        parser.error("--out DIR (or --count-only)")
    lexicon()  # built before the clock starts (and before the pool forks)
    manifest = write_corpus(opts, None if args.count_only else args.out, workers=args.workers, html=args.html)
    print(
        f"{manifest['articles']:,} articles ({manifest['measured_duplicate_rate']:.3f} variants; "
        f"{', '.join(f'{k} {v:,}' for k, v in manifest['counts'].items())}), {manifest['mean_words']:.0f} words "
        f"on average, in {manifest['seconds']:.1f} s ({manifest['articles_per_second']:,.0f} articles/s, "
        f"{args.workers} worker{'s' if args.workers > 1 else ''}) -> {args.out or 'nowhere (--count-only)'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
