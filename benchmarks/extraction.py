"""Extraction cost: wiredesk's extractor against plain trafilatura on the same pages, on one core and on all cores.

    .venv/bin/python benchmarks/extraction.py [--quick] [--synthetic 400] [--repeat 5] [--workers N]
                                              [--json-out benchmarks/results/extraction.json] [--profile]

Pages: ``--synthetic`` pages of the synthetic wire corpus (``benchmarks/synth.py``: its eight outlet templates,
16 outlets, 30 % variants) and the 71 pages of the extraction corpus (``benchmarks/corpus/extract``: 14 site
templates, four languages). Each page has its true body, which gives both systems' body F1 as a check that the
two did the same job (word 4-grams, as ``benchmarks/extract_eval.py`` scores them).

Systems, each one call per page, both given the page's bytes:
  wiredesk     ``ingest.extract.extract_article(html, url=..., entry=<the feed entry>, feed_title=<the outlet>,
               config=ExtractConfig(), site=<the site's model>)``, exactly as ``wiredesk.pipeline._extract_article``
               calls it: body (trafilatura, the site's learned boilerplate, residue filters, the fallback check)
               and metadata. Site models are learned, untimed, from the block keys of the same host's other pages
               (leave-one-out, as the store would hold them); corpus pages without a feed get no entry.
  trafilatura  ``trafilatura.extract(html, url=..., include_comments=False, with_metadata=True, fast=True,
               favor_precision=<config>, favor_recall=False, deduplicate=False)``: the settings of wiredesk's own
               first pass (``ingest/body.py``; body and metadata, as ours gives both), so the ratio is the cost of
               what wiredesk adds. Its body F1 is scored with the metadata header it prints removed.

Measures (every figure a ratio or rate from this one run):
  cost         per page, the best of ``--repeat`` timings of each system, taken back to back (which goes first
               alternates); the cost ratio is ours / trafilatura's summed over pages (target <= 1.2), also per
               source, and the per-page ratios' median and 90th percentile.
  throughput   ours over all pages (repeated to last a few seconds) in a process pool (fork) of one worker and of
               ``--workers`` (default ``os.cpu_count()``) workers, each pool warmed up first, alternating, best of
               half of ``--repeat`` (at least 2); the speedup is the second's pages per second over the first's
               (target >= 1.8 on two cores). Also the CPU time per page in each, and how many cores other
               processes kept busy meanwhile (``/proc/stat``): on a shared machine that says whether the speedup
               measured wiredesk or the neighbours.
  profile      with ``--profile``: ours under cProfile, and the share of its time in each step.

``--quick`` (CI): 16 synthetic and 24 corpus pages, 3 repeats, sub-second pool runs: a few seconds in all.
Prints a table; writes the figures with the machine (``benchmarks/machine.py``) as JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth
from extract_eval import body_scores, feed_entry
from extract_eval import load_corpus as load_extract_corpus
from machine import busy_cpu_seconds, describe, summary
from profiling import shares, total_of

from ingest.boilerplate import SiteModel, learn
from ingest.config import ExtractConfig
from ingest.errors import ExtractError
from ingest.extract import extract_article
from ingest.records import FeedEntry

RESULTS = Path(__file__).resolve().parent / "results"
CONFIG = ExtractConfig()
TARGET_RATIO = 1.2
TARGET_SPEEDUP = 1.8
# where ours spends its time (cProfile, cumulative): label -> (file suffix, function, caller's file suffix or None)
STEPS = {
    "trafilatura's pass (bare_extraction), in all": ("ingest/body.py", "_trafilatura", None),
    "  of which its metadata (with_metadata=True)": ("trafilatura/metadata.py", "extract_metadata", None),
    "page parse for our metadata (lxml.html.fromstring)": ("lxml/html/__init__.py", "fromstring", "ingest/extract.py"),
    "our metadata (read_metadata)": ("ingest/metadata.py", "read_metadata", None),
    "fallback check (visible paragraph words)": ("ingest/body.py", "_visible", None),
    "site model and residue filters": ("ingest/body.py", "_clean", None),
    "blocks and their keys": ("ingest/boilerplate.py", "page_blocks", None),
}


@dataclass(frozen=True)
class Page:
    name: str
    source: str  # "synthetic" or "corpus"
    html: bytes
    url: str
    entry: FeedEntry | None
    feed_title: str | None
    truth: str
    site: SiteModel | None = field(default=None, compare=False)

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()


# -- the pages -------------------------------------------------------------------------------------------------


def synthetic_pages(count: int, seed: int = 21) -> list[Page]:
    """``count`` pages of a synthetic corpus over 16 outlets (two per template), each from its outlet's host."""
    pages = []
    for record in synth.generate(count, seed=seed, duplicate_rate=0.3, feeds=16):
        url = f"https://{record.feed}.example{record.path}"
        entry = FeedEntry(url, title=record.title, author=record.byline, published=record.published)
        html = synth.render_page(record).encode("utf-8")
        pages.append(Page(f"synthetic/{record.id}", "synthetic", html, url, entry, record.outlet, record.text))
    return pages


