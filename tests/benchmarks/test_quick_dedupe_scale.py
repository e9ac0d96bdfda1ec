"""The dedupe-at-scale benchmark's quick mode, as CI runs it: the same batch against a window ten times
larger must not cost much more (a ratio measured side by side in one run, never an absolute time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GROWTH_BOUND = 3.0  # s per 1,000 at the 20,000 window over the 2,000 window; measured 0.85


def test_quick_dedupe_scale_cost_does_not_grow_with_the_window(tmp_path: Path) -> None:
    out = tmp_path / "dedupe_scale.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "dedupe_scale.py"), "--quick", "--json-out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    small, large = report["cases"]
    assert small["new"] == large["new"] > 0
    assert large["joined"] > 0 and large["clusters_created"] > 0  # copies joined, new stories founded
    assert (large["joined"], large["clusters_created"]) == (small["joined"], small["clusters_created"])
    assert large["per_1000_s"] <= GROWTH_BOUND * small["per_1000_s"]
    assert large["peak_rss_mib"] < 1024
