"""Airflow's distributed engine, for real, configured as docs/deploy.md says.

A fresh PostgreSQL database holds Airflow's metadata (and Celery's results), Redis (a database of its own,
flushed before and after) is the broker; the API server, the scheduler, the DAG processor and two Celery workers
run as separate processes on 127.0.0.1. The store is a fresh PostgreSQL database named by the Airflow connection
``wiredesk_store`` (``AIRFLOW_CONN_WIREDESK_STORE``; ``WIREDESK_STORE_URL`` points elsewhere and must lose). The
test logs in through SimpleAuthManager's ``/auth/token``, unpauses and triggers ``wiredesk_ingest`` through the
REST API, waits for the run, checks the store against the corpus manifest and that both workers ran tasks, then
stops everything and checks that no process is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from deploy_helpers import (
    AIRFLOW,
    Proc,
    clean_env,
    free_port,
    missing,
    port_open,
    processes_with_env,
    start,
    stop,
    tail,
    tails,
)
from e2e_helpers import canonical_paths, expected_partition, partition_by_path, register_corpus

from storage import Store
from storage.errors import StoreError
from wiredesk.airflow_local import DAGS_FOLDER
from wiredesk.corpus import CorpusServer
from wiredesk.dagconfig import DAG_ID
from wiredesk.settings import Settings

pytestmark = [pytest.mark.airflow, pytest.mark.deploy]

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_DB = 5
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"
USER = "tester"
WORKERS = ("worker-a", "worker-b")
STARTUP_TIMEOUT = 150
RUN_TIMEOUT = 300


@dataclass
class DeployRun:
    run_id: str
    state: str
    task_instances: list[dict[str, Any]]
    pongs: set[str]
    ran_on: dict[str, set[tuple[str, int]]]
    celery_totals: dict[str, int]
    stopped_in: dict[str, float]
    strays: list[str]
    store_url: str
    store_password: str
    decoy_store: Path
    server: CorpusServer
    home: Path
    logs: list[Path]
    phases: dict[str, float]


def _require_services() -> None:
    try:
        import psycopg  # noqa: F401
        import redis  # noqa: F401

        version("apache-airflow-providers-celery")
    except (ImportError, PackageNotFoundError) as exc:
        missing(f"the celery extra is not installed ({exc}): uv sync --all-extras")
    for port, what in ((5432, "PostgreSQL"), (6379, "Redis")):
        if not port_open(port):
            missing(f"{what} is not listening on 127.0.0.1:{port}")


def _wait(what: str, ready: Callable[[], bool], procs: list[Proc], timeout: float) -> None:
    """Poll ``ready`` until true; fail with the components' logs when one dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [p.name for p in procs if not p.alive()]
        if dead:
            raise AssertionError(f"{', '.join(dead)} exited while waiting for {what}\n{tails(procs)}")
        with contextlib.suppress(Exception):
            if ready():
                return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{tails(procs)}")


def _workload_lines(log: Path, run_id: str) -> set[tuple[str, int]]:
    """(task_id, map_index) of every workload of ``run_id`` the worker logged it executes."""
    done = set()
    for line in log.read_text(errors="replace").splitlines():
        if "Executing workload in Celery" in line and f"run_id='{run_id}'" in line:
            task = re.search(r"task_id='([^']+)'", line)
            index = re.search(r"map_index=(-?\d+)", line)
            assert task and index, line
            done.add((task.group(1), int(index.group(1))))
    return done