def corpus_pages(every: int = 1) -> list[Page]:
    """The extraction corpus's pages (every ``every``-th), with the feed entry where the truth has one."""
    pages = []
    for case in load_extract_corpus()[::every]:
        truth = case.truth
        pages.append(
            Page(f"corpus/{case.name}", "corpus", case.html, truth["url"], feed_entry(truth), truth["site_name"],
                 truth["body"])
        )  # fmt: skip
    return pages


def with_site_models(pages: Sequence[Page]) -> list[Page]:
    """Each page with its host's model learned from the block keys of the host's other pages (untimed)."""
    keys: dict[str, tuple[str, ...]] = {}
    by_host: dict[str, list[str]] = defaultdict(list)
    for page in pages:
        try:
            keys[page.name] = extract_article(page.html, url=page.url, entry=page.entry, config=CONFIG).block_keys
        except ExtractError:
            keys[page.name] = ()
        by_host[page.host].append(page.name)
    out = []
    for page in pages:
        others = [keys[name] for name in by_host[page.host] if name != page.name]
        model = learn(page.host, others, min_pages=CONFIG.boilerplate_min_pages, min_share=CONFIG.boilerplate_min_share)
        out.append(Page(page.name, page.source, page.html, page.url, page.entry, page.feed_title, page.truth, model))
    return out


# -- the two systems -------------------------------------------------------------------------------------------


def ours(page: Page) -> str:
    try:
        return extract_article(
            page.html, url=page.url, entry=page.entry, feed_title=page.feed_title, config=CONFIG, site=page.site
        ).text
    except ExtractError:
        return ""


def plain_trafilatura(page: Page) -> str:
    return (
        trafilatura.extract(
            page.html,
            url=page.url,
            include_comments=False,
            with_metadata=True,
            fast=True,
            favor_precision=CONFIG.favor_precision,
            favor_recall=False,
            deduplicate=False,
        )
        or ""
    )


def without_header(text: str) -> str:
    """trafilatura's output without the metadata header ``with_metadata`` puts before the text."""
    if text.startswith("---\n"):
        _, _, rest = text[4:].partition("\n---\n")
        return rest
    return text


SYSTEMS: dict[str, Callable[[Page], str]] = {"wiredesk": ours, "trafilatura": plain_trafilatura}


# -- side by side ----------------------------------------------------------------------------------------------


@dataclass
class SideBySide:
    seconds: dict[str, dict[str, float]]  # system -> page -> best seconds
    f1: dict[str, dict[str, float]]  # system -> page -> body F1


