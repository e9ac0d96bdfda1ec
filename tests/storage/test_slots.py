"""Store.slot: at most ``limit`` holders of a named slot across threads and processes (the per-host
concurrency limit of fetches), a bounded wait, and a slot that frees itself when its holder is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from storage import Store
from wiredesk.settings import Settings


def test_at_most_limit_holders_and_a_bounded_wait(settings: Settings) -> None:
    with Store.open(settings.store_url) as a, Store.open(settings.store_url) as b, Store.open(settings.store_url) as c:
        with a.slot("host:example.org", 2, 0) as first, b.slot("host:example.org", 2, 0) as second:
            assert first and second
            started = time.monotonic()
            with c.slot("host:example.org", 2, 0.3) as third:
                assert not third
            assert time.monotonic() - started >= 0.3
            with c.slot("host:other.example", 2, 0) as elsewhere:
                assert elsewhere  # slots are per name
        with c.slot("host:example.org", 2, 0) as freed:
            assert freed


def test_a_waiter_gets_the_slot_when_it_comes_free(settings: Settings) -> None:
    got: list[bool] = []
    with Store.open(settings.store_url) as a, Store.open(settings.store_url) as b:
        with a.slot("host:x", 1, 0) as held:
            assert held

            def wait() -> None:
                with b.slot("host:x", 1, 10) as ok:
                    got.append(ok)

            waiter = threading.Thread(target=wait)
            waiter.start()
            time.sleep(0.3)
            assert got == []  # still waiting
        waiter.join(10)
    assert got == [True]


HOLD = """
import sys, time
from storage import Store
with Store.open(sys.argv[1]) as store, store.slot("host:x", 1, 0) as held:
    print("held" if held else "busy", flush=True)
    time.sleep(60)
"""


def test_a_killed_holder_frees_its_slot(settings: Settings) -> None:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, settings.store_url], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with Store.open(settings.store_url) as store, store.slot("host:x", 1, 0) as ok:
            assert not ok
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        with Store.open(settings.store_url) as store, store.slot("host:x", 1, 5) as ok:
            assert ok
    finally:
        holder.kill()
        holder.wait()
