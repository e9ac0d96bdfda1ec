"""SIGKILL while storing a batch, then rerun: the store ends exactly as an uninterrupted run leaves it.

A subprocess (``fault_driver.py cycle``) runs one cycle over the Herat corpus and kills itself with SIGKILL at a
deterministic point: inside the transaction that stores an article or places one (after some of its
statements ran, before it commits), or right after a commit. Nothing is left half written (every
transaction landed whole or not at all), and resuming the run gives, row for row, the store of a run that
was never interrupted (``snapshot.py``: articles, entries, site models, signatures, index keys, clusters,
memberships, stories, story links, events in order). On SQLite and PostgreSQL.

How the run resumes depends on where it died. Killed while ingesting, it resumes as Airflow resumes it: the
feed's task is retried (``retry_tasks``). Killed while deduplicating, ``wiredesk run-once`` again suffices
(``rerun_cycle``): everything undecided is decided in the same order. A ``run-once`` rerun also finishes a
feed it was killed in (the poll is recorded only after its pages), and a kill between a site's last stored
page and relearning its boilerplate is caught up by the retry (``SiteModels.catch_up``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import NOW, half_written, on_store, register, rerun_cycle, retry_tasks
from pg import fresh_database
from snapshot import counts, differences, snapshot

from wiredesk.corpus import CorpusServer
from wiredesk.settings import Settings

DRIVER = Path(__file__).with_name("fault_driver.py")
ROOT = Path(__file__).resolve().parents[2]
State = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def backend(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """``settings`` on the backend the test is parametrized with (a throwaway PostgreSQL database)."""
    if request.param == "sqlite":
        yield settings
        return
    with fresh_database("wiredesk_kill") as url:
        yield on_store(settings, url)


def kill_at(settings: Settings, spec: str) -> subprocess.CompletedProcess[str]:
    """Run one cycle in a process of its own that SIGKILLs itself at ``spec`` (see fault_driver.py)."""
    env = {
        **os.environ,
        "WIREDESK_HOME": str(settings.home),
        "WIREDESK_STORE_URL": settings.store_url,
        "WIREDESK_FETCH_ALLOW": "127.0.0.1",
        "WIREDESK_TEST_NOW": NOW.isoformat(),
        "WIREDESK_TEST_KILL": spec,
    }
    return subprocess.run(
        [sys.executable, str(DRIVER), "cycle"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# (kill point, how the run resumes, also on PostgreSQL): every point runs on SQLite, three on PostgreSQL too
INGEST, DEDUPE = retry_tasks, rerun_cycle
POINTS: list[tuple[str, str, Callable[[Settings], None], bool]] = [
    ("storing the 1st article, mid-transaction", "statement:UPDATE entries:1", INGEST, False),
    ("storing the 13th article, mid-transaction", "statement:UPDATE entries:13", INGEST, True),
    ("right after the 10th article committed", "call:save_article:10", INGEST, False),
    ("placing the 12th article, after its membership", "statement:INSERT INTO memberships:12", DEDUPE, True),
    ("linking stories, mid-transaction", "statement:INSERT INTO story_links:1", DEDUPE, True),
]


@pytest.mark.parametrize(
    ("backend", "spec", "resume"),
    [
        pytest.param(backend, spec, resume, id=f"{backend}-{name}")
        for backend in ("sqlite", "postgresql")
        for name, spec, resume, on_postgres in POINTS
        if backend == "sqlite" or on_postgres
    ],
    indirect=["backend"],
)
def test_killed_then_resumed_equals_an_uninterrupted_run(
    backend: Settings,
    corpus_server: CorpusServer,
    reference: State,
    spec: str,
    resume: Callable[[Settings], None],
) -> None:
    register(backend, corpus_server)
    done = kill_at(backend, spec)
    assert done.returncode == -signal.SIGKILL, f"the kill point was not reached: {done.stdout}{done.stderr}"

    killed = snapshot(backend.store_url)
    assert counts(killed) != counts(reference), "the kill left nothing undone: a useless kill point"
    assert half_written(backend.store_url) == []

    resume(backend)
    assert differences(snapshot(backend.store_url), reference) == []
    resume(backend)  # and resuming once more changes nothing
    assert differences(snapshot(backend.store_url), reference) == []


def test_run_once_right_after_a_kill_mid_feed_finishes_that_feed(
    settings: Settings, corpus_server: CorpusServer, reference: State
) -> None:
    register(settings, corpus_server)
    assert kill_at(settings, "call:save_article:10").returncode == -signal.SIGKILL
    rerun_cycle(settings)
    assert half_written(settings.store_url) == []
    assert differences(snapshot(settings.store_url), reference) == []


def test_a_kill_before_the_boilerplate_is_relearned_is_caught_up(
    settings: Settings, corpus_server: CorpusServer, reference: State
) -> None:
    register(settings, corpus_server)
    last = len(corpus_server.corpus.pages)  # the run's last page: no later page of the site relearns it
    assert kill_at(settings, f"call:save_article:{last}").returncode == -signal.SIGKILL
    retry_tasks(settings)
    assert half_written(settings.store_url) == []
    assert differences(snapshot(settings.store_url), reference) == []
