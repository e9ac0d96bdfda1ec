"""Dedupe at scale: 1,000 new articles placed against a window of up to 1,000,000 indexed articles, on SQLite
and PostgreSQL, side by side in one run with the same batch against a small window (how cost grows with the
window) and with datasketch's in-memory MinHashLSH (candidate lookup only, no verification: a floor).

    .venv/bin/python benchmarks/dedupe_scale.py [--indexed 1000000] [--new 1000] [--backends sqlite,postgresql]
                                                [--json-out benchmarks/results/dedupe_scale.json] [--quick]

How the window is built: ``--indexed`` placed articles, each with its signature, cluster, membership and 28
index keys, written straight into the store in bulk (going through the pipeline would take hours and measure
ingestion, not dedupe). Most are *filler*: unrelated articles whose signatures are those of random shingle
sets (so they behave like unrelated copy in the LSH bands). The rest are real: the originals of the stories the
new batch belongs to, placed by the pipeline itself, so the new batch finds them and joins their clusters.
The measured step is ``wiredesk.pipeline.dedupe_pending`` in a fresh process (wall time and its peak RSS).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from datasketch import LeanMinHash, MinHashLSH
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import describe
from synth import generate

from dedupe import DedupeConfig, index_params, to_bytes
from dedupe.signature import SCHEME, signature_params
from storage import (
    NewArticle,
    Store,
)
from storage import schema as t
from wiredesk.pipeline import article_id_for, content_hash, dedupe_pending, ensure_index
from wiredesk.settings import Settings

NOW = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
CHUNK = 20_000
RESULTS = Path(__file__).resolve().parent / "results" / "dedupe_scale.json"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _filler_signature(rng: np.random.Generator, config: DedupeConfig) -> LeanMinHash:
    values = rng.integers(0, 2**32 - 1, size=config.num_perm, dtype=np.uint64).astype(np.uint32)
    return LeanMinHash(seed=config.seed, hashvalues=values, scheme=SCHEME)


def _filler_rows(n: int, config: DedupeConfig, seed: int) -> Iterator[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    for i in range(n):
        article_id = "f" + hashlib.blake2b(f"filler-{seed}-{i}".encode(), digest_size=8).hexdigest()
        published = NOW - timedelta(days=6, seconds=-int(i * 6 * 86400 / max(n, 1)))
        yield {"id": article_id, "published": published, "sig": to_bytes(_filler_signature(rng, config))}


def build_window(store: Store, settings: Settings, indexed: int, seed: int) -> float:
    """Write ``indexed`` filler articles in bulk, then build the index from their signatures. The store is
    marked as holding current signatures: the fillers have no text, and recomputing theirs from it would give
    them all the empty text's signature (one shared set of index keys, not a window of unrelated copy)."""
    started = time.perf_counter()
    with store._engine.begin() as conn:
        conn.execute(t.meta.insert(), [{"name": "signatures", "value": signature_params(settings.dedupe)}])
        conn.execute(
            t.feeds.insert(),
            [
                {
                    "id": 1,
                    "url": "http://bench.invalid/feed",
                    "name": "bench",
                    "created_at": NOW,
                    "consecutive_errors": 0,
                    "quiet_polls": 0,
                }
            ],
        )
    batch: list[dict[str, Any]] = []
    for row in _filler_rows(indexed, settings.dedupe, seed):
        batch.append(row)
        if len(batch) >= CHUNK:
            _write_fillers(store, batch)
            batch = []
    if batch:
        _write_fillers(store, batch)
    ensure_index(store, settings.dedupe, NOW, force=True)
    with store._engine.connect() as conn:  # the window is what it claims: unrelated signatures, 28 keys each
        sample = conn.execute(select(t.signatures.c.hashvalues).limit(1000)).scalars().all()
        keys = conn.execute(select(func.count()).select_from(t.index_keys)).scalar_one()
    if len(set(sample)) != len(sample) or keys < indexed * 27:
        raise SystemExit(f"the window was not built as planned: {len(set(sample))} distinct of {len(sample)} "
                         f"signatures sampled, {keys:,} index keys for {indexed:,} articles")  # fmt: skip
    return time.perf_counter() - started


def _write_fillers(store: Store, rows: list[dict[str, Any]]) -> None:
    cluster = {r["id"]: "c" + r["id"][1:] for r in rows}
    with store._engine.begin() as conn:
        conn.execute(
            t.articles.insert(),
            [
                {
                    "id": r["id"],
                    "url": f"http://bench.invalid/{r['id']}",
                    "content_hash": r["id"],
                    "feed_id": 1,
                    "fetched_at": r["published"],
                    "published_at": r["published"],
                    "body": "",
                    "word_count": 0,
                    "extractor": "filler",
                    "host": "bench.invalid",
                }
                for r in rows
            ],
        )
        conn.execute(
            t.signatures.insert(),
            [{"article_id": r["id"], "hashvalues": r["sig"], "published_at": r["published"]} for r in rows],
        )
        conn.execute(
            t.clusters.insert(),
            [
                {
                    "id": cluster[r["id"]],
                    "founder_id": r["id"],
                    "canonical_id": r["id"],
                    "canonical_reason": "filler",
                    "size": 1,
                    "created_at": r["published"],
                    "updated_at": r["published"],
                }
                for r in rows
            ],
        )
        conn.execute(
            t.memberships.insert(),
            [
                {"article_id": r["id"], "cluster_id": cluster[r["id"]], "rule": "founder", "decided_at": r["published"]}
                for r in rows
            ],
        )


