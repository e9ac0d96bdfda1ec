"""``wiredesk airflow``: airflow standalone on 127.0.0.1 with the demo feeds; the printed login works, the first
run fills the demo store; then a broken feed is added and a second run triggered, and a real browser (Debian's
Chromium driven by Playwright) logs into Airflow, opens the wiredesk page from the navigation and sees the
corpus feeds healthy and the broken one failing; Ctrl-C stops every process it started."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from deploy_helpers import clean_env, free_port, missing, port_open, processes_with_env, start, stop, tail

from storage import Store
from wiredesk.corpus import CorpusServer, load_corpus

pytestmark = pytest.mark.airflow
START_TIMEOUT = 300
RUN_TIMEOUT = 180
CHROMIUM = Path("/usr/bin/chromium")
BROKEN = "Broken Wire"
# Set WIREDESK_SCREENSHOT=docs/images/wiredesk-page.png to refresh the README's picture of the page.
SCREENSHOT_ENV = "WIREDESK_SCREENSHOT"


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
            _wait_for_success(client, 1, home)
            store_url = f"sqlite:///{home / 'airflow-ui' / 'wiredesk.db'}"
            with Store.open(store_url) as store:
                assert store.counts()["articles"] == len(load_corpus().pages)

            # An operator adds a feed that turns out broken, and triggers a run: it fails, the others stay healthy.
            with CorpusServer() as broken_server:
                broken_server.fail("/broken/feed.xml", 500)
                with Store.open(store_url) as store:
                    store.add_feed(broken_server.url + "/broken/feed.xml", BROKEN, datetime.now(UTC))
                triggered = client.post("/api/v2/dags/wiredesk_ingest/dagRuns", json={"logical_date": None})
                assert triggered.status_code == 200, triggered.text
                _wait_for_success(client, 2, home)
            _browse_the_wiredesk_page(url.group(1), password)

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


def _wait_for_success(client: httpx.Client, runs_expected: int, home: Path) -> None:
    state, run_deadline = None, time.monotonic() + RUN_TIMEOUT
    while state != "success":
        runs = client.get("/api/v2/dags/wiredesk_ingest/dagRuns", params={"order_by": "-run_after"}).json()
        newest = runs["dag_runs"][0] if len(runs["dag_runs"]) >= runs_expected else None
        state = newest["state"] if newest else None
        assert state != "failed", tail(home / "airflow-ui" / "standalone.log")
        assert time.monotonic() < run_deadline, f"run {runs_expected} is still {state}"
        time.sleep(2)


def _browse_the_wiredesk_page(base: str, password: str) -> None:
    """Log into Airflow in headless Chromium, open "wiredesk" from the navigation, read the feed rows."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} not found: install Debian's chromium (make browser)")
    from playwright.sync_api import sync_playwright

    feeds = {o.name for o in load_corpus().outlets}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(base + "/wiredesk/")
            # Anonymous: sent to Airflow's login, and back to the page after it.
            page.wait_for_selector("input[name=username]", timeout=60_000)
            assert "/auth/login" in page.url
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", password)
            page.keyboard.press("Enter")
            page.wait_for_selector("tr[data-feed]", timeout=60_000)
            # Now inside Airflow's UI: "wiredesk" in the navigation opens the page in the UI's frame.
            page.goto(base + "/")
            page.get_by_role("link", name="wiredesk").click()
            page.wait_for_url("**/plugin/wiredesk", timeout=60_000)
            frame = page.frame_locator("iframe").first
            rows = frame.locator("tr[data-feed]")
            rows.first.wait_for(timeout=60_000)
            statuses = {
                rows.nth(i).get_attribute("data-feed"): rows.nth(i).get_attribute("data-status")
                for i in range(rows.count())
            }
            assert statuses == {**dict.fromkeys(feeds, "ok"), BROKEN: "failing"}, statuses
            broken = frame.locator(f'tr[data-feed="{BROKEN}"]')
            assert "http-500" in broken.inner_text()
            assert "attention" in (broken.get_attribute("class") or "")
            page.wait_for_timeout(500)  # let the frame paint before the picture
            target = os.environ.get(SCREENSHOT_ENV)
            page.screenshot(path=target or str(Path(os.environ.get("TMPDIR", "/tmp")) / "wiredesk-page.png"))
        finally:
            browser.close()
