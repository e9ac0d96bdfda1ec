"""The plugin inside Airflow's API app, in this process: Airflow's own ``create_app`` finds the plugin through its entry
point and mounts its apps; SimpleAuthManager (with a known admin password) logs users in. Every route of the page
wants an Airflow login, checked by Airflow; the read API keeps its own tokens and is mounted only with one."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from fastapi.testclient import TestClient
from plugin_helpers import ADMIN_PASSWORD, API_TOKEN, DEAD, FAILING, FRESH, Filled, Page, write_passwords

from wiredesk.settings import Settings

pytestmark = pytest.mark.airflow

JSON_ROUTES = ("/wiredesk/api/health.json", "/wiredesk/api/runs.json", "/wiredesk/api/clusters.json")


@pytest.fixture(scope="module")
def client(airflow_home: Path, filled: Filled, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """Airflow's API app (``airflow.api_fastapi.app.create_app``, as ``airflow api-server`` builds it) with the
    plugin over ``filled``'s store, the read API's token set, and SimpleAuthManager's ``admin``."""
    passwords = write_passwords(tmp_path_factory.mktemp("auth") / "passwords.json")
    with pytest.MonkeyPatch.context() as env:
        for key, value in filled.env.items():
            env.setenv(key, value)
        env.setenv("WIREDESK_STORE_URL", filled.settings.store_url)
        env.setenv("WIREDESK_API_TOKEN", API_TOKEN)
        env.delenv("AIRFLOW_CONN_WIREDESK_STORE", raising=False)
        env.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin")
        env.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
        env.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(passwords))
        env.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "plugin-tests-jwt-secret-" + "x" * 48)
        from airflow import plugins_manager
        from airflow.api_fastapi.app import create_app, purge_cached_app

        # Plugins are loaded once per process: load them again, in this environment.
        plugins_manager._get_plugins.cache_clear()
        plugins_manager.get_fastapi_plugins.cache_clear()
        purge_cached_app()
        with TestClient(create_app()) as test_client:
            yield test_client