@pytest.fixture(scope="module")
def deploy_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployRun]:
    _require_services()
    import httpx
    import psycopg
    import redis
    from celery import Celery
    from cryptography.fernet import Fernet
    from psycopg import sql

    began = time.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        phases[name] = round(time.monotonic() - began, 1)

    root = tmp_path_factory.mktemp("deploy")
    home, logs = root / "airflow", root / "logs"
    home.mkdir()
    suffix = secrets.token_hex(4)
    meta_db, store_db = f"wd_deploy_meta_{suffix}", f"wd_deploy_store_{suffix}"
    meta_url = f"{PG}/{meta_db}"
    store_password = secrets.token_urlsafe(12)  # trust auth ignores it; it must never reach a log
    store_url = f"postgresql+psycopg://postgres:{store_password}@127.0.0.1:5432/{store_db}"
    decoy = root / "decoy" / "wiredesk.db"
    password = secrets.token_urlsafe(16)
    passwords_file = home / "passwords.json"
    passwords_file.write_text(json.dumps({USER: password}))
    passwords_file.chmod(0o600)

    api_port = free_port()
    base = f"http://127.0.0.1:{api_port}"
    env = clean_env(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta_url,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": meta_url,
            "AIRFLOW__CELERY__BROKER_URL": BROKER,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{meta_url}",
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "7200",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API__BASE_URL": base,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
            # Test only: no scheduled run when the DAG is unpaused, just the one the test triggers.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW_CONN_WIREDESK_STORE": store_url,
            "WIREDESK_STORE_URL": f"sqlite:///{decoy}",
            "WIREDESK_HOME": str(root / "wiredesk"),
            "WIREDESK_FETCH_ALLOW": "127.0.0.1",
        }
    )

    procs: list[Proc] = []
    broker = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    with contextlib.ExitStack() as cleanup:
        admin = cleanup.enter_context(psycopg.connect(PG_ADMIN, autocommit=True))
        broker.flushdb()
        cleanup.callback(broker.flushdb)
        for db in (meta_db, store_db):
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db))
            cleanup.callback(admin.execute, drop)
        stopped: dict[str, float] = {}
        cleanup.callback(lambda: stopped or stop(procs))  # on failure: stop whatever was started
        try:
            migrate = subprocess.run(
                [*AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=240, check=False
            )
            (logs / "migrate.log").parent.mkdir(parents=True, exist_ok=True)
            (logs / "migrate.log").write_text(migrate.stdout + migrate.stderr)
            assert migrate.returncode == 0, f"airflow db migrate failed:\n{tail(logs / 'migrate.log')}"
            phase("migrated")

            server = cleanup.enter_context(CorpusServer())
            settings = Settings.from_env({"WIREDESK_HOME": str(root / "wiredesk")}, store_url=store_url)
            try:
                Store.open(settings.store_url).close()
            except StoreError as exc:
                pytest.fail(f"the wiredesk store cannot open a PostgreSQL database (storage/store.py): {exc}")
            register_corpus(settings, server, datetime.now(UTC))

            procs.append(start("api-server", [*AIRFLOW, "api-server"], env, logs))
            procs.append(start("scheduler", [*AIRFLOW, "scheduler"], env, logs))
            procs.append(start("dag-processor", [*AIRFLOW, "dag-processor"], env, logs))
            for name in WORKERS:
                worker_env = {**env, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}
                command = [*AIRFLOW, "celery", "worker", "--celery-hostname", f"{name}@%h", "--concurrency", "4"]
                procs.append(start(name, command, worker_env, logs))

            client = cleanup.enter_context(httpx.Client(base_url=base, timeout=30))

            def healthy() -> bool:
                health = client.get("/api/v2/monitor/health").json()
                parts = ("metadatabase", "scheduler", "dag_processor")
                return all(health[p]["status"] == "healthy" for p in parts)

            _wait("the API server, scheduler and DAG processor to be healthy", healthy, procs, STARTUP_TIMEOUT)
            phase("healthy")
            token = client.post("/auth/token", json={"username": USER, "password": password})
            assert token.status_code == 201, token.text
            client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            assert client.get("/api/v2/dags").status_code == 200
            assert client.post("/auth/token", json={"username": USER, "password": "wrong"}).status_code == 401

            _wait("the DAG to be parsed", lambda: client.get(f"/api/v2/dags/{DAG_ID}").status_code == 200, procs, 60)
            control = Celery(broker=BROKER).control

            def pongs() -> set[str]:
                return {name for reply in control.ping(timeout=1.0) for name in reply}

            def workers_up() -> bool:
                return {p.split("@")[0] for p in pongs()} == set(WORKERS)

            _wait("both Celery workers to answer a ping", workers_up, procs, STARTUP_TIMEOUT)
            phase("workers up")

            unpaused = client.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False})
            assert unpaused.status_code == 200 and unpaused.json()["is_paused"] is False, unpaused.text
            triggered = client.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None})
            assert triggered.status_code == 200, triggered.text
            run_id = triggered.json()["dag_run_id"]
            run_path = f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}"
            state = "queued"

            def finished() -> bool:
                nonlocal state
                state = client.get(run_path).json()["state"]
                return state in ("success", "failed")

            _wait(f"run {run_id} to finish", finished, procs, RUN_TIMEOUT)
            phase("run finished")

            tis = client.get(f"{run_path}/taskInstances").json()["task_instances"]
            inspect = control.inspect(timeout=2.0)
            totals = {name: sum((stats.get("total") or {}).values()) for name, stats in (inspect.stats() or {}).items()}
            answered = pongs()
            ran_on = {p.name: _workload_lines(p.log, run_id) for p in procs if p.name in WORKERS}

            stopped.update(stop(procs))
            phase("stopped")
            strays = processes_with_env("AIRFLOW_HOME", str(home))
            for line in strays:  # leave nothing behind, but report it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(line.split()[0]), signal.SIGKILL)
        except BaseException:
            print(f"phases (s since start): {phases}\n{tails(procs, 60)}")
            raise
        yield DeployRun(
            run_id=run_id,
            state=state,
            task_instances=tis,
            pongs=answered,
            ran_on=ran_on,
            celery_totals=totals,
            stopped_in=stopped,
            strays=strays,
            store_url=store_url,
            store_password=store_password,
            decoy_store=decoy,
            server=server,
            home=home,
            logs=[p.log for p in procs],
            phases=phases,
        )


