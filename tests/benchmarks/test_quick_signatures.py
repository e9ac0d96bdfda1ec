"""The signatures benchmark's quick mode, as CI runs it: wiredesk's batch MinHash path against datasketch's
``MinHash.bulk``, side by side in one run, with a loose ratio bound (never an absolute time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUICK_BOUND = 3.0  # benchmarks/signatures.py --quick fails below this ratio; the full run measures over 10


def test_quick_signatures_benchmark_keeps_its_lead_over_bulk(tmp_path: Path) -> None:
    out = tmp_path / "signatures.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "signatures.py"), "--quick", "--json-out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "wiredesk minhashes / datasketch bulk" in done.stdout
    report = json.loads(out.read_text())
    assert report["quick"] is True
    assert report["headline"]["system"] == "wiredesk minhashes"
    assert report["headline"]["against"] == "datasketch bulk"
    assert report["headline"]["ratio"] >= QUICK_BOUND
    systems = report["systems"]
    for name in ("datasketch update", "datasketch update_batch", "datasketch bulk", "wiredesk minhash"):
        assert systems[name]["docs_per_s"] > 0
    # per shingle is datasketch's slowest way; bulk its fastest: the figures must say so, or they mean nothing
    assert systems["datasketch update"]["docs_per_s"] < systems["datasketch bulk"]["docs_per_s"]
    assert 600 <= report["mean_words"] <= 800
    assert report["single_core"] is True
    assert report["machine"]["cpu_count"]
