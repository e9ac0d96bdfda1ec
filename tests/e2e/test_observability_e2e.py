"""What a run tells operators: wiredesk's metrics reach StatsD through Airflow's ``[metrics]`` settings and
nothing else (a UDP socket on 127.0.0.1 receives them while ``dag.test()`` of wiredesk_ingest runs against the
corpus server in a process configured only with ``AIRFLOW__METRICS__STATSD_*``: a fresh process, as Airflow reads
its configuration once), and ``publish`` records each run in the store (the UI's throughput per run).

Cycle 1 polls the eight outlets and a broken feed, cycle 2 gets 304s, cycle 3 runs with ``statsd_on`` off."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import DagRunResult, register_corpus, run_dag_in_subprocess

from storage import Store
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import register_feed
from wiredesk.settings import Settings

pytestmark = pytest.mark.airflow
T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
PREFIX = "wdtest"


class StatsdReceiver:
    """A StatsD server in miniature: a UDP socket on 127.0.0.1 whose thread keeps every line it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port: int = self.sock.getsockname()[1]
        self.lines: list[str] = []
        self._last = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            self._last = time.monotonic()
            self.lines.extend(line for line in data.decode().splitlines() if line)

    def take(self, quiet_s: float = 0.5) -> list[str]:
        """Every line received so far, once the socket has been quiet for ``quiet_s``; clears them."""
        while time.monotonic() - self._last < quiet_s:
            time.sleep(0.05)
        taken, self.lines = self.lines, []
        return taken

    def __enter__(self) -> StatsdReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def parse(lines: list[str]) -> tuple[Counter[str], Counter[str]]:
    """wiredesk's StatsD lines as (counter totals, number of timings) by name without the prefix."""
    counters: Counter[str] = Counter()
    timings: Counter[str] = Counter()
    for line in lines:
        name, _, rest = line.partition(":")
        value, _, kind = rest.partition("|")
        if not name.startswith(f"{PREFIX}.wiredesk."):
            continue
        short = name.removeprefix(f"{PREFIX}.")
        if kind == "c":
            counters[short] += int(value)
        elif kind == "ms":
            assert float(value) >= 0
            timings[short] += 1
    return counters, timings


def names_sent(lines: list[str]) -> Counter[str]:
    """How many packets each wiredesk metric name got (zero-valued counters included)."""
    return Counter(line.partition(":")[0].removeprefix(f"{PREFIX}.") for line in lines if "wiredesk." in line)