def _task_logs(run: DeployRun) -> list[Path]:
    return sorted((run.home / "logs").glob(f"dag_id={DAG_ID}/run_id={run.run_id}/**/*.log"))


def test_the_run_triggered_through_the_rest_api_succeeds(deploy_run: DeployRun) -> None:
    failed = [(t["task_id"], t["map_index"], t["state"]) for t in deploy_run.task_instances if t["state"] != "success"]
    detail = "\n".join(f"--- {p}\n{tail(p, 30)}" for p in _task_logs(deploy_run))
    assert deploy_run.state == "success", f"{failed}\n{detail}"
    assert failed == []
    feeds = [t for t in deploy_run.task_instances if t["task_id"] == "ingest_feed"]
    assert len(feeds) == len(deploy_run.server.corpus.outlets)
    print(f"phases (s since start): {deploy_run.phases}; stopped in {deploy_run.stopped_in}")


def test_every_page_is_stored_and_clustered_as_the_manifest_says(deploy_run: DeployRun) -> None:
    server = deploy_run.server
    with Store.open(deploy_run.store_url) as store:
        assert store.dialect == "postgresql"
        assert store.counts()["articles"] == len(server.corpus.pages)
        assert partition_by_path(store, server) == expected_partition(server)
        assert canonical_paths(store, server) == {p.path for p in server.corpus.pages if p.canonical}


def test_the_tasks_ran_on_both_celery_workers(deploy_run: DeployRun) -> None:
    assert {p.split("@")[0] for p in deploy_run.pongs} == set(WORKERS)
    ran = {(t["task_id"], t["map_index"]) for t in deploy_run.task_instances}
    a, b = (deploy_run.ran_on[name] for name in WORKERS)
    assert a and b, f"every task on one worker: {deploy_run.ran_on}"
    assert a.isdisjoint(b)
    assert a | b == ran
    assert sum(deploy_run.celery_totals.values()) == len(ran), deploy_run.celery_totals


def test_the_store_came_from_the_airflow_connection_and_its_password_from_no_log(deploy_run: DeployRun) -> None:
    assert not deploy_run.decoy_store.exists(), "WIREDESK_STORE_URL was used although the connection exists"
    task_logs = _task_logs(deploy_run)
    assert task_logs
    masked = deploy_run.store_url.replace(deploy_run.store_password, "***")
    said = [p for p in task_logs if f"store: {masked} (from the Airflow connection wiredesk_store)" in p.read_text()]
    assert len(said) == len(deploy_run.task_instances), "every task names its store (publish records the run)"
    for path in [*task_logs, *deploy_run.logs]:
        assert deploy_run.store_password not in path.read_text(errors="replace"), path


def test_everything_stopped_and_nothing_is_left(deploy_run: DeployRun) -> None:
    assert deploy_run.strays == []
    assert all(took < 30 for took in deploy_run.stopped_in.values()), deploy_run.stopped_in
