"""A SQLite store locked by another process, or full: one line that says what to do, a clean stop, and a
rerun that completes with nothing stored twice.

Locked: another process holds ``BEGIN EXCLUSIVE`` (a writer; readers still read, WAL) or, to lock readers
out too, ``locking_mode=EXCLUSIVE``. A write waits ``WIREDESK_SQLITE_BUSY_SECONDS`` (default 30), then fails.
Full: SQLite's own SQLITE_FULL, made real by ``PRAGMA max_page_count`` at a chosen statement of the run
(``fault_driver.py``): from there the database file may not grow by a page.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import NOW, half_written, register, retry_tasks
from snapshot import differences, snapshot

from storage import Store, StoreUnavailable
from wiredesk.corpus import CorpusServer
from wiredesk.errors import ConfigError
from wiredesk.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("fault_driver.py")
WIREDESK = Path(sys.executable).with_name("wiredesk")
State = dict[str, list[tuple[Any, ...]]]

_HOLDER = """
import sqlite3, sys, time
db, readers_too, hold = sys.argv[1], sys.argv[2] == "1", float(sys.argv[3])
conn = sqlite3.connect(db, isolation_level=None)
if readers_too:
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
conn.execute("BEGIN EXCLUSIVE")
conn.execute("SELECT count(*) FROM feeds").fetchall()
print("locked", flush=True)
if hold > 0:
    time.sleep(hold)
else:
    sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@contextmanager
