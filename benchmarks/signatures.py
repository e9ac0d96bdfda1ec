"""Signatures: wiredesk's MinHash path against datasketch's, side by side in one run, on ~700-word articles.

    .venv/bin/python benchmarks/signatures.py [--docs N] [--repeat R] [--json-out PATH] [--quick]

The articles come from the synthetic wire corpus generator (``benchmarks/synth.py``, originals only, 650 to 750
words, seeded), else from a small seeded generator over the Herat corpus's words. Every system gets the same
articles, tokenised once by ``dedupe.normalize.tokens``; each round times every system once, in turn, and
a system's figure is its best round (``--repeat``), so load on the machine hits all of them alike. One process,
one thread: every figure is single-core (numpy's element-wise operations do not use threads).

Signatures from the shingles (shingling excluded for datasketch, which gets each article's 5-word shingles as
bytes, built beforehand; wiredesk's batch and per-article-from-words paths build their own shingles from the
tokens, so their figures include that work):

- ``datasketch update``: a fresh ``MinHash(num_perm=128, seed=1)`` per article, ``update`` once per shingle;
- ``datasketch update_batch``: a fresh ``MinHash`` per article, one ``update_batch``;
- ``datasketch bulk``: ``MinHash.bulk`` over all the articles;
- ``wiredesk before``: the path this replaced (``update_batch`` with shared permutations, SHA-1 per shingle);
- ``wiredesk minhash``: ``dedupe.signature.minhash`` per article from the same shingle bytes as datasketch;
- ``wiredesk minhash_words``: per article, from the tokens (our shingling included);
- ``wiredesk minhashes``: all articles at once, from the tokens (our shingling included).

From the tokens (shingling included for both): ``datasketch bulk`` after ``shingles``, against ``wiredesk
minhashes``. From the text (tokenising and shingling included for both): ``datasketch bulk`` after ``tokens`` and
``shingles``, against ``wiredesk minhashes`` after ``tokens`` (tokenising, a regular expression over the text,
then costs most of either).

The headline ratio is ``wiredesk minhashes`` over ``datasketch bulk`` (target: at least 10): the conservative one,
datasketch's shingling excluded and ours included. Before timing, the
run checks that every wiredesk path gives the same signatures, and that they equal datasketch's
``MinHash(scheme="affine32", hashfunc=shingle_hash)`` fed the shingles: the speed is not bought with other values.
Prints a table and writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import datasketch
import numpy as np
from datasketch import LeanMinHash, MinHash

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dedupe import DedupeConfig, tokens  # noqa: E402
from dedupe.normalize import shingles  # noqa: E402
from dedupe.signature import SIGNATURE_SCHEME, minhash, minhash_words, minhashes, shingle_hash  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CONFIG = DedupeConfig()
HEADLINE = ("wiredesk minhashes", "datasketch bulk")
QUICK_BOUND = 3.0  # what CI asks of the headline ratio in --quick mode (loose: a shared runner is noisy)


@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    words: list[list[str]]
    shingles: list[list[bytes]]
    source: str


def articles(n: int, seed: int) -> tuple[list[str], str]:
    """``n`` articles of about 700 words: synth.py's originals when it is there, else a local generator."""
    try:
        import synth  # the synthetic corpus generator (issue 8), when present

        records = synth.generate(n, seed=seed, duplicate_rate=0.0, min_words=650, max_words=750, mode_words=700)
        return [r.text for r in records], f"benchmarks/synth.py (seed {seed}, originals, 650-750 words)"
    except ImportError:
        return _local_articles(n, seed), f"local generator (seed {seed}, Herat corpus words, 700 words)"


def _local_articles(n: int, seed: int) -> list[str]:
    from wiredesk.corpus import load_corpus

    pool = [w for text in load_corpus().texts.values() for w in text.body.split()]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(pool) for _ in range(700)]
        out.append("\n\n".join(" ".join(words[i : i + 60]) for i in range(0, 700, 60)))
    return out


def load(n: int, seed: int) -> Corpus:
    texts, source = articles(n, seed)
    words = [tokens(t) for t in texts]
    return Corpus(texts, words, [sorted(shingles(w, CONFIG.shingle_size)) for w in words], source)


# -- the systems ----------------------------------------------------------------------------------------


def ds_update(corpus: Corpus, docs: Sequence[int]) -> list[MinHash]:
    out = []
    for d in docs:
        m = MinHash(num_perm=CONFIG.num_perm, seed=CONFIG.seed)
        for s in corpus.shingles[d]:
            m.update(s)
        out.append(m)
    return out


