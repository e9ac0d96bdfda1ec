"""The plugin in a real ``airflow api-server`` on a free loopback port: Airflow loads it from its entry point, the page
is refused without a login and served with a token from Airflow's ``/auth/token``, and the read API is mounted
under ``/wiredesk-api`` behind its own bearer tokens."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from deploy_helpers import AIRFLOW, clean_env, free_port, start, stop, tail
from plugin_helpers import ADMIN_PASSWORD, API_TOKEN, DEAD, Filled, Page, write_passwords

from wiredesk import airflow_local

pytestmark = pytest.mark.airflow
START_TIMEOUT = 90


def _copy_database(source: Path, target: Path) -> None:
    """A copy of a migrated Airflow metadata database (saves the ~15 s of ``airflow db migrate``)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _wait_until_up(client: httpx.Client, alive: Callable[[], bool], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if client.get("/api/v2/monitor/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert alive(), f"airflow api-server exited:\n{tail(log)}"
        assert time.monotonic() < deadline, f"airflow api-server did not answer in {START_TIMEOUT} s:\n{tail(log)}"
        time.sleep(0.5)


def test_a_real_api_server_serves_the_page_to_logged_in_users_only(
    airflow_home: Path, filled: Filled, tmp_path: Path
) -> None:
    home = tmp_path / "airflow"
    home.mkdir()
    _copy_database(airflow_home / "airflow.db", home / "airflow.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = clean_env(
        {
            **airflow_local.airflow_environment(home, quiet=False),
            **filled.env,
            "WIREDESK_STORE_URL": filled.settings.store_url,
            "WIREDESK_API_TOKEN": API_TOKEN,
            "AIRFLOW__API__BASE_URL": url,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(write_passwords(tmp_path / "passwords.json")),
            "AIRFLOW__API_AUTH__JWT_SECRET": "plugin-api-server-jwt-secret-" + "z" * 48,
        }
    )
    args = [*AIRFLOW, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    began = time.monotonic()
    proc = start("api-server", args, env, tmp_path)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            _wait_until_up(client, proc.alive, proc.log)
            started = time.monotonic() - began

            page = client.get("/wiredesk/")
            assert page.status_code == 307, page.text
            location = urlsplit(page.headers["location"])
            assert location.path == "/auth/login"
            assert parse_qs(location.query)["next"] == [f"{url}/wiredesk/"]
            assert client.get("/wiredesk/api/health.json").status_code == 401
            api = client.get("/wiredesk-api/v1/articles")
            assert api.status_code == 401 and api.json() == {"error": "a bearer token is required"}

            login = client.post("/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
            assert login.status_code == 201, login.text
            bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
            plugins = client.get("/api/v2/plugins", headers=bearer).json()["plugins"]
            plugin = next(p for p in plugins if p["name"] == "wiredesk")
            assert {a["url_prefix"] for a in plugin["fastapi_apps"]} == {"/wiredesk", "/wiredesk-api"}
            assert plugin["external_views"][0]["href"] == "/wiredesk/"

            page = client.get("/wiredesk/", headers=bearer)
            assert page.status_code == 200, page.text
            rows = Page(page.text).feed_rows()
            assert set(filled.corpus_feeds) < set(rows) and rows[DEAD].attrs["data-status"] == "dead"
            assert client.get("/wiredesk/api/health.json", headers=bearer).status_code == 200
            assert client.get("/wiredesk-api/v1/articles", headers=bearer).status_code == 401  # not its tokens
            articles = client.get("/wiredesk-api/v1/articles", headers={"Authorization": f"Bearer {API_TOKEN}"})
            assert articles.status_code == 200 and articles.json()["items"]
    finally:
        stop([proc])
    log = proc.log.read_text(errors="replace")
    assert API_TOKEN not in log and ADMIN_PASSWORD not in log
    print(f"airflow api-server answered after {started:.1f} s")