def locked(db: Path, *, readers_too: bool = False, hold_s: float = 0.0) -> Iterator[None]:
    """Another process holds the database's write lock (and its read lock, ``readers_too``) until the block
    ends, or for ``hold_s`` seconds."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(db), "1" if readers_too else "0", str(hold_s)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        if holder.stdin is not None and holder.poll() is None and hold_s <= 0:
            holder.stdin.write("\n")
            holder.stdin.close()
        holder.wait(timeout=30)


def db_path(settings: Settings) -> Path:
    return settings.home / "wiredesk.db"


def locked_message(db: Path, waited: str) -> str:
    return (
        f"store: the SQLite database {db} is locked by another process (waited {waited} s); "
        "let that process finish and retry, or raise WIREDESK_SQLITE_BUSY_SECONDS"
    )


# -- locked ----------------------------------------------------------------------------------------


def test_a_write_waits_the_busy_timeout_then_says_what_to_do(settings: Settings) -> None:
    Store.open(settings.store_url).close()
    db = db_path(settings)
    with locked(db), Store.open(settings.store_url, busy_timeout_s=0.5) as store:
        assert store.list_feeds() == []  # WAL: reading goes on while another process writes
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as failed:
            store.add_feed("https://news.example/feed", "Example", NOW)
        waited = time.monotonic() - started
    assert str(failed.value) == locked_message(db, "0.5")
    assert 0.45 <= waited < 10
    with Store.open(settings.store_url) as store:  # nothing was half written; the lock gone, it works
        assert store.list_feeds() == []
        store.add_feed("https://news.example/feed", "Example", NOW)
        assert len(store.list_feeds()) == 1


def test_a_lock_released_within_the_busy_timeout_is_waited_for(settings: Settings) -> None:
    Store.open(settings.store_url).close()
    with locked(db_path(settings), hold_s=0.8), Store.open(settings.store_url, busy_timeout_s=20) as store:
        started = time.monotonic()
        store.add_feed("https://news.example/feed", "Example", NOW)
        assert time.monotonic() - started >= 0.3  # it waited for the other process, then wrote
        assert len(store.list_feeds()) == 1


def test_the_cli_says_the_store_is_locked_in_one_line(settings: Settings) -> None:
    """Through the console script, with readers locked out too: WIREDESK_SQLITE_BUSY_SECONDS is honoured (the
    default would wait 30 s) and the error is one line, no traceback."""
    Store.open(settings.store_url).close()
    db = db_path(settings)
    env = {**os.environ, "WIREDESK_HOME": str(settings.home), "WIREDESK_SQLITE_BUSY_SECONDS": "0.5"}
    env.pop("WIREDESK_STORE_URL", None)
    with locked(db, readers_too=True):
        started = time.monotonic()
        done = subprocess.run(
            [str(WIREDESK), "feeds", "list"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        took = time.monotonic() - started
    assert done.returncode == 1
    assert done.stderr == f"wiredesk: error: {locked_message(db, '0.5')}\n"
    assert took < 15


@pytest.mark.parametrize(("raw", "seconds"), [(None, 30.0), ("", 30.0), ("2.5", 2.5), ("0", 0.0), (" 45 ", 45.0)])
def test_the_busy_timeout_setting(raw: str | None, seconds: float) -> None:
    env = {} if raw is None else {"WIREDESK_SQLITE_BUSY_SECONDS": raw}
    assert Settings.from_env(env).sqlite_busy_s == seconds


@pytest.mark.parametrize("raw", ["abc", "-1", "inf", "nan", "1e9"])
def test_a_bad_busy_timeout_is_a_one_line_config_error(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"^WIREDESK_SQLITE_BUSY_SECONDS=.*; set it to e\.g\. 30$"):
        Settings.from_env({"WIREDESK_SQLITE_BUSY_SECONDS": raw})


# -- full ------------------------------------------------------------------------------------------


def run_once(settings: Settings, full_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """``wiredesk run-once`` in a process of its own at the run's time; the database is full from the
    statement ``full_at`` on (see fault_driver.py)."""
    env = {
        **os.environ,
        "WIREDESK_HOME": str(settings.home),
        "WIREDESK_FETCH_ALLOW": "127.0.0.1",
        "WIREDESK_TEST_NOW": NOW.isoformat(),
    }
    env.pop("WIREDESK_STORE_URL", None)
    if full_at:
        env["WIREDESK_TEST_FULL"] = full_at
    return subprocess.run(
        [sys.executable, str(DRIVER), "cli", "run-once"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("full_at", "phase"),
    [
        pytest.param("statement:INSERT INTO articles:10", "ingest", id="full while storing the 10th article"),
        pytest.param("statement:INSERT INTO memberships:5", "dedupe", id="full while placing articles"),
    ],
)
def test_a_full_database_stops_the_run_in_one_line_and_a_rerun_completes(
    settings: Settings, corpus_server: CorpusServer, reference: State, full_at: str, phase: str
) -> None:
    register(settings, corpus_server)
    db = db_path(settings)

    done = run_once(settings, full_at)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("wiredesk: error:")]
    assert errors == [
        f"wiredesk: error: store: the SQLite database {db} is full (database or disk is full); free space on "
        "its disk, then rerun: what was stored is kept and the rest is stored then"
    ]
    assert done.stderr.endswith(errors[0] + "\n")  # the run stopped there
    assert integrity(db) == "ok"
    assert half_written(settings.store_url) == []
    stopped = snapshot(settings.store_url)
    stored, placed = len(stopped["articles"]), len(stopped["memberships"])
    total = len(reference["articles"])
    assert (0 < stored < total and placed == 0) if phase == "ingest" else (stored == total and placed < total)

    rerun = run_once(settings)  # space freed
    assert rerun.returncode == 0, rerun.stderr
    assert half_written(settings.store_url) == []
    if phase == "dedupe":
        assert differences(snapshot(settings.store_url), reference) == []
        return
    # Stopped while ingesting: the rerun stores nothing twice and places everything it stored. The feed the
    # run stopped in may not be due again yet (the known gap pinned in test_sigkill_rerun: its other pages
    # then wait for its next poll, pending, not lost); its task's retry completes it, and every article and
    # entry is the uninterrupted run's. (Clusters and events are not compared: pages placed by a later dedupe
    # arrive after the others, and a story's links depend on the order articles arrive in.)
    after = snapshot(settings.store_url)
    assert len({row[1] for row in after["articles"]}) == len(after["articles"]) <= total
    assert len(after["memberships"]) == len(after["articles"])
    retry_tasks(settings)
    after = snapshot(settings.store_url)
    assert after["articles"] == reference["articles"]
    assert after["entries"] == reference["entries"]
    assert len(after["memberships"]) == total