def ds_update_batch(corpus: Corpus, docs: Sequence[int]) -> list[MinHash]:
    out = []
    for d in docs:
        m = MinHash(num_perm=CONFIG.num_perm, seed=CONFIG.seed)
        m.update_batch(corpus.shingles[d])
        out.append(m)
    return out


def ds_bulk(corpus: Corpus, docs: Sequence[int]) -> list[MinHash]:
    return list(MinHash.bulk([corpus.shingles[d] for d in docs], num_perm=CONFIG.num_perm, seed=CONFIG.seed))


@cache
def _before_permutations() -> Any:
    return MinHash(num_perm=CONFIG.num_perm, seed=CONFIG.seed, scheme="affine32").permutations


def wiredesk_before(corpus: Corpus, docs: Sequence[int]) -> list[LeanMinHash]:
    """dedupe.signature.minhash as it was: datasketch's update_batch (SHA-1 per shingle), shared permutations."""
    out = []
    for d in docs:
        m = MinHash(num_perm=CONFIG.num_perm, seed=CONFIG.seed, scheme="affine32", permutations=_before_permutations())
        m.update_batch(corpus.shingles[d])
        out.append(LeanMinHash(m))
    return out


def wd_minhash(corpus: Corpus, docs: Sequence[int]) -> list[LeanMinHash]:
    return [minhash(corpus.shingles[d], CONFIG) for d in docs]


def wd_minhash_words(corpus: Corpus, docs: Sequence[int]) -> list[LeanMinHash]:
    return [minhash_words(corpus.words[d], CONFIG) for d in docs]


def wd_minhashes(corpus: Corpus, docs: Sequence[int]) -> list[LeanMinHash]:
    return minhashes([corpus.words[d] for d in docs], CONFIG)


def ds_bulk_from_tokens(corpus: Corpus, docs: Sequence[int]) -> list[MinHash]:
    prepared = [sorted(shingles(corpus.words[d], CONFIG.shingle_size)) for d in docs]
    return list(MinHash.bulk(prepared, num_perm=CONFIG.num_perm, seed=CONFIG.seed))


def ds_bulk_from_text(corpus: Corpus, docs: Sequence[int]) -> list[MinHash]:
    prepared = [sorted(shingles(tokens(corpus.texts[d]), CONFIG.shingle_size)) for d in docs]
    return list(MinHash.bulk(prepared, num_perm=CONFIG.num_perm, seed=CONFIG.seed))


def wd_minhashes_from_text(corpus: Corpus, docs: Sequence[int]) -> list[LeanMinHash]:
    return minhashes([tokens(corpus.texts[d]) for d in docs], CONFIG)


System = Callable[[Corpus, Sequence[int]], Sequence[MinHash]]

# (name, function, input, share of the articles it runs on: update per shingle is slow, a sample does)
SYSTEMS: list[tuple[str, System, str, float]] = [
    ("datasketch update", ds_update, "shingles", 0.1),
    ("datasketch update_batch", ds_update_batch, "shingles", 1.0),
    ("datasketch bulk", ds_bulk, "shingles", 1.0),
    ("wiredesk before", wiredesk_before, "shingles", 1.0),
    ("wiredesk minhash", wd_minhash, "shingles", 1.0),
    ("wiredesk minhash_words", wd_minhash_words, "tokens (+ our shingling)", 1.0),
    ("wiredesk minhashes", wd_minhashes, "tokens (+ our shingling)", 1.0),
    ("datasketch bulk, from tokens", ds_bulk_from_tokens, "tokens (+ shingles)", 1.0),
    ("datasketch bulk, from text", ds_bulk_from_text, "text (+ tokens, shingles)", 1.0),
    ("wiredesk minhashes, from text", wd_minhashes_from_text, "text (+ tokens)", 1.0),
]


def check_agreement(corpus: Corpus, sample: int = 20) -> None:
    """Every wiredesk path gives the same signatures, and they are datasketch's with ``shingle_hash``."""
    docs = list(range(min(sample, len(corpus.texts))))
    batch = wd_minhashes(corpus, docs)
    for name, system in (("minhash", wd_minhash), ("minhash_words", wd_minhash_words)):
        if any(a != b for a, b in zip(system(corpus, docs), batch, strict=True)):
            raise SystemExit(f"signatures: wiredesk {name} disagrees with minhashes")
    for d, ours in zip(docs, batch, strict=True):
        reference = MinHash(num_perm=CONFIG.num_perm, seed=CONFIG.seed, scheme="affine32", hashfunc=shingle_hash)
        reference.update_batch(corpus.shingles[d])
        if not np.array_equal(reference.hashvalues, ours.hashvalues):
            raise SystemExit("signatures: wiredesk disagrees with datasketch MinHash(hashfunc=shingle_hash)")


