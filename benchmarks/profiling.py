"""Where a profiled run spent its time, as the benchmarks report it: named steps (cumulative) and the top
functions by own time, as shares of the run's total."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# A step: (file suffix, function name or names joined by "|", caller: None for every call, else the caller's
# file suffix, or (file suffix, function) to count only the calls from that function).
Step = tuple[str, str, str | tuple[str, str] | None]


def shares(profiler: cProfile.Profile, total: float, steps: Mapping[str, Step], top: int = 25) -> dict[str, Any]:
    """Each step's share of ``total`` seconds (cumulative: a step's share includes what it calls) and the
    ``top`` functions by own time."""
    table: dict[tuple[str, int, str], Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(file_suffix: str, function: str, caller: str | tuple[str, str] | None) -> float:
        seconds = 0.0
        for (file, _, fn), (_, _, _, cum, callers) in table.items():
            if fn not in function.split("|") or not file.endswith(file_suffix):
                continue
            if caller is None:
                seconds += cum
                continue
            caller_file, caller_fn = caller if isinstance(caller, tuple) else (caller, None)
            seconds += sum(
                c[3]
                for (cfile, _, cfn), c in callers.items()
                if cfile.endswith(caller_file) and caller_fn in (None, cfn)
            )
        return seconds

    own = sorted(table.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    return {
        "total_s": total,
        "steps": {label: cumulative(*where) / total for label, where in steps.items()},
        "top_own_time": [
            {"function": f"{'/'.join(Path(file).parts[-2:])}:{line}({fn})", "share": tt / total, "calls": nc}
            for (file, line, fn), (_, nc, tt, _, _) in own
        ],
    }


def total_of(profiler: cProfile.Profile, file_suffix: str, function: str) -> float:
    """Cumulative seconds in ``function`` of ``file_suffix`` (the run's total, for :func:`shares`)."""
    table: dict[tuple[str, int, str], Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    return float(sum(e[3] for (file, _, fn), e in table.items() if fn == function and file.endswith(file_suffix)))
