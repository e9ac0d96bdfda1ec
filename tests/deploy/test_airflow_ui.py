"""``wiredesk airflow``: airflow standalone on 127.0.0.1 with the demo feeds; the printed login works, the first
run fills the demo store, and Ctrl-C stops every process it started."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import sys
import time
from pathlib import Path

import httpx
import pytest
from deploy_helpers import clean_env, free_port, port_open, processes_with_env, start, stop, tail

from storage import Store
from wiredesk.corpus import load_corpus

pytestmark = pytest.mark.airflow
START_TIMEOUT = 300
RUN_TIMEOUT = 180


def _wiredesk() -> list[str]:
    script = Path(sys.executable).with_name("wiredesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "wiredesk.cli"]


def test_wiredesk_airflow_serves_the_ui_with_the_printed_login_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "home"
    airflow_home = home / "airflow-ui" / "airflow"
    env = clean_env({"WIREDESK_HOME": str(home)})
    proc = start("wiredesk-airflow", [*_wiredesk(), "airflow", "--port", str(port)], env, tmp_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not re.search(r"^login: admin / \S+$", proc.log.read_text(), re.MULTILINE):
            assert proc.alive(), f"wiredesk airflow exited:\n{tail(proc.log)}"
            assert time.monotonic() < deadline, f"no login printed:\n{tail(proc.log)}"
            time.sleep(1)
        output = proc.log.read_text()
        url = re.search(r"^Airflow UI: (\S+)$", output, re.MULTILINE)
        login = re.search(r"^login: admin / (\S+)$", output, re.MULTILINE)
        assert url and login
        assert url.group(1) == f"http://127.0.0.1:{port}"
        password = login.group(1)

        with httpx.Client(base_url=url.group(1), timeout=30) as client:
            health = client.get("/api/v2/monitor/health").json()
            assert health["scheduler"]["status"] == "healthy", health
            assert client.get("/").status_code == 200  # the UI
            assert client.post("/auth/token", json={"username": "admin", "password": "wrong"}).status_code == 401
            token = client.post("/auth/token", json={"username": "admin", "password": password})
            assert token.status_code == 201, token.text
            client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            dag = client.get("/api/v2/dags/wiredesk_ingest")
            assert dag.status_code == 200 and dag.json()["is_paused"] is False, dag.text
            # The DAG is unpaused, so its first scheduled run starts at once: its tasks (LocalExecutor, through the
            # execution API on this port) poll the corpus server's feeds and fill the demo store.
            state, run_deadline = None, time.monotonic() + RUN_TIMEOUT
            while state != "success":
                runs = client.get("/api/v2/dags/wiredesk_ingest/dagRuns").json()["dag_runs"]
                state = runs[0]["state"] if runs else None
                assert state != "failed", tail(home / "airflow-ui" / "standalone.log")
                assert time.monotonic() < run_deadline, f"the first run is still {state}"
                time.sleep(2)
        with Store.open(f"sqlite:///{home / 'airflow-ui' / 'wiredesk.db'}") as store:
            assert store.counts()["articles"] == len(load_corpus().pages)

        passwords = airflow_home / "simple_auth_manager_passwords.json"
        assert password in passwords.read_text()
        assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
        assert f"{len(load_corpus().outlets)} feeds registered" in output

        os.kill(proc.popen.pid, signal.SIGINT)  # Ctrl-C: the terminal signals only wiredesk's process group
        assert proc.popen.wait(timeout=120) == 0, tail(proc.log)
        assert proc.log.read_text().rstrip().endswith("stopped."), tail(proc.log)
        assert processes_with_env("AIRFLOW_HOME", str(airflow_home)) == []
        assert not port_open(port)
    finally:
        stop([proc])
        for line in processes_with_env("AIRFLOW_HOME", str(airflow_home)):  # never leave Airflow behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line.split()[0]), signal.SIGKILL)
