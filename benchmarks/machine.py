"""The machine a benchmark ran on, as every benchmark's JSON embeds it (``describe()``).

    .venv/bin/python benchmarks/machine.py [--json]

CPU model and cores (``os.cpu_count()``, the cores this process may use, ``nproc``), memory, the load average
when the benchmark started (the figures are ratios measured side by side, but a busy machine still bends them),
Python, the library versions the figures depend on, and the repository's commit (``+dirty`` when the working tree
has changes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LIBRARIES = (
    "trafilatura",
    "lxml",
    "datasketch",
    "numpy",
    "sqlalchemy",
    "psycopg",
    "apache-airflow",
    "fastapi",
    "uvicorn",
    "httpx",
    "feedparser",
    "jinja2",
)


def _cpuinfo() -> dict[str, Any]:
    model, mhz, flags = None, None, ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "model name" and model is None:
                model = value
            elif key == "cpu MHz" and mhz is None:
                mhz = float(value)
            elif key == "flags" and not flags:
                flags = value
    except OSError:
        pass
    return {"model": model or platform.processor() or None, "mhz": mhz, "avx2": "avx2" in flags.split()}


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _nproc() -> int | None:
    try:
        return int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, ValueError, subprocess.CalledProcessError):
        return None


def _commit() -> str | None:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def busy_cpu_seconds() -> float | None:
    """CPU seconds every process on the machine has used since boot (``/proc/stat``), or None off Linux."""
    try:
        fields = Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def describe() -> dict[str, Any]:
    """The machine, Python and libraries, and when: a dict ready for a benchmark's JSON."""
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu": _cpuinfo(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "nproc": _nproc(),
        "memory_gib": _memory_gib(),
        "load_average": load,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "libraries": {name: _version(name) for name in LIBRARIES},
        "commit": _commit(),
        "when": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }


def summary(info: dict[str, Any]) -> str:
    """One line for a benchmark's printed header."""
    cpu = info["cpu"]
    libs = ", ".join(f"{k} {v}" for k, v in info["libraries"].items() if v and k in ("trafilatura", "lxml", "numpy"))
    load = "/".join(str(x) for x in info["load_average"] or [])
    return (
        f"{cpu['model']} x{info['usable_cpus']} ({info['memory_gib']} GiB), {info['python']}, {libs}; "
        f"load {load}; commit {info['commit']}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the JSON a benchmark embeds")
    args = parser.parse_args(argv)
    info = describe()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    cpu = info["cpu"]
    rows = [
        ("CPU", f"{cpu['model']}" + (f", {cpu['mhz']:.0f} MHz" if cpu["mhz"] else "")),
        ("cores", f"{info['cpu_count']} (usable {info['usable_cpus']}, nproc {info['nproc']})"),
        ("memory", f"{info['memory_gib']} GiB"),
        ("load average", " ".join(str(x) for x in info["load_average"] or [])),
        ("OS", info["os"]),
        ("Python", info["python"]),
        *((name, version or "-") for name, version in info["libraries"].items()),
        ("commit", info["commit"] or "-"),
    ]
    for key, value in rows:
        print(f"{key:<16} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
