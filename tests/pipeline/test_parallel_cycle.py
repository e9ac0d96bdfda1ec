"""run_cycle with several worker processes (``WIREDESK_WORKERS``) leaves exactly the store one in-process run
leaves, reports the feeds in feed order, and keeps a failing feed's error to itself; on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from test_concurrency import NOW, register, state

from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import register_feed, run_cycle
from wiredesk.settings import Settings


def test_parallel_workers_leave_what_one_process_leaves(
    settings: Settings, fresh_server: CorpusServer, tmp_path: Path
) -> None:
    sequential = dataclasses.replace(settings, store_url=f"sqlite:///{tmp_path / 'sequential.db'}", workers=1)
    fresh_server.fail("/broken/feed.xml", 500)
    for s in (sequential, settings):
        register(s, fresh_server)
        register_feed(s, fresh_server.url + "/broken/feed.xml", "Broken Feed", NOW)
    one = run_cycle(sequential, NOW)
    lines: list[str] = []
    two = run_cycle(dataclasses.replace(settings, workers=2), NOW, progress=lines.append)
    assert state(settings.store_url) == state(sequential.store_url)
    assert [(f.name, f.status, f.stored) for f in two.feeds] == [(f.name, f.status, f.stored) for f in one.feeds]
    assert two.counts() == one.counts()
    assert [line.split("] ", 1)[0] for line in lines[:-1]] == [f"[{i}/9" for i in range(1, 10)]
    assert next(f for f in two.feeds if f.name == "Broken Feed").error_class == "http-500"