def side_by_side(pages: Sequence[Page], repeat: int) -> SideBySide:
    """Both systems on every page, back to back, the first of the two alternating; the best of ``repeat``."""
    names = list(SYSTEMS)
    seconds: dict[str, dict[str, float]] = {n: {} for n in names}
    outputs: dict[str, dict[str, str]] = {n: {} for n in names}
    for round_ in range(repeat):
        gc.collect()
        for i, page in enumerate(pages):
            order = names if (i + round_) % 2 == 0 else names[::-1]
            for name in order:
                start = time.perf_counter()
                out = SYSTEMS[name](page)
                elapsed = time.perf_counter() - start
                best = seconds[name].get(page.name)
                seconds[name][page.name] = elapsed if best is None else min(best, elapsed)
                outputs[name][page.name] = out
    f1 = {
        name: {
            p.name: body_scores(
                p.truth, without_header(outputs[name][p.name]) if name == "trafilatura" else outputs[name][p.name]
            )[2]
            for p in pages
        }
        for name in names
    }
    return SideBySide(seconds, f1)


def cost_figures(pages: Sequence[Page], run: SideBySide) -> dict[str, Any]:
    def ratio(chosen: Sequence[Page]) -> dict[str, float]:
        a = sum(run.seconds["wiredesk"][p.name] for p in chosen)
        b = sum(run.seconds["trafilatura"][p.name] for p in chosen)
        per_page = sorted(run.seconds["wiredesk"][p.name] / run.seconds["trafilatura"][p.name] for p in chosen)
        return {
            "pages": len(chosen),
            "wiredesk_ms_per_page": 1000 * a / len(chosen),
            "trafilatura_ms_per_page": 1000 * b / len(chosen),
            "cost_ratio": a / b,
            "per_page_ratio_median": statistics.median(per_page),
            "per_page_ratio_p90": per_page[min(len(per_page) - 1, int(0.9 * len(per_page)))],
            "wiredesk_f1": sum(run.f1["wiredesk"][p.name] for p in chosen) / len(chosen),
            "trafilatura_f1": sum(run.f1["trafilatura"][p.name] for p in chosen) / len(chosen),
        }

    out = {"all": ratio(pages)}
    for source in sorted({p.source for p in pages}):
        out[source] = ratio([p for p in pages if p.source == source])
    return out


# -- one core and all cores ------------------------------------------------------------------------------------

_POOL_PAGES: list[Page] = []  # set before the pool forks: the workers inherit the pages, nothing is pickled


def _work(indexes: list[int]) -> tuple[int, float]:
    """Ours on the pages at ``indexes``: how many, and the CPU seconds this worker spent on them."""
    cpu = time.process_time()
    for i in indexes:
        ours(_POOL_PAGES[i])
    return len(indexes), time.process_time() - cpu


def _pool_run(pool: ProcessPoolExecutor, chunks: list[list[int]]) -> tuple[float, float, float | None]:
    """Wall seconds for every chunk, the workers' CPU seconds, and how many cores other processes used
    meanwhile (None off Linux)."""
    busy, own = busy_cpu_seconds(), time.process_time()
    start = time.perf_counter()
    results = list(pool.map(_work, chunks))
    elapsed = time.perf_counter() - start
    busy_after, own = busy_cpu_seconds(), time.process_time() - own
    assert sum(n for n, _ in results) == sum(len(c) for c in chunks)
    spent = sum(cpu for _, cpu in results)
    others = None if busy is None or busy_after is None else max(0.0, (busy_after - busy - spent - own) / elapsed)
    return elapsed, spent, others


