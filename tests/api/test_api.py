"""The read API (``wiredesk.api``) and ``wiredesk serve`` / ``wiredesk export``, over a store the pipeline filled
from the Herat corpus."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from storage import Article, Store
from wiredesk.api import create_app
from wiredesk.cli import main
from wiredesk.corpus import CorpusServer
from wiredesk.errors import ConfigError
from wiredesk.pipeline import register_feed, run_cycle
from wiredesk.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2021, 8, 20, 12, 0, tzinfo=UTC)
TOKEN = "test-token-6f1d"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def loaded(settings: Settings, fresh_server: CorpusServer) -> Settings:
    """``settings`` over a store holding one pipeline cycle of the corpus."""
    for name, url in fresh_server.feed_urls():
        register_feed(settings, url, name, NOW)
    run_cycle(settings, NOW)
    return settings


@pytest.fixture
def client(loaded: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(loaded, [TOKEN, "second-token"])) as test_client:
        yield test_client


def _when(article: Article) -> datetime:
    return article.published_at or article.fetched_at


def _canonical(settings: Settings) -> list[Article]:
    """The canonical articles, newest first by (time, id): what /v1/articles must list."""
    with Store.open(settings.store_url) as store:
        clusters = store.list_clusters()
        articles = store.articles_by_id([c.canonical_id for c in clusters])
    return sorted(articles.values(), key=lambda a: (_when(a), a.id), reverse=True)


def _ids(client: TestClient, **params: Any) -> list[str]:
    response = client.get("/v1/articles", params={"limit": 500, **params}, headers=AUTH)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# -- authentication ------------------------------------------------------------------------------


def test_every_route_but_health_wants_a_token(client: TestClient) -> None:
    health = client.get("/v1/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "store": "ok"}
    for path in (
        "/v1/articles",
        "/v1/articles/x",
        "/v1/clusters/x",
        "/v1/stories/x",
        "/v1/changes",
        "/v1/openapi.json",
    ):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            response = client.get(path, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert set(response.json()) == {"error"}
    assert client.get("/v1/articles", headers={"Authorization": "Bearer second-token"}).status_code == 200
    spec = client.get("/v1/openapi.json", headers=AUTH).json()
    assert spec["info"]["title"] == "wiredesk read API"
    assert spec["info"]["version"] == "0.1.0"
    assert {"/v1/health", "/v1/articles", "/v1/articles/{article_id}", "/v1/changes"} <= set(spec["paths"])


def test_create_app_refuses_without_a_token(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, store_url=f"sqlite:///{tmp_path}/wiredesk.db")
    for tokens in ([], ["", "  "]):
        with pytest.raises(ConfigError, match="set WIREDESK_API_TOKEN"):
            create_app(settings, tokens)


def test_health_is_503_when_the_store_cannot_be_opened(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    broken = Settings(home=tmp_path, store_url=f"sqlite:///{blocker}/sub/wiredesk.db")
    with TestClient(create_app(broken, [TOKEN])) as test_client:
        response = test_client.get("/v1/health")
        assert response.status_code == 503
        assert response.json()["store"] == "unavailable"
        assert test_client.get("/v1/articles", headers=AUTH).status_code == 503


# -- articles ------------------------------------------------------------------------------------


def test_articles_page_through_every_canonical_article_once(client: TestClient, loaded: Settings) -> None:
    expected = _canonical(loaded)
    assert len(expected) == 18
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = client.get("/v1/articles", params=params, headers=AUTH)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 3
        for item in body["items"]:
            assert "body" not in item
            assert item["cluster"]["canonical_id"] == item["id"]
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [a.id for a in expected]
    assert pages == 6


def test_articles_filters(client: TestClient, loaded: Settings) -> None:
    expected = _canonical(loaded)
    since, until = datetime(2021, 8, 13, tzinfo=UTC), datetime(2021, 8, 16, tzinfo=UTC)
    window = [a.id for a in expected if since <= _when(a) < until]
    assert 0 < len(window) < len(expected)
    assert _ids(client, since="2021-08-13T00:00Z", until="2021-08-16") == window
    assert _ids(client, since="2021-08-13") == [a.id for a in expected if _when(a) >= since]
    assert _ids(client, outlet="Valley Observer") == [a.id for a in expected if a.outlet == "Valley Observer"]
    afp = [a.id for a in expected if "AFP" in (a.agency or "").split(",")]
    assert any("," in (a.agency or "") for a in expected if a.id in afp)  # the AP+AFP blend matches AFP
    assert _ids(client, agency="AFP") == afp
    assert _ids(client, agency="afp") == afp
    assert _ids(client, agency="AF") == []
    assert _ids(client, language="en") == [a.id for a in expected]
    assert _ids(client, language="fr") == []
    # a filter and the cursor together
    first = client.get("/v1/articles", params={"agency": "AP", "limit": 2}, headers=AUTH).json()
    rest = client.get(
        "/v1/articles", params={"agency": "AP", "limit": 500, "cursor": first["next_cursor"]}, headers=AUTH
    ).json()
    ap = [a.id for a in expected if "AP" in (a.agency or "").split(",")]
    assert [i["id"] for i in first["items"] + rest["items"]] == ap
    assert rest["next_cursor"] is None


def test_articles_bad_parameters_are_400(client: TestClient) -> None:
    for params in ({"cursor": "nonsense"}, {"limit": 0}, {"limit": 501}, {"limit": "x"}, {"since": "yesterday"}):
        response = client.get("/v1/articles", params=params, headers=AUTH)
        assert response.status_code == 400, params
        assert set(response.json()) == {"error"}
    assert client.get("/v1/articles", params={"limit": 500}, headers=AUTH).status_code == 200


# -- detail --------------------------------------------------------------------------------------


def test_article_cluster_and_story_detail(client: TestClient, loaded: Settings) -> None:
    with Store.open(loaded.store_url) as store:
        cluster = store.list_clusters()[0]
        members = store.cluster_members(cluster.id)
        story = store.story_detail(cluster.story_id or "")
    member = members[-1][0]
    article = client.get(f"/v1/articles/{member.id}", headers=AUTH).json()
    assert article["id"] == member.id and article["body"] == member.body
    assert article["cluster"] == {
        "id": cluster.id,
        "size": cluster.size,
        "canonical_id": cluster.canonical_id,
        "story_id": cluster.story_id,
    }
    detail = client.get(f"/v1/clusters/{cluster.id}", headers=AUTH).json()
    assert detail["id"] == cluster.id and detail["size"] == len(detail["members"]) == len(members) > 1
    assert [m["canonical"] for m in detail["members"]].count(True) == 1
    shown = client.get(f"/v1/stories/{story.story.id}", headers=AUTH).json()
    assert shown["id"] == story.story.id
    assert [c["id"] for c in shown["clusters"]] == [c.id for c, _ in story.clusters]
    assert len(shown["links"]) == len(story.links)
    for path in ("/v1/articles/nope", "/v1/clusters/nope", "/v1/stories/nope", "/v1/elsewhere"):
        response = client.get(path, headers=AUTH)
        assert response.status_code == 404, path
        assert set(response.json()) == {"error"}
    assert "nope" in client.get("/v1/articles/nope", headers=AUTH).json()["error"]


# -- changes -------------------------------------------------------------------------------------


def test_changes_page_through_the_event_list_in_order(client: TestClient, loaded: Settings) -> None:
    with Store.open(loaded.store_url) as store:
        events = store.events(limit=100_000)
    assert len(events) > 10
    seen: list[dict[str, Any]] = []
    cursor = "0"
    while True:
        body = client.get("/v1/changes", params={"after": cursor, "limit": 5}, headers=AUTH).json()
        assert len(body["items"]) <= 5
        if not body["items"]:
            assert body["next_cursor"] == cursor  # keep polling from where you are
            break
        seen += body["items"]
        cursor = body["next_cursor"]
        assert cursor == str(body["items"][-1]["id"])
    assert [e["id"] for e in seen] == [e.id for e in events]
    assert [e["kind"] for e in seen] == [e.kind for e in events]
    assert seen[0]["at"] == events[0].at.isoformat()
    for bad in ("x", "-1", "1.5"):
        assert client.get("/v1/changes", params={"after": bad}, headers=AUTH).status_code == 400


# -- wiredesk export ------------------------------------------------------------------------------


def test_export_writes_canonical_articles_as_json_lines(
    loaded: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _canonical(loaded)
    since = datetime(2021, 8, 12, 15, 0, tzinfo=UTC)
    assert main(["export", "--since", "2021-08-12T15:00Z", "--format", "jsonl"]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["id"] for r in rows] == [a.id for a in expected if _when(a) >= since]
    assert all(r["body"] and r["cluster"]["canonical_id"] == r["id"] for r in rows)
    assert f"exported {len(rows)} canonical articles" in captured.err

    out = tmp_path / "export.jsonl"
    argv = ["export", "--since", "2021-08-01", "--until", "2021-08-13", "--format", "jsonl", "--output", str(out)]
    assert main(argv) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    until = datetime(2021, 8, 13, tzinfo=UTC)
    assert [json.loads(line)["id"] for line in lines] == [a.id for a in expected if _when(a) < until]
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["export", "--since", "2021-08-01", "--format", "csv"])


# -- wiredesk serve ------------------------------------------------------------------------------


def _serve(port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wiredesk.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_serve_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "WIREDESK_API_TOKEN"} | {"WIREDESK_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "wiredesk.cli", "serve", "--port", "1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("wiredesk: error: set WIREDESK_API_TOKEN")


def test_serve_answers_with_a_token_only(loaded: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = _serve(port, {**os.environ, "WIREDESK_API_TOKEN": f" other , {TOKEN} "})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "wiredesk serve did not come up"
            time.sleep(0.2)
        refused = httpx.get(f"{base}/v1/articles", timeout=10)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        answered = httpx.get(f"{base}/v1/articles?limit=5", headers=AUTH, timeout=10)
        assert answered.status_code == 200
        assert len(answered.json()["items"]) == 5
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert TOKEN not in output  # never logged
    assert "GET /v1/articles" in output
