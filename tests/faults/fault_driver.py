"""Driver for the fault tests: runs the pipeline in a process of its own, with a fault at a deterministic
point chosen by the environment. The faults live here, in the test's driver, never in production code: a
SQLAlchemy event on every engine, or a wrapper around one Store method.

    python fault_driver.py cycle        one cycle (``run_cycle``) at ``WIREDESK_TEST_NOW``
    python fault_driver.py cli ARGS...  ``wiredesk ARGS...`` (``wiredesk.cli.main``), its clock at ``WIREDESK_TEST_NOW``

    WIREDESK_TEST_KILL=statement:INSERT INTO memberships:3   SIGKILL itself after the 3rd statement starting so
                                                             has run, inside its transaction (not committed)
    WIREDESK_TEST_KILL=call:save_article:5                   SIGKILL itself right after the 5th
                                                             Store.save_article returned (committed)
    WIREDESK_TEST_FULL=statement:INSERT INTO articles:10     from just before the 10th such statement on, the
                                                             SQLite database may not grow by a page
                                                             (``PRAGMA max_page_count``: a real SQLITE_FULL)

The store is real (``WIREDESK_STORE_URL`` or ``WIREDESK_HOME``); the process exits as the pipeline or the
command does when the fault point is never reached.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from typing import Any


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _on_statement(target: str, nth: int, when: str, act: Any) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen = 0

    def hook(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        nonlocal seen
        if statement.lstrip().upper().startswith(target.upper()):
            seen += 1
            if seen == nth:
                act(conn)

    event.listen(Engine, when, hook)


def _after_call(method: str, nth: int, act: Any) -> None:
    from storage import Store

    original = getattr(Store, method)
    seen = 0

    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        nonlocal seen
        result = original(self, *args, **kwargs)
        seen += 1
        if seen == nth:
            act(None)
        return result

    setattr(Store, method, wrapper)


def install_kill(spec: str) -> None:
    kind, target, nth = spec.split(":")
    if kind == "statement":
        _on_statement(target, int(nth), "after_cursor_execute", lambda _conn: _die())
    elif kind == "call":
        _after_call(target, int(nth), lambda _conn: _die())
    else:
        raise SystemExit(f"fault_driver: unknown kill point {spec!r}")


def install_full(spec: str) -> None:
    """From the chosen statement on, no SQLite connection may grow the database file by a page."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    full = False

    def cap(dbapi_connection: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    def fill(conn: Any) -> None:
        nonlocal full
        full = True
        cap(conn.connection.driver_connection)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if full:
            cap(dbapi_connection)

    kind, target, nth = spec.split(":")
    if kind != "statement":
        raise SystemExit(f"fault_driver: unknown full point {spec!r}")
    event.listen(Engine, "connect", on_connect)
    _on_statement(target, int(nth), "before_cursor_execute", fill)


def main(argv: list[str]) -> int:
    now = datetime.fromisoformat(os.environ["WIREDESK_TEST_NOW"])
    if spec := os.environ.get("WIREDESK_TEST_KILL"):
        install_kill(spec)
    if spec := os.environ.get("WIREDESK_TEST_FULL"):
        install_full(spec)
    if argv[:1] == ["cycle"]:
        from wiredesk.pipeline import run_cycle
        from wiredesk.settings import Settings

        print(run_cycle(Settings.from_env(), now).counts())
        return 0
    if argv[:1] == ["cli"]:
        from wiredesk import cli

        cli._now = lambda: now  # the command's clock: the run's time, so runs compare row for row
        return cli.main(argv[1:])
    raise SystemExit("usage: fault_driver.py cycle | cli ARGS...")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