def throughput(pages: Sequence[Page], workers: int, seconds: float, repeat: int, one_page_s: float) -> dict[str, Any]:
    """Ours on the pages, in a pool of one worker and in a pool of ``workers``: pages per second and the
    speedup. The page list is repeated so a one-worker run lasts about ``seconds``. Also each run's CPU seconds
    per page (equal in both when the pool adds no work of its own) and the cores other processes used meanwhile
    (``/proc/stat``): a speedup well under ``workers`` with those above zero means the cores were taken."""
    global _POOL_PAGES
    _POOL_PAGES = list(pages)
    rounds = max(1, round(seconds / max(one_page_s * len(pages), 1e-6)))
    work = [i for _ in range(rounds) for i in range(len(pages))]
    size = max(1, len(work) // (workers * 8))
    chunks = [work[i : i + size] for i in range(0, len(work), size)]
    context = get_context("fork")
    best: dict[int, float] = {}
    cpu: dict[int, float] = {}
    others: dict[int, float | None] = {}
    with ProcessPoolExecutor(1, mp_context=context) as one, ProcessPoolExecutor(workers, mp_context=context) as many:
        warm = [list(range(min(len(pages), 8)))]
        _pool_run(one, warm)
        _pool_run(many, warm * workers * 2)
        for _ in range(repeat):
            for n, pool in ((1, one), (workers, many)):
                elapsed, spent, busy = _pool_run(pool, chunks)
                if elapsed < best.get(n, float("inf")):
                    best[n], cpu[n], others[n] = elapsed, spent, busy
    _POOL_PAGES = []
    one_rate, many_rate = len(work) / best[1], len(work) / best[workers]
    return {
        "workers": workers,
        "pages_per_run": len(work),
        "one_worker_pages_per_s": one_rate,
        "all_workers_pages_per_s": many_rate,
        "speedup": many_rate / one_rate,
        "efficiency": many_rate / one_rate / workers,
        "cpu_ms_per_page": {"one_worker": 1000 * cpu[1] / len(work), "all_workers": 1000 * cpu[workers] / len(work)},
        # cores other processes kept busy during the best runs: near 0 on a quiet machine; above ~0.3 the
        # all-workers figure is bent by the competition, not by wiredesk
        "other_processes_cores": {"one_worker": others[1], "all_workers": others[workers]},
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


# -- profile ---------------------------------------------------------------------------------------------------


def profile(pages: Sequence[Page], top: int = 25) -> dict[str, Any]:
    """Ours under cProfile over every page: the share of its time in each step (cumulative: a step's share
    includes what it calls, and the second row is part of the first), and the top functions by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for page in pages:
        ours(page)
    profiler.disable()
    return shares(profiler, total_of(profiler, "", "extract_article"), STEPS, top)


# -- running ---------------------------------------------------------------------------------------------------


def run(
    synthetic: int = 400,
    corpus_every: int = 1,
    repeat: int = 5,
    workers: int | None = None,
    pool_seconds: float = 4.0,
    with_profile: bool = False,
    quiet: bool = False,
) -> dict[str, Any]:
    """The whole benchmark; returns the figures written as JSON."""
    say: Callable[..., None] = (lambda *a, **k: None) if quiet else print
    machine = describe()
    workers = workers or os.cpu_count() or 1
    started = time.perf_counter()
    pages = with_site_models(synthetic_pages(synthetic) + corpus_pages(corpus_every))
    prepared = time.perf_counter() - started
    say(f"machine: {summary(machine)}")
    corpus = len(pages) - synthetic
    say(f"pages: {synthetic} synthetic + {corpus} of the extraction corpus (prepared in {prepared:.1f} s)")
    run_ = side_by_side(pages, repeat)
    cost = cost_figures(pages, run_)
    one_page = cost["all"]["wiredesk_ms_per_page"] / 1000
    parallel = throughput(pages, workers, pool_seconds, max(2, (repeat + 1) // 2), one_page)
    result: dict[str, Any] = {
        "benchmark": "extraction",
        "machine": machine,
        "parameters": {
            "synthetic_pages": synthetic,
            "corpus_pages": len(pages) - synthetic,
            "repeat": repeat,
            "workers": workers,
            "trafilatura_settings": {
                "include_comments": False,
                "with_metadata": True,
                "fast": True,
                "favor_precision": CONFIG.favor_precision,
                "favor_recall": False,
                "deduplicate": False,
            },
        },
        "cost": cost,
        "parallel": parallel,
        "targets": {
            "cost_ratio_max": TARGET_RATIO,
            "cost_ratio_met": cost["all"]["cost_ratio"] <= TARGET_RATIO,
            "speedup_min": TARGET_SPEEDUP,
            "speedup_met": parallel["speedup"] >= TARGET_SPEEDUP if workers >= 2 else None,
        },
    }
    if with_profile:
        result["profile"] = profile(pages)
    result["seconds"] = time.perf_counter() - started
    if not quiet:
        report(result)
    return result


def report(result: dict[str, Any]) -> None:
    cost, parallel = result["cost"], result["parallel"]
    print()
    print(f"{'pages':<10} {'n':>4} {'wiredesk ms':>12} {'trafilatura ms':>15} {'ratio':>6} {'median':>7} {'p90':>6}"
          f" {'F1 ours':>8} {'F1 traf.':>9}")  # fmt: skip
    for source, c in cost.items():
        print(
            f"{source:<10} {c['pages']:>4} {c['wiredesk_ms_per_page']:>12.2f} {c['trafilatura_ms_per_page']:>15.2f} "
            f"{c['cost_ratio']:>6.2f} {c['per_page_ratio_median']:>7.2f} {c['per_page_ratio_p90']:>6.2f} "
            f"{c['wiredesk_f1']:>8.3f} {c['trafilatura_f1']:>9.3f}"
        )
    ratio = cost["all"]["cost_ratio"]
    print(f"\ncost ratio (ours / trafilatura, summed over pages): {ratio:.2f} (target <= {TARGET_RATIO})")
    print(
        f"\nthroughput (ours, process pool): 1 worker {parallel['one_worker_pages_per_s']:.0f} pages/s, "
        f"{parallel['workers']} workers {parallel['all_workers_pages_per_s']:.0f} pages/s: "
        f"speedup {parallel['speedup']:.2f} (target >= {TARGET_SPEEDUP} on two cores), "
        f"{parallel['pages_per_run']} pages per run; CPU per page {parallel['cpu_ms_per_page']['one_worker']:.2f} ms "
        f"(1 worker) and {parallel['cpu_ms_per_page']['all_workers']:.2f} ms ({parallel['workers']} workers); "
        f"other processes used {_cores(parallel['other_processes_cores']['all_workers'])} meanwhile"
    )
    if "profile" in result:
        prof = result["profile"]
        print(f"\nwhere ours spends its time (cProfile, {prof['total_s']:.2f} s over every page; steps nest):")
        for label, share in prof["steps"].items():
            print(f"  {share:>6.1%}  {label}")
        print("  top functions by own time:")
        for row in prof["top_own_time"][:15]:
            print(f"  {row['share']:>6.1%}  {row['function']} ({row['calls']} calls)")
    print(f"\n{result['seconds']:.1f} s in all")


def _cores(value: float | None) -> str:
    return "(unknown)" if value is None else f"{value:.2f} cores"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: for CI (loose bounds)")
    parser.add_argument("--synthetic", type=int, default=None, help="synthetic pages (default 400; quick 16)")
    parser.add_argument("--repeat", type=int, default=None, help="timings per page (best kept; default 5, quick 3)")
    parser.add_argument("--workers", type=int, default=None, help="pool size for 'all cores' (default cpu_count)")
    parser.add_argument("--json-out", type=Path, default=RESULTS / "extraction.json", help="where to write figures")
    parser.add_argument("--profile", action="store_true", help="also profile ours and say where the time goes")
    args = parser.parse_args(argv)
    quick = args.quick
    result = run(
        synthetic=args.synthetic if args.synthetic is not None else (16 if quick else 400),
        corpus_every=3 if quick else 1,
        repeat=args.repeat or (3 if quick else 5),
        workers=args.workers,
        pool_seconds=0.6 if quick else 4.0,
        with_profile=args.profile,
    )
    result["parameters"]["quick"] = quick
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"figures written to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
