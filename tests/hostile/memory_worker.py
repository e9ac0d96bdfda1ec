"""Run one cycle over the feeds given on the command line and print what it took in memory, as JSON.

Run by ``test_memory.py`` in a process of its own, so its peak resident set size (``VmHWM``) is this
cycle's and nothing else's. Argument: a JSON object ``{"home": ..., "feeds": {name: url}, "max_articles": n}``.
Prints ``{"rss_before_kib", "peak_kib", "feeds": {name: [status, error_class, entries, stored, failed]}}``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path


def status_kib(field: str) -> int:
    """A memory figure of this process from /proc (``VmRSS``: now; ``VmHWM``: the peak since exec, unlike
    ``ru_maxrss``, which starts from the parent's size at fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def main() -> None:
    args = json.loads(sys.argv[1])
    from wiredesk.pipeline import register_feed, run_cycle
    from wiredesk.settings import Settings

    settings = Settings.from_env(
        {
            "WIREDESK_HOME": args["home"],
            "WIREDESK_FETCH_ALLOW": "127.0.0.1",
            "WIREDESK_MAX_ARTICLES_PER_POLL": str(args["max_articles"]),
            "WIREDESK_WORKERS": "1",  # every feed in this process, where the peak is measured
        }
    )
    assert settings.workers == 1
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    for name, url in args["feeds"].items():
        register_feed(settings, url, name, now)
    before = status_kib("VmRSS")
    report = run_cycle(settings, now)
    peak = status_kib("VmHWM")
    feeds = {f.name: [f.status, f.error_class, f.entries, f.stored, f.failed] for f in report.feeds}
    print(json.dumps({"rss_before_kib": before, "peak_kib": peak, "feeds": feeds}))


if __name__ == "__main__":
    main()
