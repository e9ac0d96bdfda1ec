"""Article-extraction evaluation: wiredesk's extractor against plain trafilatura, side by side in one run.

    .venv/bin/python benchmarks/extract_eval.py [--repeat N] [--json PATH] [--page SITE/NAME]

The labelled corpus (``benchmarks/corpus/extract/pages``, rendered by ``benchmarks/extract_corpus.py``) holds news
pages we wrote ourselves across many site templates: WordPress with comments, a news CMS with related and
newsletter boxes, AMP, a live blog, a paginated article, dates only in JSON-LD, French, German and Spanish
sites, and more. Each page has its true body and metadata next to it (``<name>.json``).

Systems:
  wiredesk     ``ingest.extract.extract_article(html, url=..., entry=<the feed entry, when the truth has one>,
               site=<the site's boilerplate model>)``. Fields the extractor does not offer yet (authors,
               updated, section, dateline, agency) are read with ``getattr`` and fall back to what it has
               (``byline`` split on "," / " and ", ``agencies[0]``), so they are scored as soon as it gains
               them. An ``ExtractError`` is an empty body and a failure.
               Site models are learned leave-one-out, as production has them: there the store holds the
               site's earlier pages and the model is learned from those, never from the page being read. Up
               front (untimed), every page is extracted once with no model, keeping its raw block keys
               (``ExtractedArticle.block_keys``); then each page gets ``ingest.boilerplate.learn(host, <the
               block keys of the site's OTHER pages>)`` with the ``ExtractConfig`` thresholds. The timed cost
               is ``extract_article(..., site=model)`` itself. The untimed pass with no model is reported too
               ("without site models"): what the generic filters do alone, as on a site's first pages.
  trafilatura  ``trafilatura.bare_extraction(html, url=url, with_metadata=True)``, every other option at its
               default (comments included, no precision or recall bias). The body is ``.text`` followed by
               ``.comments``: exactly what ``trafilatura.extract(html, url=url)`` prints. The metadata: ``title``,
               ``author`` (split on ";"), ``date`` (a day, so it never matches an instant; see published_day),
               ``language``, ``url`` and the first of ``categories``. It has no updated time, agency or dateline:
               those count as right only where the truth is null.

Measures:
  body         word 4-grams over the whole text (lowercased tokens, punctuation stripped; unigrams when a text
               has under 4 tokens), multiset precision, recall and F1 per page, averaged over pages (macro), as
               the article-extraction benchmarks do; and the number of pages under F1 0.9.
  metadata     accuracy per field: title (case- and whitespace-insensitive, quotes and dashes unified), authors
               (set of normalised names), published (same instant within 60 s, missing is wrong), published_day
               (same calendar day where the page is published, a day-level view of the same field), updated (same
               instant, or both null), language (ISO 639-1), canonical_url (scheme and host case, fragment and
               trailing slash ignored), section (case-insensitive), agency (AP, AFP, Reuters, dpa, EFE under any
               spelling), dateline (case and punctuation ignored: "Bologna (Italy)" is "Bologna, Italy").
  cost         seconds per page of the one call each system makes for body and metadata together (HTML parse
               included), best of ``--repeat`` runs over the corpus, and the ratio ours / trafilatura's.

Prints the body table, metadata accuracy per field, body F1 per template and the worst pages of each system;
writes the figures, with per-page scores, as JSON. ``--page`` prints one page's truth next to both outputs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import trafilatura

from ingest.boilerplate import SiteModel, learn
from ingest.config import ExtractConfig
from ingest.errors import ExtractError
from ingest.extract import extract_article
from ingest.records import FeedEntry

PAGES = Path(__file__).resolve().parent / "corpus" / "extract" / "pages"
RESULTS = Path(__file__).resolve().parent / "results"
FIELDS = (
    "title",
    "authors",
    "published",
    "published_day",
    "updated",
    "language",
    "canonical_url",
    "section",
    "agency",
    "dateline",
)
REQUIRED_KEYS = frozenset(
    {
        "site",
        "template",
        "url",
        "language",
        "body",
        "title",
        "authors",
        "published",
        "updated",
        "canonical_url",
        "section",
        "agency",
        "dateline",
        "feed",
    }
)
AGENCY_ALIASES = {
    "ap": "AP",
    "associated press": "AP",
    "the associated press": "AP",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "agence france presse": "AFP",
    "reuters": "Reuters",
    "thomson reuters": "Reuters",
    "dpa": "dpa",
    "deutsche presse-agentur": "dpa",
    "efe": "EFE",
    "agencia efe": "EFE",
}
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"', "–": "-", "—": "-"})


# -- the corpus ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str  # "<site>/<file stem>"
    html: bytes
    truth: dict[str, Any]


def load_corpus(root: Path = PAGES) -> list[Case]:
    """Every page with its truth, in a stable order."""
    cases = []
    for truth_path in sorted(root.glob("*/*.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        html = truth_path.with_suffix(".html").read_bytes()
        cases.append(Case(f"{truth_path.parent.name}/{truth_path.stem}", html, truth))
    return cases


# -- measures --------------------------------------------------------------------------------------


def tokens(text: str) -> list[str]:
    """Lowercased word tokens, punctuation stripped."""
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).lower())


def ngrams(words: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def body_scores(truth: str, predicted: str, n: int = 4) -> tuple[float, float, float]:
    """Precision, recall and F1 of the predicted body's word n-grams (a multiset) against the truth's.

    Texts shorter than ``n`` tokens (either of them) are compared on unigrams. An empty prediction scores 0
    against a non-empty truth; two empty texts score 1."""
    t_words, p_words = tokens(truth), tokens(predicted)
    if not t_words and not p_words:
        return 1.0, 1.0, 1.0
    if not t_words or not p_words:
        return 0.0, 0.0, 0.0
    size = n if min(len(t_words), len(p_words)) >= n else 1
    t_grams, p_grams = ngrams(t_words, size), ngrams(p_words, size)
    overlap = sum((t_grams & p_grams).values())
    precision = overlap / sum(p_grams.values())
    recall = overlap / sum(t_grams.values())
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, f1


def to_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from a datetime, a date or an ISO string; naive values are taken as UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def same_instant(a: Any, b: Any, tolerance_s: float = 60.0) -> bool:
    """Both times given and within ``tolerance_s`` of each other."""
    x, y = to_datetime(a), to_datetime(b)
    return x is not None and y is not None and abs((x - y).total_seconds()) <= tolerance_s


def same_day(truth_local: str, predicted: Any) -> bool:
    """The predicted time or date falls on the day the page was published, in the page's own time zone."""
    local = datetime.fromisoformat(truth_local)
    if isinstance(predicted, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", predicted.strip()):
        return predicted.strip() == local.date().isoformat()
    if isinstance(predicted, date) and not isinstance(predicted, datetime):
        return predicted == local.date()
    when = to_datetime(predicted)
    return when is not None and local.tzinfo is not None and when.astimezone(local.tzinfo).date() == local.date()


def norm_text(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").translate(_QUOTES).casefold().split())


def norm_name(name: str) -> str:
    return " ".join(re.sub(r"[.,;:]", " ", norm_text(name)).split())


def split_byline(byline: str | None) -> list[str]:
    """A names string as a list: ``"Samir Wardak, Ellen Markham"`` or ``"A and B"`` or ``"A; B"``."""
    if not byline:
        return []
    return [p.strip() for p in re.split(r"\s*(?:,|;|\band\b)\s*", byline) if p.strip()]


def same_authors(truth: Sequence[str], predicted: Sequence[str] | None) -> bool:
    return {norm_name(n) for n in truth} == {norm_name(n) for n in predicted or () if norm_name(n)}


def language_code(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    return re.split(r"[-_]", value.strip())[0].lower() or None


def norm_url(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/") or "/", parts.query, ""))


def agency_code(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    return AGENCY_ALIASES.get(value.strip().casefold(), value.strip())


def norm_dateline(value: str | None) -> str | None:
    if not value:
        return None
    return " ".join(re.sub(r"[^\w\s]", " ", unicodedata.normalize("NFKC", value).casefold()).split()) or None


@dataclass(frozen=True)
class Prediction:
    """What a system says of one page."""

    body: str
    title: str | None = None
    authors: list[str] | None = None
    published: Any = None  # datetime, or a date string for trafilatura
    updated: Any = None
    language: str | None = None
    canonical_url: str | None = None
    section: str | None = None
    agency: str | None = None
    dateline: str | None = None
    failed: bool = False
    error: str | None = None


def field_scores(truth: dict[str, Any], pred: Prediction) -> dict[str, bool]:
    """Right or wrong, per metadata field."""
    section_ok = (truth["section"] is None and not pred.section) or (
        truth["section"] is not None and norm_text(pred.section) == norm_text(truth["section"])
    )
    return {
        "title": bool(pred.title) and norm_text(pred.title) == norm_text(truth["title"]),
        "authors": same_authors(truth["authors"], pred.authors),
        "published": same_instant(truth["published"], pred.published),
        "published_day": pred.published is not None and same_day(truth["published_local"], pred.published),
        "updated": (truth["updated"] is None and pred.updated is None) or same_instant(truth["updated"], pred.updated),
        "language": language_code(pred.language) == truth["language"],
        "canonical_url": norm_url(pred.canonical_url) == norm_url(truth["canonical_url"]),
        "section": section_ok,
        "agency": agency_code(pred.agency) == agency_code(truth["agency"]),
        "dateline": norm_dateline(pred.dateline) == norm_dateline(truth["dateline"]),
    }


# -- the two systems -------------------------------------------------------------------------------


def feed_entry(truth: dict[str, Any]) -> FeedEntry | None:
    feed = truth.get("feed")
    if not feed:
        return None
    return FeedEntry(
        truth["url"], title=feed.get("title"), author=feed.get("author"), published=to_datetime(feed.get("published"))
    )


def run_wiredesk(case: Case, site: SiteModel | None = None) -> Prediction:
    return _wiredesk(case, site)[0]


def _wiredesk(case: Case, site: SiteModel | None) -> tuple[Prediction, tuple[str, ...]]:
    """The prediction and the page's raw block keys (none when extraction failed)."""
    truth = case.truth
    try:
        result = extract_article(case.html, url=truth["url"], entry=feed_entry(truth), feed_title=None, site=site)
    except ExtractError as exc:
        return Prediction(body="", failed=True, error=str(exc)), ()
    authors = getattr(result, "authors", None)
    if authors is None:
        authors = split_byline(result.byline)
    agency = getattr(result, "agency", None) or (result.agencies[0] if result.agencies else None)
    prediction = Prediction(
        body=result.text,
        title=result.title,
        authors=list(authors),
        published=result.published,
        updated=getattr(result, "updated", None),
        language=result.language,
        canonical_url=result.canonical_url,
        section=getattr(result, "section", None),
        agency=agency,
        dateline=getattr(result, "dateline", None),
    )
    return prediction, tuple(getattr(result, "block_keys", ()))


def host_of(case: Case) -> str:
    return urlsplit(case.truth["url"]).netloc.lower()


@dataclass(frozen=True)
class SitePreparation:
    """The untimed pass: each page read with no site model, and each page's leave-one-out model."""

    unmodelled: dict[str, Prediction]
    models: dict[str, SiteModel]


def prepare_sites(cases: Sequence[Case], config: ExtractConfig | None = None) -> SitePreparation:
    """Read every page once with no model (its raw block keys), then learn each page's site model from the
    block keys of the same host's other pages."""
    config = config or ExtractConfig()
    unmodelled: dict[str, Prediction] = {}
    keys: dict[str, tuple[str, ...]] = {}
    by_host: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        unmodelled[case.name], keys[case.name] = _wiredesk(case, None)
        by_host[host_of(case)].append(case.name)
    models = {
        case.name: learn(
            host_of(case),
            [keys[name] for name in by_host[host_of(case)] if name != case.name],
            min_pages=config.boilerplate_min_pages,
            min_share=config.boilerplate_min_share,
        )
        for case in cases
    }
    return SitePreparation(unmodelled, models)


def wiredesk_system(models: dict[str, SiteModel]) -> Callable[[Case], Prediction]:
    """The wiredesk system reading each page with its leave-one-out site model."""
    return lambda case: run_wiredesk(case, models.get(case.name))


def run_trafilatura(case: Case) -> Prediction:
    doc = trafilatura.bare_extraction(case.html, url=case.truth["url"], with_metadata=True)
    if doc is None:
        return Prediction(body="", failed=True, error="trafilatura: no extraction")
    categories = getattr(doc, "categories", None) or []
    body = getattr(doc, "text", None) or ""
    comments = getattr(doc, "comments", None)
    return Prediction(
        body=f"{body}\n{comments}" if comments else body,  # what trafilatura.extract() prints: text, then comments
        title=getattr(doc, "title", None),
        authors=split_byline(getattr(doc, "author", None)),
        published=getattr(doc, "date", None),
        updated=None,
        language=getattr(doc, "language", None),
        canonical_url=getattr(doc, "url", None),
        section=categories[0] if categories else None,
    )


def systems(prep: SitePreparation) -> dict[str, Callable[[Case], Prediction]]:
    return {"wiredesk": wiredesk_system(prep.models), "trafilatura": run_trafilatura}


# -- running and reporting -------------------------------------------------------------------------


@dataclass
class PageResult:
    precision: float
    recall: float
    f1: float
    fields: dict[str, bool]
    failed: bool
    error: str | None = None


@dataclass
class SystemResult:
    seconds_per_page: float
    pages: dict[str, PageResult] = field(default_factory=dict)

    def mean(self, attr: str, names: Sequence[str] | None = None) -> float:
        chosen = [self.pages[n] for n in (names or list(self.pages))]
        return sum(getattr(p, attr) for p in chosen) / len(chosen)

    def accuracy(self, name: str) -> float:
        return sum(p.fields[name] for p in self.pages.values()) / len(self.pages)


def evaluate(
    cases: Sequence[Case], fn: Callable[[Case], Prediction], repeat: int
) -> tuple[SystemResult, dict[str, Prediction]]:
    best = float("inf")
    predictions: dict[str, Prediction] = {}
    for _ in range(max(1, repeat)):
        elapsed = 0.0
        for case in cases:
            start = time.perf_counter()
            predictions[case.name] = fn(case)
            elapsed += time.perf_counter() - start
        best = min(best, elapsed)
    return score(cases, predictions, best / len(cases)), predictions


def score(cases: Sequence[Case], predictions: dict[str, Prediction], seconds_per_page: float) -> SystemResult:
    result = SystemResult(seconds_per_page=seconds_per_page)
    for case in cases:
        pred = predictions[case.name]
        p, r, f1 = body_scores(case.truth["body"], pred.body)
        result.pages[case.name] = PageResult(p, r, f1, field_scores(case.truth, pred), pred.failed, pred.error)
    return result


def show_page(case: Case, predictions: dict[str, dict[str, Prediction]], model: SiteModel | None = None) -> None:
    print(f"== {case.name} ({case.truth['template']}, {case.truth['url']})")
    if model is not None:
        print(f"-- site model (leave-one-out): {len(model.keys)} boilerplate blocks learned from {model.pages} pages")
    print("-- truth body:\n" + case.truth["body"])
    for name, preds in predictions.items():
        pred = preds[case.name]
        p, r, f1 = body_scores(case.truth["body"], pred.body)
        print(f"\n-- {name} body (P {p:.3f} R {r:.3f} F1 {f1:.3f}):\n{pred.body}")
    print()
    for key in FIELDS:
        if key == "published_day":
            continue
        row = "  ".join(f"{name}={getattr(preds[case.name], key)!r}" for name, preds in predictions.items())
        print(f"{key:<14} truth={case.truth[key]!r}  {row}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per system (the best is reported)")
    parser.add_argument("--json", type=Path, default=RESULTS / "extract_eval.json", help="where to write the figures")
    parser.add_argument("--page", help="print one page (SITE/NAME) with both systems' output, and stop")
    args = parser.parse_args(argv)

    cases = load_corpus()
    if args.page:
        chosen = [c for c in cases if c.name == args.page]
        if not chosen:
            parser.error(f"no page {args.page!r}; pages are named like {cases[0].name!r}")
        prep = prepare_sites([c for c in cases if host_of(c) == host_of(chosen[0])])
        show_page(
            chosen[0],
            {n: {chosen[0].name: fn(chosen[0])} for n, fn in systems(prep).items()},
            prep.models[chosen[0].name],
        )
        return 0
    templates = sorted({c.truth["template"] for c in cases})
    languages = sorted({c.truth["language"] for c in cases})
    print(f"corpus: {len(cases)} pages, {len(templates)} templates, languages {', '.join(languages)}")
    prep = prepare_sites(cases)
    learned = [len(model.keys) for model in prep.models.values()]
    print(f"site models (leave-one-out): {sum(learned) / len(learned):.1f} boilerplate blocks per page's model")
    results = {name: evaluate(cases, fn, args.repeat)[0] for name, fn in systems(prep).items()}
    unmodelled = score(cases, prep.unmodelled, float("nan"))

    print()
    print(f"{'system':<12} {'precision':>9} {'recall':>7} {'F1':>6} {'F1<0.9':>7} {'failed':>7} {'s/page':>8}")
    for name, res in results.items():
        below = sum(p.f1 < 0.9 for p in res.pages.values())
        failed = sum(p.failed for p in res.pages.values())
        print(
            f"{name:<12} {res.mean('precision'):>9.3f} {res.mean('recall'):>7.3f} {res.mean('f1'):>6.3f} "
            f"{below:>7} {failed:>7} {res.seconds_per_page:>8.4f}"
        )
    below = sum(p.f1 < 0.9 for p in unmodelled.pages.values())
    failed = sum(p.failed for p in unmodelled.pages.values())
    print(
        f"{'(no site models)':<12} {unmodelled.mean('precision'):>9.3f} {unmodelled.mean('recall'):>7.3f} "
        f"{unmodelled.mean('f1'):>6.3f} {below:>7} {failed:>7} {'untimed':>8}"
    )
    ours, base = results["wiredesk"], results["trafilatura"]
    ratio = ours.seconds_per_page / base.seconds_per_page
    gain = ours.mean("f1") - base.mean("f1")
    print(f"\nF1 gain over trafilatura: {gain:+.3f}; cost ratio (ours / trafilatura): {ratio:.2f}")

    print(f"\n{'field':<14} {'wiredesk':>9} {'trafilatura':>12}")
    for key in FIELDS:
        print(f"{key:<14} {ours.accuracy(key):>9.3f} {base.accuracy(key):>12.3f}")

    by_template: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        by_template[case.truth["template"]].append(case.name)
    print(f"\n{'template (body F1)':<20} {'pages':>5} {'wiredesk':>9} {'trafilatura':>12} {'no site models':>15}")
    for template in templates:
        names = by_template[template]
        print(
            f"{template:<20} {len(names):>5} {ours.mean('f1', names):>9.3f} {base.mean('f1', names):>12.3f} "
            f"{unmodelled.mean('f1', names):>15.3f}"
        )

    for name, res in results.items():
        print(f"\nworst pages, {name}:")
        for page, pr in sorted(res.pages.items(), key=lambda kv: kv[1].f1)[:5]:
            note = f"  ({pr.error})" if pr.error else ""
            print(f"  {page:<48} P {pr.precision:.3f} R {pr.recall:.3f} F1 {pr.f1:.3f}{note}")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "pages": len(cases),
                "templates": templates,
                "languages": languages,
                "cost_ratio": ratio,
                "wiredesk_without_site_models": {
                    "body": {
                        "precision": unmodelled.mean("precision"),
                        "recall": unmodelled.mean("recall"),
                        "f1": unmodelled.mean("f1"),
                    },
                    "templates": {t: unmodelled.mean("f1", by_template[t]) for t in templates},
                },
                "systems": {
                    name: {
                        "body": {
                            "precision": res.mean("precision"),
                            "recall": res.mean("recall"),
                            "f1": res.mean("f1"),
                            "pages_below_0_9": sum(p.f1 < 0.9 for p in res.pages.values()),
                            "failed": sum(p.failed for p in res.pages.values()),
                        },
                        "seconds_per_page": res.seconds_per_page,
                        "fields": {key: res.accuracy(key) for key in FIELDS},
                        "templates": {t: res.mean("f1", by_template[t]) for t in templates},
                        "per_page": {page: asdict(pr) for page, pr in res.pages.items()},
                    }
                    for name, res in results.items()
                },
            },
            indent=2,
        )
    )
    print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
