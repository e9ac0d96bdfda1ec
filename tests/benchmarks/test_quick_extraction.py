"""The CI quick extraction benchmark (``benchmarks/extraction.py --quick``): loose bounds on ratios measured side
by side in one run, to catch large regressions, never absolute times.

Measured on the 2-core development machine (BENCHMARKS.md): cost ratio 1.18-1.24, speedup on two cores
1.89-1.98, wiredesk's body F1 0.998 on the quick pages. The bounds leave room for a busy CI runner; when other
processes demonstrably held the cores during the pool runs (``/proc/stat``), the wall-clock speedup is skipped
(the CPU per page is still checked)."""

from __future__ import annotations

import os
from typing import Any

import extraction
import pytest

MAX_COST_RATIO = 2.0  # ours / plain trafilatura, per page summed (measured ~1.2)
MIN_SPEEDUP = 1.2  # two workers over one (measured ~1.9 on two cores)
MIN_F1 = 0.97  # ours did the job on the quick pages (measured 0.998)
MAX_POOL_CPU = 1.5  # CPU per page with all workers over one worker: the pool adds no work (measured 1.01-1.08)
BUSY = 0.3  # cores other processes used during the run above which the wall-clock speedup says nothing of ours


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _quick_run() -> dict[str, Any]:
    """What ``benchmarks/extraction.py --quick`` measures (16 synthetic pages, every third corpus page)."""
    return extraction.run(synthetic=16, corpus_every=3, repeat=3, pool_seconds=0.6, quiet=True)


@pytest.fixture(scope="module")
def quick() -> dict[str, Any]:
    return _quick_run()


def test_extraction_does_the_job(quick: dict[str, Any]) -> None:
    cost = quick["cost"]["all"]
    assert cost["pages"] == 16 + 24
    assert cost["wiredesk_f1"] >= MIN_F1
    assert cost["wiredesk_f1"] >= cost["trafilatura_f1"]
    assert quick["machine"]["cpu_count"] and quick["machine"]["libraries"]["trafilatura"]


def test_cost_ratio_against_plain_trafilatura(quick: dict[str, Any]) -> None:
    ratio = quick["cost"]["all"]["cost_ratio"]
    if ratio > MAX_COST_RATIO:  # measured once more before calling it a regression: the runner may be busy
        ratio = min(ratio, _quick_run()["cost"]["all"]["cost_ratio"])
    assert ratio <= MAX_COST_RATIO


@pytest.mark.skipif(_usable_cpus() < 2, reason="one core: nothing to parallelise")
def test_parallel_speedup(quick: dict[str, Any]) -> None:
    parallel = quick["parallel"]
    assert parallel["workers"] == os.cpu_count()
    cpu = parallel["cpu_ms_per_page"]
    assert cpu["all_workers"] <= MAX_POOL_CPU * cpu["one_worker"]
    if parallel["speedup"] < MIN_SPEEDUP:  # measured once more: another process may have had a core
        again = _quick_run()["parallel"]
        parallel = max(parallel, again, key=lambda p: p["speedup"])
    busy = parallel["other_processes_cores"]["all_workers"]
    if parallel["speedup"] < MIN_SPEEDUP and busy is not None and busy > BUSY:
        pytest.skip(f"other processes kept {busy:.1f} cores busy during the run: the speedup cannot be measured")
    assert parallel["speedup"] >= MIN_SPEEDUP
