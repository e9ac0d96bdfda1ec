"""End to end: a synthetic wire corpus on loopback through ``wiredesk run-once``, against the extraction-only
bound measured on the same pages in the same run; then through the Airflow DAG, with the overhead per cycle.

    .venv/bin/python benchmarks/end_to_end.py [--articles 10000] [--feeds 200] [--workers N] [--quick]
                                              [--skip-airflow] [--airflow-articles N] [--airflow-feeds N]
                                              [--airflow-home DIR] [--profile | --no-profile]
                                              [--json-out benchmarks/results/end_to_end.json]

The corpus: ``benchmarks/synth.py``'s :class:`SynthServer` (``--articles`` over ``--feeds`` outlets, RSS, Atom
and JSON feeds, each listing all its articles; 30 % of the articles are variants of others), every page rendered
up front (``prerender=True``) so that serving it costs next to nothing. Everything is served from 127.0.0.1.

Measures, in this order, every figure a ratio or rate from this one run:

  bound        the extraction-only bound: every page's bytes, read from the server once before anything is timed,
               with its feed entry and feed title (each feed parsed once, untimed) and the host's boilerplate
               model (learned, untimed, from 200 of the pages: the store learns it from the host's latest 200),
               then ``ingest.extract.extract_article`` over all of them exactly as ``wiredesk.pipeline.
               _extract_article`` calls it, in a process pool (fork) of ``--workers`` workers (the number
               ``run-once`` uses), warmed up first: pages per second. Measured before and after ``run-once``;
               the faster of the two is the bound (the conservative choice for the ratio).
  run-once     a fresh SQLite store in a temporary ``WIREDESK_HOME``; the feeds registered, untimed, with
               ``wiredesk feeds import-opml`` (the CLI, one OPML file); then ``wiredesk run-once --json`` timed as
               a subprocess, from its start to its exit (Python start-up, its spawned worker processes, polling,
               fetching, extraction, storing, dedupe, recording the run): articles per second. The ratio is that
               over the bound's pages per second (target at least 0.7). Its phases come from the time each of
               its progress lines (stderr) arrived: start-up to the first feed done, all feeds done, dedupe, exit.
               Two more ratios over the bound: the steady state (the articles of the feeds finished after each
               worker's first feed, over the time from the last of those firsts to the last feed done: no
               start-up, no dedupe) and the CPU ratio (the bound's CPU per page over run-once's CPU per article,
               every process of it included): what the ratio would be with the cores all its own and nothing
               sequential, and the figure other processes on a shared machine do not bend.
               Checked, or the benchmark fails: exit code 0, every feed polled without error, every article
               stored (counted in the store) and placed in a cluster, no page failed; the clusters are compared
               with the corpus's truth (pairwise precision and recall), for the record.
  no-op cycle  the same store, every feed made due again (``next_poll_at`` set to its last poll, as if the poll
               interval had passed; the synthetic server answers 200 with the same feed, it has no conditional
               GET): every feed polled and parsed, nothing new. Then an idle cycle: nothing due at all.
  airflow      (unless ``--skip-airflow``) the ``wiredesk_ingest`` DAG with ``dag.test()`` (in a fresh Python
               process, over an Airflow home migrated untimed: ``wiredesk.airflow_local``) on a fresh store of
               the corpus (``--airflow-articles`` / ``--airflow-feeds``, default the same corpus): the first
               cycle, a no-op cycle 20 minutes of run time later (every feed due, nothing new) and an idle cycle a
               minute after that (nothing due). ``dag.test()`` runs its task instances one at a time in one
               process, so the same three cycles also run through ``wiredesk run-once`` with one worker on a
               fresh store of the same corpus: the overhead per cycle is the DAG cycle's wall time (the
               ``dag.test()`` call: Airflow's import and the DAG's parse, which a running scheduler has done
               already, are left out; wiredesk's imports are in both) minus run-once's; also in CPU seconds (the
               DAG process's after the DAG was parsed, run-once's every process), which other processes do not
               bend. Split in two from the cycles without work of their own: fixed per cycle (the idle cycle's)
               and per feed task (the no-op cycle's beyond that, over the feeds). The DAG's feeds are registered
               with the Python API (``wiredesk.pipeline.register_feed``) at a fixed time, so the runs' logical
               dates can be set after it.
  profile      when the ratio misses its target (or with ``--profile``; never in ``--quick`` unless asked):
               ``wiredesk.pipeline.run_cycle`` with one worker under cProfile on a subset (about 1,000 articles)
               of the corpus, in this process: where the cycle's time goes.

Settings changed from wiredesk's defaults, for the run-once and DAG stores alike (recorded in the JSON):
  WIREDESK_FETCH_ALLOW=127.0.0.1   the fetcher refuses loopback addresses unless they are allowlisted.
  WIREDESK_WORKERS=<--workers>     run-once's processes (its default is the number of cores, at most 8).
  WIREDESK_HOST_CONCURRENCY=max(2, --workers)   fetches from one host at once across all workers (default 2). A
               real deployment has 200 feeds on about 200 hosts, each host with its own slots; here one host
               (127.0.0.1) serves all of them, so the limit is raised to the worker count, so that no worker waits
               for a slot it would have had with 200 hosts. On two cores the default (2) already equals it.
  WIREDESK_MAX_ARTICLES_PER_POLL   only if a feed lists more than the default 200 (not with 10,000 over 200).
Everything else is left as it is: robots.txt is obeyed (the one host has none: one fetch of a 404, cached in the
store), the 30 s host-slot wait, SQLite busy timeout and dedupe settings are the defaults. The site-model
caveat: with one host for every outlet, the host's boilerplate is learned from pages in eight templates (a real
deployment learns one model per site); no block reaches the 20 % share, so the model is empty (``site_model_keys``
in the JSON: 0 with 200 feeds), in the bound as in the pipeline, and the site-model step costs little in both.

``--quick`` (CI): 400 articles over 10 feeds, the bound once (before), run-once's first cycle only (no no-op or
idle cycle), no Airflow, no profile: about half a minute on a quiet machine. There the fixed start-up (~3 s of
imports per process) outweighs the work, so the whole-run ratio is far under the full run's; the steady-state and
CPU ratios say more.
The full run takes about 25 minutes on two shared cores, half of it the Airflow part (``--skip-airflow``).
Prints a table; writes the figures with the machine (``benchmarks/machine.py``) as JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval_metrics import score
from machine import busy_cpu_seconds, describe, summary
from profiling import shares, total_of
from synth import SynthServer

from ingest.boilerplate import SiteModel, learn
from ingest.config import ExtractConfig
from ingest.errors import ExtractError
from ingest.extract import extract_article
from ingest.feeds import parse_feed
from ingest.records import FeedEntry
from storage import Store
from storage import schema as t

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_RATIO = 0.7
LOOPBACK = "127.0.0.1"
CONFIG = ExtractConfig()  # what Settings.from_env gives the pipeline (no variable changes it)
DEFAULT_MAX_PER_POLL = 200
PROFILE_ARTICLES = 1000
QUICK_ARTICLES, QUICK_FEEDS = 400, 10
_PIPELINE = "wiredesk/pipeline.py"
# where a one-worker cycle spends its time (cProfile, cumulative): label -> (file suffix, function, caller's
# (file suffix, function) or None; "a|b": either function). Rows nest where the label says "of which".
STEPS: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "due feeds (store)": ("wiredesk/pipeline.py", "due_feeds", None),
    "store opened (once per feed, and for dedupe)": ("storage/store.py", "open", None),
    "feed fetch (HTTP)": ("ingest/fetch.py", "get", ("wiredesk/pipeline.py", "_ingest_feed")),
    "feed parse": ("ingest/feeds.py", "parse_feed", None),
    "entries recorded (store)": ("storage/store.py", "add_entries", None),
    "pending entries read (store)": ("storage/store.py", "pending_entries", None),
    "robots.txt checks": ("ingest/robots.py", "check", None),
    "host slots (feeds and pages)": ("storage/store.py", "slot", None),
    "page fetch (HTTP; the server's time included)": ("ingest/fetch.py", "get", (_PIPELINE, "_fetch_pages")),
    "extraction (extract_article)": ("ingest/extract.py", "extract_article", (_PIPELINE, "_extract_article")),
    "raw HTML compressed (zlib)": ("~", "<built-in method zlib.compress>", None),
    "article saved (store)": ("storage/store.py", "save_article", None),
    "site models relearned": ("wiredesk/pipeline.py", "relearn", None),
    "poll recorded (store)": ("storage/store.py", "record_poll", None),
    "dedupe (dedupe_pending), in all": ("wiredesk/pipeline.py", "dedupe_pending", None),
    "  of which signatures (shingles, MinHash)": ("dedupe/cluster.py", "signature|signatures", None),
    "  of which matching (decide)": ("dedupe/cluster.py", "decide", None),
    "  of which the decision's rows (_cluster_write)": ("wiredesk/pipeline.py", "_cluster_write", None),
    "  of which the decision written (write_decision)": ("storage/store.py", "write_decision", None),
}  # fmt: skip


class BenchmarkFailed(RuntimeError):
    """wiredesk did not do the whole job (or a step failed): the figures would mean nothing."""


# -- the pages, untimed ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoundPage:
    """One page as the pipeline hands it to the extractor: its bytes, URL, feed entry and feed title."""

    url: str
    html: bytes
    entry: FeedEntry
    feed_title: str


def corpus_pages(server: SynthServer, now: datetime) -> tuple[list[BoundPage], int]:
    """Every page the feeds list, read from the server directly (the bytes it serves), with its feed entry and
    the feed's title as ``wiredesk.pipeline`` passes them; and the longest feed's length."""
    pages, longest = [], 0
    for feed in server.options.feeds:
        resource = server.resource(feed.path)
        assert resource is not None
        parsed = parse_feed(resource.body, url=server.url + feed.path, content_type=resource.content_type, now=now)
        longest = max(longest, len(parsed.entries))
        for entry in parsed.entries:
            page = server.resource(urlsplit(entry.url).path)
            if page is None:
                raise BenchmarkFailed(f"the server does not serve {entry.url}, which its feed {feed.path} lists")
            pages.append(BoundPage(entry.url, page.body, entry, parsed.title or feed.name))
    return pages, longest


def site_model(pages: Sequence[BoundPage], host: str) -> SiteModel:
    """The host's boilerplate as the store would learn it: from the block keys of (up to) 200 of its pages."""
    step = max(1, len(pages) // CONFIG.boilerplate_pages)
    keys = []
    for page in pages[::step][: CONFIG.boilerplate_pages]:
        try:
            keys.append(extract_article(page.html, url=page.url, entry=page.entry, config=CONFIG).block_keys)
        except ExtractError:
            keys.append(())
    return learn(host, keys, min_pages=CONFIG.boilerplate_min_pages, min_share=CONFIG.boilerplate_min_share)


# -- the bound: the extractor alone in a pool ------------------------------------------------------------------

_POOL_PAGES: list[BoundPage] = []  # set before the pool forks: the workers inherit them, nothing is pickled
_POOL_SITE: SiteModel | None = None


def _extract_range(bounds: tuple[int, int]) -> tuple[int, int, float]:
    """The extractor over ``_POOL_PAGES[lo:hi]``, as the pipeline calls it: pages, pages extracted, CPU s."""
    cpu = time.process_time()
    ok = 0
    for page in _POOL_PAGES[bounds[0] : bounds[1]]:
        try:
            extract_article(
                page.html, url=page.url, entry=page.entry, feed_title=page.feed_title, config=CONFIG, site=_POOL_SITE
            )
            ok += 1
        except ExtractError:
            pass
    return bounds[1] - bounds[0], ok, time.process_time() - cpu


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def cpu_meter() -> Iterator[dict[str, float | None]]:
    """Wall seconds, this process's CPU seconds, its waited-for children's and the cores every other process
    kept busy meanwhile (``/proc/stat``; None off Linux), filled in on exit."""
    out: dict[str, float | None] = {}
    busy, own, kids = busy_cpu_seconds(), time.process_time(), children_cpu_seconds()
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["wall_s"] = wall = time.perf_counter() - start
        out["own_cpu_s"] = own = time.process_time() - own
        out["children_cpu_s"] = kids = children_cpu_seconds() - kids
        after = busy_cpu_seconds()
        out["other_processes_cores"] = (
            None if busy is None or after is None else max(0.0, after - busy - own - kids) / wall
        )


class Bound:
    """A warmed-up pool of ``workers`` forked processes holding the pages; :meth:`measure` times one pass."""

    def __init__(self, pages: Sequence[BoundPage], site: SiteModel, workers: int) -> None:
        global _POOL_PAGES, _POOL_SITE
        _POOL_PAGES, _POOL_SITE = list(pages), site
        self.pages = len(pages)
        self.workers = workers
        self.pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"))
        size = max(1, min(50, self.pages // (workers * 16)))
        self.chunks = [(lo, min(lo + size, self.pages)) for lo in range(0, self.pages, size)]
        warm = [(i % self.pages, i % self.pages + 1) for i in range(4 * workers)]
        list(self.pool.map(_extract_range, warm))
        _POOL_PAGES, _POOL_SITE = [], None  # the workers have their copy

    def measure(self) -> dict[str, Any]:
        busy, own = busy_cpu_seconds(), time.process_time()
        start = time.perf_counter()
        results = list(self.pool.map(_extract_range, self.chunks))
        wall = time.perf_counter() - start
        busy_after, own = busy_cpu_seconds(), time.process_time() - own
        done = sum(n for n, _, _ in results)
        extracted = sum(ok for _, ok, _ in results)
        cpu = sum(c for _, _, c in results)
        assert done == self.pages
        others = None if busy is None or busy_after is None else max(0.0, busy_after - busy - own - cpu) / wall
        return {
            "pages": done,
            "extracted": extracted,
            "seconds": wall,
            "pages_per_s": done / wall,
            "cpu_ms_per_page": 1000 * cpu / done,
            "other_processes_cores": others,
        }

    def close(self) -> None:
        self.pool.shutdown()


# -- wiredesk through its command line -------------------------------------------------------------------------


def wiredesk_command() -> list[str]:
    """The ``wiredesk`` console script of this interpreter's environment (else ``python -m wiredesk.cli``)."""
    script = Path(sys.executable).with_name("wiredesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "wiredesk.cli"]


def settings_changed(workers: int, longest_feed: int) -> dict[str, str]:
    """The variables set away from their defaults (see the module's docstring for why)."""
    changed = {
        "WIREDESK_FETCH_ALLOW": LOOPBACK,
        "WIREDESK_WORKERS": str(workers),
        "WIREDESK_HOST_CONCURRENCY": str(max(2, workers)),
    }
    if longest_feed > DEFAULT_MAX_PER_POLL:
        changed["WIREDESK_MAX_ARTICLES_PER_POLL"] = str(longest_feed)
    return changed


def wiredesk_env(home: Path, changed: dict[str, str], **override: str) -> dict[str, str]:
    """This process's environment without any WIREDESK_ or AIRFLOW variables, plus the home and ``changed``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIREDESK_", "AIRFLOW"))}
    return {**env, "WIREDESK_HOME": str(home), **changed, **override}


def store_url(home: Path) -> str:
    return f"sqlite:///{home / 'wiredesk.db'}"


def write_opml(path: Path, feeds: Sequence[tuple[str, str]]) -> None:
    outlines = "".join(f'<outline type="rss" text={quoteattr(n)} xmlUrl={quoteattr(u)}/>\n' for n, u in feeds)
    path.write_text(f'<?xml version="1.0"?>\n<opml version="2.0"><head><title>bench</title></head><body>\n'
                    f"{outlines}</body></opml>\n", encoding="utf-8")  # fmt: skip


def register_with_cli(home: Path, env: dict[str, str], feeds: Sequence[tuple[str, str]]) -> None:
    home.mkdir(parents=True, exist_ok=True)
    opml = home / "feeds.opml"
    write_opml(opml, feeds)
    done = subprocess.run([*wiredesk_command(), "feeds", "import-opml", str(opml)], env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode != 0 or f"{len(feeds)} new" not in done.stdout:
        raise BenchmarkFailed(f"wiredesk feeds import-opml failed ({done.returncode}): {done.stdout}{done.stderr}")


_PROGRESS = re.compile(r"^\[(\d+)/(\d+)\] ")
_STORED = re.compile(r"(\d+) articles stored")


def run_once(env: dict[str, str]) -> dict[str, Any]:
    """``wiredesk run-once --json`` as a subprocess: wall time, phases (from its progress lines' arrival), its
    CPU (workers included), this process's (the server's) and the other processes', and its report."""
    marks: list[tuple[float, str]] = []
    with cpu_meter() as meter:
        start = time.perf_counter()
        proc = subprocess.Popen([*wiredesk_command(), "run-once", "--json"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert proc.stdout is not None
        assert proc.stderr is not None
        err = proc.stderr

        def read_stderr() -> None:
            for line in err:
                marks.append((time.perf_counter() - start, line.rstrip("\n")))

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        stdout = proc.stdout.read()
        code = proc.wait()
        reader.join()
    wall = float(meter["wall_s"] or 0.0)
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if code != 0 or not lines:
        tail = "\n".join(line for _, line in marks[-20:])
        raise BenchmarkFailed(f"wiredesk run-once failed (exit {code}):\n{stdout[-2000:]}\n{tail}")
    report = json.loads(lines[-1])
    feed_lines = [(when, line) for when, line in marks if _PROGRESS.match(line)]
    feed_marks = [when for when, _ in feed_lines]
    dedupe_marks = [when for when, line in marks if line.startswith("dedupe:")]
    feeds_done = feed_marks[-1] if feed_marks else None
    dedupe_done = dedupe_marks[-1] if dedupe_marks else None
    phases = {
        "first_feed_done_s": feed_marks[0] if feed_marks else None,
        "all_feeds_done_s": feeds_done,
        "dedupe_s": None if dedupe_done is None else dedupe_done - (feeds_done or 0.0),
        "after_dedupe_s": None if dedupe_done is None else wall - dedupe_done,
    }
    # steady state: the feeds finished after the first one per worker (whose time includes start-up), over the
    # time from the last of those to the last feed done
    workers = int(env.get("WIREDESK_WORKERS", "1"))
    steady = None
    if len(feed_lines) > workers:
        later = sum(int(m.group(1)) for _, line in feed_lines[workers:] if (m := _STORED.search(line)))
        span = feed_lines[-1][0] - feed_lines[workers - 1][0]
        steady = {"articles": later, "seconds": span, "articles_per_s": later / span if span > 0 else None}
    return {
        "seconds": wall,
        "exit_code": code,
        "phases": phases,
        "steady_state": steady,
        "run_once_cpu_s": meter["children_cpu_s"],
        "server_cpu_s": meter["own_cpu_s"],
        "other_processes_cores": meter["other_processes_cores"],
        "counts": report["counts"],
        "feed_statuses": _tally(f["status"] for f in report["feeds"]),
    }


def _tally(values: Iterator[str] | Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


def make_feeds_due(url: str) -> None:
    """Every feed due again, as if the poll interval had passed: its next poll at its last poll's time."""
    with Store.open(url, migrate=False) as store, store._engine.begin() as conn:
        conn.execute(t.feeds.update().values(next_poll_at=t.feeds.c.last_polled_at))


def check_first_cycle(what: str, url: str, counts: dict[str, int], articles: int, feeds: int) -> dict[str, int]:
    """Fail loudly unless the cycle stored and clustered every article; returns the store's counts."""
    with Store.open(url, migrate=False) as store:
        stored = store.counts()
    problems = []
    if counts["feeds_polled"] != feeds or counts["feeds_failed"]:
        problems.append(f"{counts['feeds_polled']} feeds polled of {feeds}, {counts['feeds_failed']} failed")
    if counts["articles_stored"] != articles or stored["articles"] != articles:
        problems.append(
            f"{counts['articles_stored']} articles stored ({stored['articles']} in the store) of {articles}"
        )
    if counts["pages_failed"] or counts["pages_deferred"] or counts["pages_disallowed"]:
        problems.append(f"pages failed {counts['pages_failed']}, deferred {counts['pages_deferred']}, "
                        f"disallowed {counts['pages_disallowed']}")  # fmt: skip
    if stored["memberships"] != articles or not stored["clusters"]:
        problems.append(f"{stored['memberships']} articles clustered of {articles}, {stored['clusters']} clusters")
    if problems:
        raise BenchmarkFailed(f"{what}: the cycle did not do the whole job: " + "; ".join(problems))
    return stored


def check_noop_cycle(what: str, counts: dict[str, int], feeds: int) -> None:
    if counts["feeds_polled"] != feeds or counts["new_entries"] or counts["articles_stored"] or counts["feeds_failed"]:
        raise BenchmarkFailed(f"{what}: expected every feed polled and nothing new, got {counts}")


def check_idle_cycle(what: str, counts: dict[str, int]) -> None:
    if counts["feeds_polled"] or counts["articles_stored"]:
        raise BenchmarkFailed(f"{what}: expected no feed due, got {counts}")


def cluster_quality(server: SynthServer, url: str) -> dict[str, Any]:
    """The stored clusters against the corpus's truth, by page path: pairwise precision, recall, F1."""
    truth = {a.path: a.cluster_id for a in server.articles()}
    with Store.open(url, migrate=False) as store:
        predicted = {urlsplit(a.url).path: a.cluster_id or a.id for a in store.list_articles()}
    scores = score(truth, predicted)
    return {
        "true_clusters": len(set(truth.values())),
        "stored_clusters": len(set(predicted.values())),
        "pairwise_precision": scores.precision,
        "pairwise_recall": scores.recall,
        "pairwise_f1": scores.f1,
    }


# -- Airflow ---------------------------------------------------------------------------------------------------

_DAG_SCRIPT = """
import json, sys, time, warnings
started = time.perf_counter()
warnings.filterwarnings("ignore")
from datetime import datetime
from airflow.dag_processing.dagbag import DagBag
from wiredesk import airflow_local
from wiredesk.dagconfig import DAG_ID
bag = DagBag(dag_folder=str(airflow_local.DAGS_FOLDER))
assert not bag.import_errors, bag.import_errors
dag = bag.dags[DAG_ID]
for task in dag.tasks:
    task.retries = 0  # a failure is the benchmark's failure: no retry delays
ready, ready_cpu = time.perf_counter(), time.process_time()
run = dag.test(logical_date=datetime.fromisoformat(sys.argv[1]))
ran = time.perf_counter()
tis = [
    {"task_id": ti.task_id, "state": str(ti.state),
     "seconds": (ti.end_date - ti.start_date).total_seconds() if ti.start_date and ti.end_date else None}
    for ti in run.get_task_instances()
]
print("DAG-RUN-RESULT " + json.dumps({"state": str(run.state), "run_id": run.run_id, "tis": tis,
      "startup_s": ready - started, "startup_cpu_s": ready_cpu, "dag_test_s": ran - ready}))
"""


def airflow_home_ready(home: Path) -> float:
    """Migrate the Airflow home's metadata database if it is not yet (untimed for the cycles); seconds spent."""
    from wiredesk import airflow_local  # imports no airflow

    started = time.perf_counter()
    home.mkdir(parents=True, exist_ok=True)
    airflow_local.migrate(home, airflow_local.airflow_environment(home))
    return time.perf_counter() - started


def dag_cycle(airflow_home: Path, env: dict[str, str], logical_date: datetime) -> dict[str, Any]:
    """One ``dag.test()`` of wiredesk_ingest in a fresh process: the call's wall time, the process's, the task
    instances' states and summed durations, and the run's counts (as its ``publish`` task recorded them)."""
    from wiredesk import airflow_local

    full_env = {**env, **airflow_local.airflow_environment(airflow_home)}
    with cpu_meter() as meter:
        done = subprocess.run([sys.executable, "-c", _DAG_SCRIPT, logical_date.isoformat()], env=full_env,
                              capture_output=True, text=True, check=False)  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("DAG-RUN-RESULT ")]
    if done.returncode != 0 or not lines:
        raise BenchmarkFailed(f"dag.test() failed ({done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}")
    result = json.loads(lines[-1].removeprefix("DAG-RUN-RESULT "))
    states = _tally(ti["state"] for ti in result["tis"])
    if result["state"] != "success" or set(states) - {"success", "skipped"}:
        raise BenchmarkFailed(f"the DAG run did not succeed: {result['state']}, task states {states}")
    per_task: dict[str, list[float]] = {}
    for ti in result["tis"]:
        if ti["seconds"] is not None:
            per_task.setdefault(ti["task_id"], []).append(ti["seconds"])
    with Store.open(env_store_url(env), migrate=False) as store:
        (last,) = store.recent_runs(1)
    return {
        "seconds": result["dag_test_s"],
        "process_seconds": meter["wall_s"],
        "startup_s": result["startup_s"],
        "cpu_s": (meter["children_cpu_s"] or 0.0) - result["startup_cpu_s"],
        "startup_cpu_s": result["startup_cpu_s"],
        "server_cpu_s": meter["own_cpu_s"],
        "other_processes_cores": meter["other_processes_cores"],
        "task_instances": len(result["tis"]),
        "task_states": states,
        "task_seconds": {k: {"n": len(v), "sum": sum(v), "mean": sum(v) / len(v)} for k, v in per_task.items()},
        "run_id": last.run_id,
        "counts": dict(last.counts),
    }


def env_store_url(env: dict[str, str]) -> str:
    return store_url(Path(env["WIREDESK_HOME"]))


def airflow_part(
    server: SynthServer,
    workers_run: dict[str, Any] | None,
    changed: dict[str, str],
    scratch: Path,
    airflow_home: Path | None,
    say: Callable[..., None],
) -> dict[str, Any]:
    """The three DAG cycles against the same three cycles of run-once with one worker, on fresh stores."""
    from wiredesk.pipeline import register_feed
    from wiredesk.settings import Settings

    feeds = server.feed_urls()
    articles = server.options.n_articles
    home = airflow_home or scratch / "airflow"
    migrate_s = airflow_home_ready(home)
    say(f"airflow: home {home} ready ({migrate_s:.0f} s)")
    one = {**changed, "WIREDESK_WORKERS": "1"}
    # run-once, one worker (dag.test() runs one task instance at a time)
    serial_home = scratch / "run-once-1"
    serial_env = wiredesk_env(serial_home, one)
    register_with_cli(serial_home, serial_env, feeds)
    say("airflow: run-once with one worker, first cycle ...")
    serial = {"first": run_once(serial_env)}
    check_first_cycle("run-once (1 worker)", env_store_url(serial_env), serial["first"]["counts"], articles, len(feeds))
    make_feeds_due(env_store_url(serial_env))
    serial["noop"] = run_once(serial_env)
    check_noop_cycle("run-once (1 worker) no-op", serial["noop"]["counts"], len(feeds))
    serial["idle"] = run_once(serial_env)
    check_idle_cycle("run-once (1 worker) idle", serial["idle"]["counts"])
    say("  " + ", ".join(f"{cycle} {m['seconds']:.1f} s" for cycle, m in serial.items()))

    # the DAG, on its own store: feeds registered at a fixed past time, the runs' logical dates after it
    dag_home = scratch / "dag"
    dag_env = wiredesk_env(dag_home, one)
    registered = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    settings = Settings.from_env(dag_env)
    for name, url in feeds:
        register_feed(settings, url, name, registered)
    times = {"first": registered + timedelta(minutes=1)}
    times["noop"] = times["first"] + timedelta(minutes=20)
    times["idle"] = times["noop"] + timedelta(minutes=1)
    dag: dict[str, Any] = {}
    for cycle, when in times.items():
        say(f"airflow: dag.test() {cycle} cycle ({when.isoformat()}) ...")
        dag[cycle] = dag_cycle(home, dag_env, when)
        say(f"  {dag[cycle]['seconds']:.1f} s")
    check_first_cycle("the DAG", env_store_url(dag_env), dag["first"]["counts"], articles, len(feeds))
    check_noop_cycle("the DAG's no-op cycle", dag["noop"]["counts"], len(feeds))
    check_idle_cycle("the DAG's idle cycle", dag["idle"]["counts"])

    overhead = {}
    for cycle in times:
        extra = dag[cycle]["seconds"] - serial[cycle]["seconds"]
        extra_cpu = dag[cycle]["cpu_s"] - serial[cycle]["run_once_cpu_s"]
        polled = dag[cycle]["counts"]["feeds_polled"]
        overhead[cycle] = {
            "dag_s": dag[cycle]["seconds"],
            "run_once_1_worker_s": serial[cycle]["seconds"],
            "overhead_s": extra,
            "overhead_per_feed_task_s": extra / polled if polled else None,
            "dag_over_run_once": dag[cycle]["seconds"] / serial[cycle]["seconds"],
            "dag_cpu_s": dag[cycle]["cpu_s"],
            "run_once_1_worker_cpu_s": serial[cycle]["run_once_cpu_s"],
            "cpu_overhead_s": extra_cpu,
            "cpu_overhead_per_feed_task_s": extra_cpu / polled if polled else None,
        }
    # the overhead split in two, from the cycles that do no work of their own: fixed per cycle (the idle cycle's:
    # due_feeds, a skipped ingest_feed, dedupe, publish) and per feed task (the no-op cycle's beyond that)
    fixed, fixed_cpu = overhead["idle"]["overhead_s"], overhead["idle"]["cpu_overhead_s"]
    split = {
        "fixed_per_cycle_s": fixed,
        "fixed_per_cycle_cpu_s": fixed_cpu,
        "per_feed_task_s": (overhead["noop"]["overhead_s"] - fixed) / len(feeds),
        "per_feed_task_cpu_s": (overhead["noop"]["cpu_overhead_s"] - fixed_cpu) / len(feeds),
    }
    if workers_run is not None:
        overhead["first"]["run_once_workers_s"] = workers_run["seconds"]
        overhead["first"]["dag_over_run_once_workers"] = dag["first"]["seconds"] / workers_run["seconds"]
    return {
        "articles": articles,
        "feeds": len(feeds),
        "airflow_home_migrate_s": migrate_s,
        "dag": dag,
        "run_once_1_worker": serial,
        "overhead": overhead,
        "overhead_split": split,
    }


# -- profile ---------------------------------------------------------------------------------------------------


def profile_cycle(server: SynthServer, feeds: int, changed: dict[str, str], scratch: Path) -> dict[str, Any]:
    """``run_cycle`` with one worker under cProfile, over the first ``feeds`` feeds, on a fresh store."""
    from wiredesk.pipeline import register_feed, run_cycle
    from wiredesk.settings import Settings

    home = scratch / "profile"
    settings = Settings.from_env({"WIREDESK_HOME": str(home), **changed, "WIREDESK_WORKERS": "1"})
    now = datetime.now(UTC)
    for name, url in server.feed_urls()[:feeds]:
        register_feed(settings, url, name, now)
    profiler = cProfile.Profile()
    profiler.enable()
    report = run_cycle(settings, now)
    profiler.disable()
    return {
        "feeds": feeds,
        "articles": report.counts()["articles_stored"],
        **shares(profiler, total_of(profiler, "pipeline.py", "run_cycle"), STEPS),
    }


# -- running ---------------------------------------------------------------------------------------------------


def run(
    articles: int = 10_000,
    feeds: int = 200,
    workers: int | None = None,
    airflow: bool = True,
    airflow_articles: int | None = None,
    airflow_feeds: int | None = None,
    airflow_home: Path | None = None,
    with_profile: bool | None = None,
    later_cycles: bool = True,
    bound_twice: bool = True,
    quiet: bool = False,
) -> dict[str, Any]:
    """The whole benchmark; returns the figures written as JSON. ``with_profile`` None: when the target is missed;
    ``later_cycles``: also run-once's no-op and idle cycles; ``bound_twice``: the bound after run-once too."""
    say: Callable[..., None] = (lambda *a, **k: None) if quiet else (lambda *a, **k: print(*a, **k, flush=True))
    machine = describe()
    workers = workers or os.cpu_count() or 1
    started = time.perf_counter()
    say(f"machine: {summary(machine)}")
    with tempfile.TemporaryDirectory(prefix="wiredesk-e2e-") as tmp:
        scratch = Path(tmp)
        server = SynthServer(articles, feeds=feeds, prerender=True)
        pages, longest = corpus_pages(server, datetime.now(UTC))
        if len(pages) != articles:
            raise BenchmarkFailed(f"the feeds list {len(pages)} pages, not {articles}")
        model = site_model(pages, LOOPBACK)
        bound = Bound(pages, model, workers)  # forks before the server's thread starts
        del pages
        prepared = time.perf_counter() - started
        say(f"corpus: {articles} articles over {feeds} feeds, longest feed {longest}; prepared in {prepared:.0f} s")
        changed = settings_changed(workers, longest)
        result: dict[str, Any] = {
            "benchmark": "end_to_end",
            "machine": machine,
            "parameters": {
                "articles": articles,
                "feeds": feeds,
                "workers": workers,
                "settings_changed": changed,
                "site_model_keys": len(model.keys),
            },
        }
        try:
            server.start()
            say("bound: extractor alone in the pool ...")
            before = bound.measure()
            say(f"  {before['pages_per_s']:.0f} pages/s ({before['seconds']:.1f} s)")
            home = scratch / "run-once"
            env = wiredesk_env(home, changed)
            register_with_cli(home, env, server.feed_urls())
            say(f"run-once: {workers} workers, first cycle ...")
            first = run_once(env)
            say(f"  {first['seconds']:.1f} s, {articles / first['seconds']:.0f} articles/s")
            stored = check_first_cycle("run-once", store_url(home), first["counts"], articles, feeds)
            quality = cluster_quality(server, store_url(home))
            noop = idle = None
            if later_cycles:
                make_feeds_due(store_url(home))
                say("run-once: no-op cycle, then idle cycle ...")
                noop = run_once(env)
                check_noop_cycle("run-once no-op", noop["counts"], feeds)
                idle = run_once(env)
                check_idle_cycle("run-once idle", idle["counts"])
                say(f"  no-op {noop['seconds']:.1f} s, idle {idle['seconds']:.1f} s")
            after = None
            if bound_twice:
                say("bound: again ...")
                after = bound.measure()
                say(f"  {after['pages_per_s']:.0f} pages/s ({after['seconds']:.1f} s)")
            bound.close()
            measured = [before] if after is None else [before, after]
            best = max(measured, key=lambda b: b["pages_per_s"])
            rate = articles / first["seconds"]
            ratio = rate / best["pages_per_s"]
            phases = first["phases"]
            feeds_rate = articles / phases["all_feeds_done_s"] if phases["all_feeds_done_s"] else None
            steady = (first["steady_state"] or {}).get("articles_per_s")
            bound_cpu_ms = min(m["cpu_ms_per_page"] for m in measured)
            run_cpu_ms = 1000 * (first["run_once_cpu_s"] or 0.0) / articles
            result["bound"] = {
                "before": before,
                "after": after,
                "pages_per_s": best["pages_per_s"],
                "cpu_ms_per_page": bound_cpu_ms,
            }
            result["run_once"] = {
                "first": first,
                "noop": noop,
                "idle": idle,
                "articles_per_s": rate,
                "articles_per_s_until_all_feeds_done": feeds_rate,
                "cpu_ms_per_article": run_cpu_ms,
                "store_counts": stored,
                "clusters": quality,
            }
            result["ratio"] = ratio
            result["ratio_until_all_feeds_done"] = None if feeds_rate is None else feeds_rate / best["pages_per_s"]
            result["ratio_steady_state"] = None if steady is None else steady / best["pages_per_s"]
            # CPU per page of the extractor alone over CPU per article of run-once (all its processes): what the
            # ratio would be with every core free to it and nothing sequential; unbent by other processes
            result["cpu_ratio"] = bound_cpu_ms / run_cpu_ms
            result["targets"] = {"ratio_min": TARGET_RATIO, "ratio_met": ratio >= TARGET_RATIO}
            if airflow:
                a_articles = airflow_articles or articles
                a_feeds = airflow_feeds or feeds
                if (a_articles, a_feeds) == (articles, feeds):
                    result["airflow"] = airflow_part(server, first, changed, scratch, airflow_home, say)
                else:
                    other = SynthServer(a_articles, feeds=a_feeds, prerender=True)
                    with other:
                        result["airflow"] = airflow_part(other, None, changed, scratch, airflow_home, say)
                result["airflow"]["same_corpus"] = (a_articles, a_feeds) == (articles, feeds)
            if with_profile or (with_profile is None and ratio < TARGET_RATIO):
                subset = max(1, round(feeds * min(1.0, PROFILE_ARTICLES / articles)))
                say(f"profile: run_cycle, one worker, first {subset} feeds ...")
                result["profile"] = profile_cycle(server, subset, changed, scratch)
        finally:
            bound.close()
            server.stop()
    result["seconds"] = time.perf_counter() - started
    if not quiet:
        report(result)
    return result


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _cores(value: float | None) -> str:
    return "(unknown)" if value is None else f"{value:.2f}"


def _cores_used(cpu_s: float | None, seconds: float) -> str:
    return "-" if cpu_s is None else f"{cpu_s / seconds:.2f}"


def report(result: dict[str, Any]) -> None:
    p, b, r = result["parameters"], result["bound"], result["run_once"]
    print()
    print(f"corpus: {p['articles']} articles over {p['feeds']} feeds on {LOOPBACK}; {p['workers']} workers; "
          f"settings changed: {', '.join(f'{k}={v}' for k, v in p['settings_changed'].items())}")  # fmt: skip
    print(f"\n{'measure':<44} {'seconds':>8} {'per s':>6} {'CPU s':>7} {'CPU ms/page':>11} {'cores used':>10} "
          f"{'server CPU s':>12} {'other cores':>11}")  # fmt: skip
    for label, m in (("extraction-only bound, before run-once", b["before"]),
                     ("extraction-only bound, after run-once", b["after"])):  # fmt: skip
        if m is None:
            continue
        cpu = m["cpu_ms_per_page"] * m["pages"] / 1000
        print(f"{label:<44} {m['seconds']:>8.1f} {m['pages_per_s']:>6.0f} {cpu:>7.1f} {m['cpu_ms_per_page']:>11.2f} "
              f"{_cores_used(cpu, m['seconds']):>10} {'':>12} {_cores(m['other_processes_cores']):>11}")  # fmt: skip
    for label, m, n in (("run-once, first cycle (all new)", r["first"], p["articles"]),
                        ("run-once, no-op cycle (all feeds, none new)", r["noop"], None),
                        ("run-once, idle cycle (no feed due)", r["idle"], None)):  # fmt: skip
        if m is None:
            continue
        per_s = f"{n / m['seconds']:>6.0f}" if n else f"{'':>6}"
        per_page = f"{1000 * m['run_once_cpu_s'] / n:>11.2f}" if n else f"{'':>11}"
        print(f"{label:<44} {m['seconds']:>8.1f} {per_s} {m['run_once_cpu_s']:>7.1f} {per_page} "
              f"{_cores_used(m['run_once_cpu_s'], m['seconds']):>10} {m['server_cpu_s']:>12.1f} "
              f"{_cores(m['other_processes_cores']):>11}")  # fmt: skip
    ph, steady = r["first"]["phases"], r["first"]["steady_state"]
    print(f"\nrun-once first cycle, phases (s from its start): first feed done {_s(ph['first_feed_done_s'])}, all "
          f"{p['feeds']} feeds done {_s(ph['all_feeds_done_s'])}; dedupe {_s(ph['dedupe_s'])}; recording the run and "
          f"exit {_s(ph['after_dedupe_s'])}")  # fmt: skip
    if steady:
        print(f"steady state (feeds done after each worker's first, start-up excluded): {steady['articles']} articles "
              f"in {steady['seconds']:.1f} s, {_s(steady['articles_per_s'])} articles/s")  # fmt: skip
    q = r["clusters"]
    print(f"stored: {r['store_counts']['articles']} articles, {r['store_counts']['clusters']} clusters "
          f"({q['true_clusters']} in the corpus's truth; pairwise precision {q['pairwise_precision']:.3f}, recall "
          f"{q['pairwise_recall']:.3f}), {r['store_counts']['stories']} stories")  # fmt: skip
    met = "met" if result["targets"]["ratio_met"] else "NOT met"
    print(f"\nrun-once {r['articles_per_s']:.0f} articles/s against the bound's {b['pages_per_s']:.0f} pages/s: "
          f"ratio {result['ratio']:.2f} (target >= {TARGET_RATIO}: {met})")  # fmt: skip
    for label, key in (("until all feeds were done (no dedupe, no exit)", "ratio_until_all_feeds_done"),
                       ("steady state (no start-up, no dedupe)", "ratio_steady_state")):  # fmt: skip
        if result[key] is not None:
            print(f"  ratio {label}: {result[key]:.2f}")
    print(f"  CPU ratio (the bound's {b['cpu_ms_per_page']:.2f} ms a page over run-once's "
          f"{r['cpu_ms_per_article']:.2f} ms an article, all its processes): {result['cpu_ratio']:.2f}")  # fmt: skip
    if "airflow" in result:
        a = result["airflow"]
        corpus = (
            "the same corpus"
            if a["same_corpus"]
            else f"a smaller corpus: {a['articles']} articles over {a['feeds']} feeds"
        )
        print(f"\nAirflow (dag.test(), task instances one at a time) on {corpus}, against run-once with one worker:")
        print(f"{'cycle':<6} {'DAG s':>7} {'run-once 1w s':>13} {'overhead s':>10} {'per feed task s':>15} "
              f"{'DAG/run-once':>12} {'DAG CPU s':>9} {'run-once CPU s':>14} {'CPU per feed task s':>19} "
              f"{'TIs':>4}")  # fmt: skip
        for cycle, o in a["overhead"].items():
            per = "-" if o["overhead_per_feed_task_s"] is None else f"{o['overhead_per_feed_task_s']:.3f}"
            cpu_per = "-" if o["cpu_overhead_per_feed_task_s"] is None else f"{o['cpu_overhead_per_feed_task_s']:.3f}"
            print(f"{cycle:<6} {o['dag_s']:>7.1f} {o['run_once_1_worker_s']:>13.1f} {o['overhead_s']:>10.1f} "
                  f"{per:>15} {o['dag_over_run_once']:>12.2f} {o['dag_cpu_s']:>9.1f} "
                  f"{o['run_once_1_worker_cpu_s']:>14.1f} {cpu_per:>19} "
                  f"{a['dag'][cycle]['task_instances']:>4}")  # fmt: skip
        sp = a["overhead_split"]
        print(f"overhead split (from the idle and no-op cycles): {sp['fixed_per_cycle_s']:.1f} s "
              f"({sp['fixed_per_cycle_cpu_s']:.1f} s CPU) fixed per cycle, {sp['per_feed_task_s']:.3f} s "
              f"({sp['per_feed_task_cpu_s']:.3f} s CPU) per feed task")  # fmt: skip
        first = a["overhead"]["first"]
        if "run_once_workers_s" in first:
            print(f"the first DAG cycle took {first['dag_over_run_once_workers']:.2f} times run-once's with "
                  f"{p['workers']} workers ({first['run_once_workers_s']:.1f} s)")  # fmt: skip
        print(f"(each dag.test() process also spent {a['dag']['first']['startup_s']:.1f} s importing Airflow and "
              f"parsing the DAG, not counted above; other processes kept "
              f"{_cores(a['dag']['first']['other_processes_cores'])} cores busy in its first cycle)")  # fmt: skip
    if "profile" in result:
        prof = result["profile"]
        print(f"\nwhere a one-worker cycle spends its time (cProfile of run_cycle, first {prof['feeds']} feeds, "
              f"{prof['articles']} articles, {prof['total_s']:.1f} s; cumulative):")  # fmt: skip
        for label, share in prof["steps"].items():
            print(f"  {share:>6.1%}  {label}")
        print("  top functions by own time:")
        for row in prof["top_own_time"][:15]:
            print(f"  {row['share']:>6.1%}  {row['function']} ({row['calls']} calls)")
    print(f"\n{result['seconds']:.0f} s in all")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="about half a minute, for CI: 400 articles, 10 feeds")
    parser.add_argument("--articles", type=int, default=None, help="articles in the corpus (default 10000)")
    parser.add_argument("--feeds", type=int, default=None, help="feeds, one outlet each (default 200)")
    parser.add_argument("--workers", type=int, default=None, help="run-once's workers and the bound's (default cores)")
    parser.add_argument("--skip-airflow", action="store_true", help="no DAG cycles (always skipped with --quick)")
    parser.add_argument("--airflow-articles", type=int, default=None, help="the DAG's corpus (default: the same)")
    parser.add_argument("--airflow-feeds", type=int, default=None, help="the DAG corpus's feeds (default: the same)")
    parser.add_argument("--airflow-home", type=Path, default=None, help="an Airflow home to reuse (default: temp)")
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="profile a one-worker cycle (default: if the target is missed; not with --quick)",
    )
    parser.add_argument("--json-out", type=Path, default=RESULTS / "end_to_end.json", help="where to write figures")
    args = parser.parse_args(argv)
    quick = args.quick
    try:
        result = run(
            articles=args.articles or (QUICK_ARTICLES if quick else 10_000),
            feeds=args.feeds or (QUICK_FEEDS if quick else 200),
            workers=args.workers,
            airflow=not (args.skip_airflow or quick),
            airflow_articles=args.airflow_articles,
            airflow_feeds=args.airflow_feeds,
            airflow_home=args.airflow_home,
            with_profile=args.profile if args.profile is not None else (False if quick else None),
            later_cycles=not quick,
            bound_twice=not quick,
        )
    except BenchmarkFailed as exc:
        print(f"end_to_end: failed: {exc}", file=sys.stderr)
        return 1
    result["parameters"]["quick"] = quick
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(f"figures written to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