def _articles(records: list[Any], fetched: datetime) -> list[NewArticle]:
    out = []
    for r in records:
        digest = content_hash(r.text)
        url = f"http://bench.invalid/{r.id}"
        out.append(
            NewArticle(
                id=article_id_for(url, digest),
                url=url,
                content_hash=digest,
                feed_id=1,
                fetched_at=fetched,
                body=r.text,
                word_count=len(r.text.split()),
                extractor="synth",
                title=r.title,
                published_at=r.published,
                outlet=r.outlet,
                agency=r.agency,
                host="bench.invalid",
            )
        )
    return out


def place_originals_and_stage_batch(settings: Settings, new: int, seed: int) -> tuple[int, int]:
    """Synthetic stories published over the last day: every other story's original is placed by the pipeline
    first (it joins the window); everything else is the new batch, stored pending: copies of the window's
    originals (they join its clusters) and whole new stories (they found clusters). Returns (placed, pending)."""
    records = list(generate(int(new * 1.4), seed=seed, duplicate_rate=0.5, start=NOW - timedelta(days=1)))
    stories = sorted({r.story_id for r in records})
    known = set(stories[::2])
    originals = [r for r in records if r.story_id in known and r.variant == "original"]
    batch = [r for r in records if r not in originals][:new]
    with settings.open_store() as store:
        for article in _articles(originals, NOW - timedelta(hours=2)):
            store.save_article(article)
    dedupe_pending(settings, NOW - timedelta(hours=1))
    with settings.open_store() as store:
        for article in _articles(batch, NOW):
            store.save_article(article)
    return len(originals), len(batch)


def measure_in_child(store_url: str) -> dict[str, float]:
    """Run dedupe_pending in a fresh process: its wall time and its peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(
        [sys.executable, __file__, "--measure", store_url], check=True, capture_output=True, text=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["peak_rss_mib"] = max(peak, before) / 1024
    return result


def _measure(store_url: str) -> None:
    settings = replace(Settings.from_env({}), store_url=store_url)
    started = time.perf_counter()
    report = dedupe_pending(settings, NOW)
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": wall,
                "decided": report.decided,
                "joined": report.joined,
                "clusters_created": report.clusters_created,
            }
        )
    )


def _store_url(backend: str, tmp: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / (name + '.db')}"
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def run_case(backend: str, indexed: int, new: int, tmp: Path, seed: int) -> dict[str, Any]:
    name = f"wiredesk_bench_{backend}_{indexed}"
    url = _store_url(backend, tmp, name)
    settings = replace(Settings.from_env({}), store_url=url)
    with Store.open(url) as store:
        build_s = build_window(store, settings, indexed, seed)
    originals, pending = place_originals_and_stage_batch(settings, new, seed)
    result = measure_in_child(url)
    per_1000 = result["seconds"] * 1000 / max(pending, 1)
    print(
        f"  {backend:<10} window {indexed + originals:>9,}: {pending} new in {result['seconds']:.2f} s "
        f"({per_1000:.2f} s per 1,000), peak RSS {result['peak_rss_mib']:.0f} MiB; "
        f"{result['joined']} joined, {result['clusters_created']} new clusters (window built in {build_s:.0f} s)",
        flush=True,
    )
    return {
        "backend": backend,
        "indexed": indexed + originals,
        "new": pending,
        "per_1000_s": per_1000,
        "build_s": build_s,
        **result,
    }


def datasketch_floor(indexed: int, new: int, seed: int, config: DedupeConfig) -> dict[str, float]:
    """datasketch MinHashLSH in memory over the same kind of window: insert and query time only."""
    from dedupe import features, minhash

    lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    for i in range(indexed):
        lsh.insert(f"f{i}", _filler_signature(rng, config), check_duplication=False)
    insert_s = time.perf_counter() - started
    records = list(generate(new, seed=seed + 1, duplicate_rate=0.5))
    sigs = [minhash(features(r.text, config.shingle_size).shingles, config) for r in records]
    started = time.perf_counter()
    for sig in sigs:
        lsh.query(sig)
    query_s = time.perf_counter() - started
    return {"insert_s": insert_s, "query_s": query_s, "query_per_1000_s": query_s * 1000 / new}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--indexed", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000, help="the small window, for the growth ratio")
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="20,000 indexed, 200 new, SQLite (for CI)")
    parser.add_argument("--json-out", type=Path, default=RESULTS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        _measure(args.measure)
        return 0
    if args.quick:
        args.indexed, args.small, args.new, args.backends = 20_000, 2_000, 200, "sqlite"
    config = Settings.from_env({}).dedupe
    rows = []
    with tempfile.TemporaryDirectory(prefix="wiredesk-bench-") as tmp:
        for backend in args.backends.split(","):
            for indexed in (args.small, args.indexed):
                rows.append(run_case(backend, indexed, args.new, Path(tmp), args.seed))
    floor = datasketch_floor(args.indexed, args.new, args.seed, config)
    print(
        f"  datasketch MinHashLSH in memory, {args.indexed:,} inserted: query only "
        f"{floor['query_per_1000_s']:.3f} s per 1,000 (insert {floor['insert_s']:.0f} s)"
    )
    print()
    print(f"{'backend':<11} {'window':>10} {'s / 1,000 new':>14} {'peak RSS MiB':>13} {'vs small window':>16}")
    for backend in args.backends.split(","):
        small, large = (r for r in rows if r["backend"] == backend)
        for r in (small, large):
            print(
                f"{backend:<11} {r['indexed']:>10,} {r['per_1000_s']:>14.2f} {r['peak_rss_mib']:>13.0f} "
                f"{r['per_1000_s'] / small['per_1000_s']:>15.2f}x"
            )
    result = {"machine": describe(), "index": index_params(config), "cases": rows, "datasketch_floor": floor}
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\nwrote {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
