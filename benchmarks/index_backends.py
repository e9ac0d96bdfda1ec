"""Where the shared dedupe index should live: measured side by side in one run.

    .venv/bin/python benchmarks/index_backends.py [--docs N] [--queries N] [--json PATH]

Several dedupe workers need one candidate index. The candidates: datasketch's ``MinHashLSH`` with its
Redis storage backend (shared through Redis), and wiredesk's own band keys in the store's ``index_keys``
table (shared through the store: PostgreSQL, or SQLite for one machine), against datasketch in memory (not
shared: the reference). Each gets the same signatures (128 permutations, threshold 0.2: 28 bands of 2
rows) and answers the same queries; the figures are inserts and queries per second, and whether each
returned exactly the in-memory candidates. Needs Redis on 127.0.0.1:6379 (database 7, flushed) and
PostgreSQL on 127.0.0.1:5432 (a throwaway database).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg
from datasketch import LeanMinHash, MinHashLSH

from dedupe import DedupeConfig, band_keys
from storage import Store
from storage.schema import articles, clusters, index_keys, memberships

RESULTS = Path(__file__).resolve().parent / "results"
CONFIG = DedupeConfig()
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def signatures(n: int, seed: int = 5) -> list[LeanMinHash]:
    """Random signatures, a tenth of them near-copies of another (most values shared)."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 2**32 - 1, size=(n, CONFIG.num_perm), dtype=np.uint64).astype(np.uint32)
    for i in range(1, n, 10):
        keep = rng.random(CONFIG.num_perm) < 0.7
        values[i][keep] = values[i - 1][keep]
    return [LeanMinHash(seed=CONFIG.seed, hashvalues=v, scheme="affine32") for v in values]


def run_memory(sigs: list[LeanMinHash], queries: list[int]) -> tuple[float, float, list[set[str]]]:
    lsh = MinHashLSH(threshold=CONFIG.lsh_threshold, num_perm=CONFIG.num_perm)
    start = time.perf_counter()
    for i, sig in enumerate(sigs):
        lsh.insert(f"d{i}", sig)
    inserted = time.perf_counter() - start
    start = time.perf_counter()
    found = [set(lsh.query(sigs[q])) for q in queries]
    return inserted, time.perf_counter() - start, found


def run_redis(sigs: list[LeanMinHash], queries: list[int]) -> tuple[float, float, list[set[str]]]:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=7).flushdb()
    lsh = MinHashLSH(
        threshold=CONFIG.lsh_threshold,
        num_perm=CONFIG.num_perm,
        storage_config={
            "type": "redis",
            "basename": b"wiredesk",
            "redis": {"host": "127.0.0.1", "port": 6379, "db": 7},
        },
    )
    start = time.perf_counter()
    with lsh.insertion_session(buffer_size=5000) as session:
        for i, sig in enumerate(sigs):
            session.insert(f"d{i}", sig)
    inserted = time.perf_counter() - start
    start = time.perf_counter()
    found = [set(lsh.query(sigs[q])) for q in queries]
    elapsed = time.perf_counter() - start
    redis.Redis(host="127.0.0.1", port=6379, db=7).flushdb()
    return inserted, elapsed, found


def run_store(url: str, sigs: list[LeanMinHash], queries: list[int]) -> tuple[float, float, list[set[str]]]:
    """wiredesk's index: band keys in ``index_keys``, joined to memberships as the pipeline queries it."""
    with Store.open(url) as store:
        engine = store._engine
        ids = [f"d{i}" for i in range(len(sigs))]
        with engine.begin() as conn:  # the rows the index refers to (not timed)
            conn.execute(
                articles.insert(),
                [
                    {
                        "id": i,
                        "url": i,
                        "content_hash": i,
                        "fetched_at": T0,
                        "body": "",
                        "word_count": 0,
                        "extractor": "b",
                    }
                    for i in ids
                ],
            )
        start = time.perf_counter()
        with engine.begin() as conn:
            rows = [
                {"key": k, "article_id": i, "published_at": T0}
                for i, s in zip(ids, sigs, strict=True)
                for k in band_keys(s, CONFIG)
            ]
            for n in range(0, len(rows), 20_000):
                conn.execute(index_keys.insert(), rows[n : n + 20_000])
        inserted = time.perf_counter() - start
        with engine.begin() as conn:  # every article in a cluster of its own (not timed)
            conn.execute(
                clusters.insert(),
                [
                    {
                        "id": i,
                        "founder_id": i,
                        "canonical_id": i,
                        "canonical_reason": "only version",
                        "size": 1,
                        "created_at": T0,
                        "updated_at": T0,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                memberships.insert(),
                [{"article_id": i, "cluster_id": i, "rule": "founder", "decided_at": T0} for i in ids],
            )
        with engine.begin() as conn:  # table statistics, as autovacuum keeps them in production (not timed)
            conn.exec_driver_sql("ANALYZE")
        start = time.perf_counter()
        found = [{c.article_id for c in store.index_candidates(band_keys(sigs[q], CONFIG))} for q in queries]
        return inserted, time.perf_counter() - start, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--json", type=Path, default=RESULTS / "index_backends.json")
    args = parser.parse_args(argv)
    sigs = signatures(args.docs)
    queries = list(range(0, args.docs, max(1, args.docs // args.queries)))[: args.queries]
    results: dict[str, dict[str, float | bool]] = {}
    reference = None
    db = f"wiredesk_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    try:
        sqlite_path = RESULTS / "index_backends.sqlite"
        RESULTS.mkdir(parents=True, exist_ok=True)
        sqlite_path.unlink(missing_ok=True)
        systems = {
            "memory (datasketch)": lambda: run_memory(sigs, queries),
            "redis (datasketch)": lambda: run_redis(sigs, queries),
            "postgresql (index_keys)": lambda: run_store(
                f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}", sigs, queries
            ),
            "sqlite (index_keys)": lambda: run_store(f"sqlite:///{sqlite_path}", sigs, queries),
        }
        print(f"{args.docs} signatures, {len(queries)} queries, threshold {CONFIG.lsh_threshold}")
        print(f"{'index':<26} {'inserts/s':>10} {'queries/s':>10}  same candidates")
        for name, run in systems.items():
            inserted, queried, found = run()
            reference = reference or found
            same = found == reference
            results[name] = {
                "inserts_per_s": args.docs / inserted,
                "queries_per_s": len(queries) / queried,
                "same": same,
            }
            print(f"{name:<26} {args.docs / inserted:>10.0f} {len(queries) / queried:>10.0f}  {same}")
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"docs": args.docs, "queries": len(queries), "systems": results}, indent=2))
    print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