@pytest.fixture(scope="module")
def token(client: TestClient) -> str:
    """A JWT from Airflow's own login route, with the admin's password."""
    response = client.post("/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _mint(username: str, role: str | None, expires_in: int = 3600) -> str:
    """A token the auth manager itself signs (for users and lifetimes the login route would not give)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    user = SimpleAuthManagerUser(username=username, role=role)
    return get_auth_manager().generate_jwt(user, expiration_time_in_seconds=expires_in)


def _plugin_routes(client: TestClient) -> list[str]:
    """The paths of every route the plugin's page app serves (so a route added later is checked too)."""
    from fastapi.routing import APIRoute
    from starlette.routing import Mount

    app: Any = client.app
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/wiredesk")
    return [f"/wiredesk{r.path}" for r in mount.app.routes if isinstance(r, APIRoute)]


# -- the plugin in Airflow -------------------------------------------------------------------------


def test_airflow_loads_the_plugin_and_puts_the_page_in_its_navigation(client: TestClient, token: str) -> None:
    response = client.get("/api/v2/plugins", headers=_bearer(token))
    assert response.status_code == 200, response.text
    plugin = next(p for p in response.json()["plugins"] if p["name"] == "wiredesk")
    assert {a["url_prefix"] for a in plugin["fastapi_apps"]} == {"/wiredesk", "/wiredesk-api"}
    [view] = plugin["external_views"]
    assert view["href"] == "/wiredesk/" and view["destination"] == "nav" and view["url_route"] == "wiredesk"
    assert "wiredesk.airflow_plugin:WiredeskPlugin" in plugin["source"]
    assert _plugin_routes(client) == ["/wiredesk/", *JSON_ROUTES]


# -- authentication --------------------------------------------------------------------------------


def test_an_anonymous_request_for_the_page_is_sent_to_airflows_login(client: TestClient) -> None:
    response = client.get("/wiredesk/", follow_redirects=False)
    assert response.status_code == 307
    location = urlsplit(response.headers["location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query)["next"] == ["http://testserver/wiredesk/"]
    assert "data-feed" not in response.text


def test_every_route_of_the_page_refuses_an_anonymous_request(client: TestClient) -> None:
    for path in _plugin_routes(client):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (307, 401), (path, response.status_code)
        assert "The Daily Meridian" not in response.text
    for path in JSON_ROUTES:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json() == {"error": "Not authenticated"}
        assert response.headers["www-authenticate"] == "Bearer"
        # Authentication comes before anything else: a bad parameter is not even looked at.
        assert client.get(path, params={"days": 0, "limit": 0}).status_code == 401


def test_a_bad_or_expired_token_is_refused(client: TestClient, token: str) -> None:
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, "another-secret-" + "y" * 56, algorithm="HS512")
    expired = _mint("admin", "admin", expires_in=-3600)
    for bad, status in (("not-a-jwt", 403), (forged, 403), (expired, 401)):
        for path in JSON_ROUTES:
            assert client.get(path, headers=_bearer(bad)).status_code == status, (path, bad)
        client.cookies.set("_token", bad)
        assert client.get(JSON_ROUTES[0]).status_code == status
        client.cookies.clear()
        page = client.get("/wiredesk/", headers=_bearer(bad), follow_redirects=False)
        assert page.status_code == 307 and page.headers["location"].startswith("/auth/login?")


def test_a_user_airflow_does_not_let_see_its_ui_gets_403(client: TestClient) -> None:
    nobody = _mint("nobody", None)  # SimpleAuthManager: a user without a role has no permission
    page = client.get("/wiredesk/", headers=_bearer(nobody), follow_redirects=False)
    assert page.status_code == 403 and "data-feed" not in page.text
    assert client.get("/wiredesk/api/health.json", headers=_bearer(nobody)).status_code == 403


def test_a_logged_in_user_gets_the_page_with_every_feed(client: TestClient, token: str, filled: Filled) -> None:
    response = client.get("/wiredesk/", headers=_bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none': no script
    rows = Page(response.text).feed_rows()
    expected = {**dict.fromkeys(filled.corpus_feeds, "ok"), DEAD: "dead", FAILING: "failing", FRESH: "new"}
    assert {name: row.attrs["data-status"] for name, row in rows.items()} == expected
    assert "signed in to Airflow as admin" in response.text
    # The UI's login cookie works as well as the bearer token.
    client.cookies.set("_token", token)
    by_cookie = client.get("/wiredesk/")
    client.cookies.clear()
    assert by_cookie.status_code == 200 and Page(by_cookie.text).feed_rows().keys() == rows.keys()


def test_the_json_the_page_is_built_from(client: TestClient, token: str, filled: Filled) -> None:
    health = client.get("/wiredesk/api/health.json", params={"days": 3}, headers=_bearer(token))
    assert health.status_code == 200
    assert health.json()["days"] == 3
    feeds = {f["name"]: f for f in health.json()["feeds"]}
    assert feeds[DEAD]["status"] == "dead" and feeds[DEAD]["error_class"] == "http-404"
    runs = client.get("/wiredesk/api/runs.json", params={"limit": 1}, headers=_bearer(token)).json()["runs"]
    assert [r["run_id"] for r in runs] == filled.runs[:1]
    clusters = client.get("/wiredesk/api/clusters.json", headers=_bearer(token)).json()
    members = [m for c in clusters["clusters"] for m in c["members"]]
    assert {"jaccard", "containment", "rule"} <= members[0].keys()
    assert [len(s["links"]) > 0 for s in clusters["stories"]] == [True]
    bad = client.get("/wiredesk/api/health.json", params={"days": 0}, headers=_bearer(token))
    assert bad.status_code == 422


def test_an_unreadable_store_is_a_503_not_a_traceback(
    client: TestClient, token: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from wiredesk.dashboard import create_dashboard_app

    missing = tmp_path / "not-yet" / "wiredesk.db"
    for url in (
        "postgresql+psycopg://postgres:pg-secret@127.0.0.1:9/none",  # nothing listens on port 9
        f"sqlite:///{missing}",  # no store yet: the page must not create one
    ):
        with TestClient(create_dashboard_app(lambda url=url: Settings.from_env({"WIREDESK_STORE_URL": url}))) as alone:
            alone.headers.update(_bearer(token))
            page = alone.get("/")
            assert page.status_code == 503 and "store unavailable" in page.text and "127.0.0.1:9" not in page.text
            health = alone.get("/api/health.json")
            assert health.status_code == 503
            assert health.json() == {"error": "the store is unavailable; try again later"}
            alone.headers.clear()
            assert alone.get("/api/health.json").status_code == 401  # and still nothing without a login
    assert not missing.parent.exists()
    assert "store: cannot open" in caplog.text and "pg-secret" not in caplog.text  # logged, password masked


# -- the read API ----------------------------------------------------------------------------------


def test_the_read_api_is_mounted_and_keeps_its_own_tokens(client: TestClient, token: str) -> None:
    anonymous = client.get("/wiredesk-api/v1/articles")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert client.get("/wiredesk-api/v1/articles", headers=_bearer(token)).status_code == 401  # an Airflow JWT
    articles = client.get("/wiredesk-api/v1/articles", headers=_bearer(API_TOKEN))
    assert articles.status_code == 200 and articles.json()["items"]


def test_without_a_token_the_read_api_is_not_mounted(caplog: pytest.LogCaptureFixture, airflow_home: Path) -> None:
    from wiredesk.airflow_plugin import build_fastapi_apps

    with caplog.at_level(logging.WARNING, logger="wiredesk.airflow_plugin"):
        apps = build_fastapi_apps({"WIREDESK_API_TOKEN": " , "})
    assert [a["url_prefix"] for a in apps] == ["/wiredesk"]
    [record] = [r for r in caplog.records if r.name == "wiredesk.airflow_plugin"]
    assert record.levelno == logging.WARNING and "WIREDESK_API_TOKEN is not set" in record.getMessage()


def test_a_read_api_that_cannot_be_built_leaves_the_api_server_running(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, airflow_home: Path
) -> None:
    from wiredesk.airflow_plugin import build_fastapi_apps

    # A store connection Airflow has, but of a type no database has: task_settings raises ConfigError.
    monkeypatch.setenv("AIRFLOW_CONN_WIREDESK_STORE", "http://user:s3cret-pw@example.com/wiredesk")
    with caplog.at_level(logging.WARNING, logger="wiredesk.airflow_plugin"):
        apps = build_fastapi_apps({"WIREDESK_API_TOKEN": API_TOKEN})
    assert [a["url_prefix"] for a in apps] == ["/wiredesk"]
    [record] = [r for r in caplog.records if r.name == "wiredesk.airflow_plugin"]
    assert record.levelno == logging.ERROR and "not mounted" in record.getMessage()
    assert "s3cret-pw" not in caplog.text and API_TOKEN not in caplog.text