def measure(corpus: Corpus, repeat: int) -> dict[str, dict[str, Any]]:
    n = len(corpus.texts)
    best: dict[str, float] = {}
    rounds: dict[str, list[float]] = {name: [] for name, *_ in SYSTEMS}
    for _ in range(repeat):
        for name, system, _input, share in SYSTEMS:
            docs = range(max(1, round(n * share)))
            gc.collect()
            start = time.perf_counter()
            system(corpus, docs)
            per_doc = (time.perf_counter() - start) / len(docs)
            rounds[name].append(per_doc)
            best[name] = min(best.get(name, per_doc), per_doc)
    bulk = best["datasketch bulk"]
    out = {}
    for name, _system, given, share in SYSTEMS:
        per_round = [b / t for b, t in zip(rounds["datasketch bulk"], rounds[name], strict=True)]
        out[name] = {
            "input": given,
            "docs": max(1, round(n * share)),
            "docs_per_s": 1 / best[name],
            "us_per_doc": best[name] * 1e6,
            "vs_bulk": bulk / best[name],
            "vs_bulk_median_round": statistics.median(per_round),
        }
    return out


def machine() -> tuple[dict[str, Any], str]:
    """The machine, as every benchmark describes it (``benchmarks/machine.py``), else the essentials."""
    try:
        import machine as described

        info: dict[str, Any] = described.describe()
        return info, described.summary(info)
    except ImportError:
        info = {
            "cpu": {"model": platform.processor() or platform.machine()},
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "libraries": {"numpy": np.__version__, "datasketch": getattr(datasketch, "__version__", None)},
        }
        return info, f"{info['cpu']['model']} x{info['cpu_count']}, Python {info['python']}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000, help="articles (default 1000; --quick: 40)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; each system's best counts (--quick: 3)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json-out", type=Path, default=RESULTS / "signatures.json")
    parser.add_argument("--quick", action="store_true", help=f"a few seconds, for CI: fails below {QUICK_BOUND}x")
    args = parser.parse_args(argv)
    if args.quick:
        args.docs, args.repeat = min(args.docs, 40), min(args.repeat, 3)

    info, summary = machine()
    corpus = load(args.docs, args.seed)
    check_agreement(corpus)
    results = measure(corpus, args.repeat)

    mean_words = statistics.mean(len(w) for w in corpus.words)
    mean_shingles = statistics.mean(len(s) for s in corpus.shingles)
    print(f"signatures: {len(corpus.texts)} articles, {mean_words:.0f} words and {mean_shingles:.0f} shingles each")
    print(f"  from {corpus.source}; num_perm {CONFIG.num_perm}, best of {args.repeat} rounds")
    print(f"  one process, one thread (single core) on {summary}")
    print("  wiredesk's signatures equal datasketch MinHash(scheme='affine32', hashfunc=shingle_hash): checked\n")
    print(f"{'system':32} {'input':28} {'docs':>5} {'docs/s':>9} {'us/doc':>9} {'x bulk':>7}")
    for name, row in results.items():
        print(
            f"{name:32} {row['input']:28} {row['docs']:5d} {row['docs_per_s']:9.0f} {row['us_per_doc']:9.1f} "
            f"{row['vs_bulk']:7.2f}"
        )
    ratio = results[HEADLINE[0]]["vs_bulk"]
    tokens_ratio = results["wiredesk minhashes"]["docs_per_s"] / results["datasketch bulk, from tokens"]["docs_per_s"]
    text_ratio = (
        results["wiredesk minhashes, from text"]["docs_per_s"] / results["datasketch bulk, from text"]["docs_per_s"]
    )
    print(
        f"\n{HEADLINE[0]} / {HEADLINE[1]}: {ratio:.1f}x (target 10x); "
        f"both from the tokens: {tokens_ratio:.1f}x; both from the text: {text_ratio:.1f}x"
    )

    report = {
        "benchmark": "signatures",
        "quick": args.quick,
        "articles": len(corpus.texts),
        "source": corpus.source,
        "mean_words": mean_words,
        "mean_shingles": mean_shingles,
        "num_perm": CONFIG.num_perm,
        "repeat": args.repeat,
        "scheme": SIGNATURE_SCHEME,
        "single_core": True,  # one process, one thread: numpy's element-wise operations do not use threads
        "machine": info,
        "systems": results,
        "headline": {"system": HEADLINE[0], "against": HEADLINE[1], "ratio": ratio, "target": 10.0},
        "from_tokens_ratio": tokens_ratio,
        "from_text_ratio": text_ratio,
    }
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"figures written to {args.json_out}")
    if args.quick and ratio < QUICK_BOUND:
        print(f"signatures: {HEADLINE[0]} is only {ratio:.1f}x {HEADLINE[1]} (at least {QUICK_BOUND}x expected)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