@pytest.fixture(scope="module")
def cycles(airflow_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("metrics")
    wiredesk_env = {"WIREDESK_HOME": str(home), "WIREDESK_FETCH_ALLOW": "127.0.0.1"}
    settings = Settings.from_env(wiredesk_env)
    with CorpusServer() as server, StatsdReceiver() as statsd:
        server.fail("/broken/feed.xml", 500)
        register_corpus(settings, server, T0)
        register_feed(settings, server.url + "/broken/feed.xml", "Broken Feed", T0)
        env: dict[str, str | None] = {
            **wiredesk_env,
            "WIREDESK_STORE_URL": None,
            "AIRFLOW_CONN_WIREDESK_STORE": None,
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(statsd.port),
            "AIRFLOW__METRICS__STATSD_PREFIX": PREFIX,
        }
        runs: list[DagRunResult] = []
        packets: list[list[str]] = []
        runs.append(run_dag_in_subprocess(airflow_home, T0, env))
        packets.append(statsd.take())
        with Store.open(settings.store_url) as store:
            after_first = store.counts()
        finished_first = datetime.now(UTC)
        runs.append(run_dag_in_subprocess(airflow_home, T0 + timedelta(minutes=15), env))
        packets.append(statsd.take())
        off = {**env, "AIRFLOW__METRICS__STATSD_ON": "False"}
        runs.append(run_dag_in_subprocess(airflow_home, T0 + timedelta(minutes=30), off))
        packets.append(statsd.take())
        with Store.open(settings.store_url) as store:
            recorded = store.recent_runs()
        yield {
            "runs": runs,
            "packets": packets,
            "after_first": after_first,
            "finished_first": finished_first,
            "recorded": recorded,
            "server": server,
        }


def test_the_runs_succeed(cycles: dict[str, Any]) -> None:
    assert [run.state for run in cycles["runs"]] == ["success", "success", "success"]


def test_feed_and_dedupe_counters_of_the_first_cycle(cycles: dict[str, Any]) -> None:
    counters, timings = parse(cycles["packets"][0])
    pages = len(cycles["server"].corpus.pages)
    stored = cycles["after_first"]
    assert counters["wiredesk.feed.polls.ok"] == 8
    assert counters["wiredesk.feed.polls.error"] == 1
    assert "wiredesk.feed.polls.not_modified" not in counters
    assert counters["wiredesk.entries.new"] == stored["entries"]
    assert counters["wiredesk.articles.stored"] == pages == stored["articles"]
    assert counters["wiredesk.pages.failed"] == 0
    assert counters["wiredesk.pages.deferred"] == 0
    assert counters["wiredesk.pages.disallowed"] == 0
    assert counters["wiredesk.dedupe.decided"] == pages
    assert counters["wiredesk.dedupe.clusters_created"] == stored["clusters"]
    assert counters["wiredesk.dedupe.joined"] == pages - stored["clusters"]
    assert counters["wiredesk.dedupe.stories_linked"] == 2
    assert timings == {"wiredesk.feed.poll_duration": 9, "wiredesk.dedupe.duration": 1}


def test_zero_counts_are_sent_too(cycles: dict[str, Any]) -> None:
    lines = cycles["packets"][1]
    counters, timings = parse(lines)
    sent = names_sent(lines)
    assert counters["wiredesk.feed.polls.not_modified"] == 8
    assert counters["wiredesk.feed.polls.error"] == 1
    for name in (
        "wiredesk.articles.stored",
        "wiredesk.entries.new",
        "wiredesk.pages.failed",
        "wiredesk.pages.deferred",
    ):
        assert sent[name] == 9 and counters[name] == 0, name
    for name in ("wiredesk.dedupe.decided", "wiredesk.dedupe.clusters_created", "wiredesk.dedupe.stories_linked"):
        assert sent[name] == 1 and counters[name] == 0, name
    assert timings == {"wiredesk.feed.poll_duration": 9, "wiredesk.dedupe.duration": 1}


def test_every_metric_carries_the_configured_prefix(cycles: dict[str, Any]) -> None:
    lines = cycles["packets"][0] + cycles["packets"][1]
    wiredesk = [line for line in lines if "wiredesk." in line]
    assert wiredesk
    assert all(line.startswith(f"{PREFIX}.wiredesk.") for line in wiredesk)


def test_nothing_is_sent_with_statsd_off(cycles: dict[str, Any]) -> None:
    assert cycles["packets"][2] == []


def test_each_run_is_recorded_with_its_counts(cycles: dict[str, Any]) -> None:
    runs = cycles["runs"]
    recorded = {r.run_id: r for r in cycles["recorded"]}
    assert set(recorded) == {run.run_id for run in runs}
    first = recorded[runs[0].run_id]
    assert first.source == "airflow"
    pages = len(cycles["server"].corpus.pages)
    assert first.counts["feeds_polled"] == 9 and first.counts["feeds_failed"] == 1
    assert first.counts["articles_stored"] == pages and first.counts["articles_clustered"] == pages
    assert recorded[runs[1].run_id].counts["feeds_not_modified"] == 8
    assert recorded[runs[1].run_id].counts["articles_stored"] == 0
    # dag.test() starts its run at the logical date (a scheduler: when it really starts); finished is the clock's.
    assert first.started_at.astimezone(UTC) == T0
    assert T0 < first.finished_at.astimezone(UTC) <= cycles["finished_first"]
