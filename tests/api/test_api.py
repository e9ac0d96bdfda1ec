"""The read API (``wiredesk.api``) and ``wiredesk serve`` / ``wiredesk export``, over a store the pipeline filled
from the Herat corpus."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from storage import Article, Store, StoreError
from wiredesk.api import TIME_PATTERN, ApiError, create_app, encode_article_cursor, parse_time
from wiredesk.cli import main
from wiredesk.corpus import CorpusServer
from wiredesk.errors import ConfigError
from wiredesk.pipeline import register_feed, run_cycle
from wiredesk.report import canonical_json, cluster_json, event_json, story_json
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


def test_times_are_iso_8601_dates_or_times(client: TestClient, loaded: Settings) -> None:
    everything = _ids(client)
    assert _ids(client, since="2021-08-13") == _ids(client, since="2021-08-13 00:00:00.000+00:00")
    assert _ids(client, since="2021-08-12t15:00z") == _ids(client, since="2021-08-12T17:00+02:00")
    assert _ids(client, until="2021-08-16T00:00:00Z") == _ids(client, until="2021-08-16")
    # offsets past the ends of the calendar in UTC: bounds before or after everything, not a crash
    assert _ids(client, since="0001-01-01T00:00+05:00") == everything == _ids(client, until="9999-12-31T23:59-05:00")
    assert _ids(client, until="0001-01-01T00:00+05:00") == [] == _ids(client, since="9999-12-31T23:59-05:00")
    for bad in ("2021-02-29", "2021-13-01", "2021-W32-4", "20210812", "2021-08-12T15", "2021-08-12x15:00", "x"):
        response = client.get("/v1/articles", params={"until": bad}, headers=AUTH)
        assert response.status_code == 400, bad
        assert response.json() == {
            "error": f"until: not an ISO 8601 date or time: {bad!r} (try 2021-08-12 or 2021-08-12T15:00Z)"
        }


@settings(max_examples=300, deadline=None)
@given(st.from_regex(TIME_PATTERN, fullmatch=True))
def test_every_time_the_documented_pattern_admits_is_accepted(value: str) -> None:
    when = parse_time("since", value)
    assert (when is None) == (value == "")
    assert when is None or when.utcoffset() == timedelta(0)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789-:.+ TtZzW", max_size=30) | st.text(max_size=30))
def test_every_time_the_documented_pattern_refuses_is_a_400(value: str) -> None:
    if re.fullmatch(TIME_PATTERN, value):
        parse_time("until", value)
    else:
        with pytest.raises(ApiError) as refused:
            parse_time("until", value)
        assert refused.value.status == 400


def test_a_nul_character_is_answered_400_or_404_on_every_backend(client: TestClient) -> None:
    # PostgreSQL text cannot hold a NUL: the query would fail with a 500 rather than find nothing
    for params in ({"outlet": "a\x00"}, {"agency": "\x00"}, {"language": "en\x00"}):
        response = client.get("/v1/articles", params=params, headers=AUTH)
        assert response.status_code == 400, params
        assert "NUL" in response.json()["error"]
    cursor = encode_article_cursor(NOW, "a\x00")
    assert client.get("/v1/articles", params={"cursor": cursor}, headers=AUTH).status_code == 400
    for path in ("/v1/articles/a%00b", "/v1/clusters/%00", "/v1/stories/s%00"):
        response = client.get(path, headers=AUTH)
        assert response.status_code == 404, path
        assert set(response.json()) == {"error"}


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
    for bad in ("x", "-1", "1.5", "", "²", "٣", "1" * 19):  # ASCII digits only, and an id that fits 64 bits
        assert client.get("/v1/changes", params={"after": bad}, headers=AUTH).status_code == 400, bad


# -- the contract: the OpenAPI document and the JSON ----------------------------------------------


def test_every_route_answers_the_json_of_wiredesk_report(client: TestClient, loaded: Settings) -> None:
    """The response models change nothing: each answer is the JSON of wiredesk.report, key order included."""
    with Store.open(loaded.store_url) as store:
        cluster = max(store.list_clusters(), key=lambda c: c.size)
        canonical = store.canonical_articles(limit=500)
        clusters = store.clusters_by_id([a.cluster_id for a in canonical if a.cluster_id])
        events = store.events(after=3, limit=500)
        expected = {
            "/v1/articles?limit=500": {
                "items": [canonical_json(a, clusters[a.cluster_id or ""], body=False) for a in canonical],
                "next_cursor": None,
            },
            f"/v1/articles/{cluster.canonical_id}": canonical_json(store.get_article(cluster.canonical_id), cluster),
            f"/v1/clusters/{cluster.id}": cluster_json(store.cluster_detail(cluster.id)),
            f"/v1/stories/{cluster.story_id}": story_json(store.story_detail(cluster.story_id or "")),
            "/v1/changes?after=3&limit=500": {
                "items": [event_json(e) for e in events],
                "next_cursor": str(events[-1].id),
            },
        }
    for path, body in expected.items():
        response = client.get(path, headers=AUTH)
        assert response.status_code == 200, path
        assert response.json() == body, path
        assert json.dumps(response.json()) == json.dumps(body), path  # the same keys in the same order


def test_the_openapi_document_lists_every_answer_and_no_422(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, store_url=f"sqlite:///{tmp_path}/wiredesk.db")
    with TestClient(create_app(settings, [TOKEN])) as test_client:
        spec = test_client.get("/v1/openapi.json", headers=AUTH).json()
    assert "422" not in json.dumps(spec) and "ValidationError" not in json.dumps(spec)
    error_body = spec["components"]["schemas"]["ErrorBody"]
    assert error_body["properties"]["error"]["type"] == "string"
    assert error_body["required"] == ["error"] and error_body["additionalProperties"] is False
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    statuses = {
        "/v1/health": ["200", "500", "503"],
        "/v1/articles": ["200", "400", "401", "500", "503"],
        "/v1/articles/{article_id}": ["200", "401", "404", "500", "503"],
        "/v1/clusters/{cluster_id}": ["200", "401", "404", "500", "503"],
        "/v1/stories/{story_id}": ["200", "401", "404", "500", "503"],
        "/v1/changes": ["200", "400", "401", "500", "503"],
    }
    assert set(spec["paths"]) == set(statuses)
    for path, documented in statuses.items():
        operation = spec["paths"][path]["get"]
        assert sorted(operation["responses"]) == documented, path
        for status, response in operation["responses"].items():
            if status != "200" and (path, status) != ("/v1/health", "503"):
                assert response["content"] == error, (path, status)
        if path != "/v1/health":
            assert operation["security"] == [{"HTTPBearer": []}]
            header = operation["responses"]["401"]["headers"]["WWW-Authenticate"]
            assert header["required"] is True and header["schema"]["enum"] == ["Bearer"]
    health = spec["paths"]["/v1/health"]["get"]["responses"]
    assert health["503"]["content"] == health["200"]["content"]
    parameters = {p["name"]: p["schema"] for p in spec["paths"]["/v1/articles"]["get"]["parameters"]}
    assert parameters["since"]["pattern"] == parameters["until"]["pattern"] == TIME_PATTERN
    assert "opaque" in parameters["cursor"]["description"]
    assert parameters["limit"]["minimum"] == 1 and parameters["limit"]["maximum"] == 500
    after = spec["paths"]["/v1/changes"]["get"]["parameters"][0]["schema"]
    assert "opaque" in after["description"] and after["pattern"] == "^[0-9]{1,18}$"
    assert spec["components"]["schemas"]["ArticlePage"]["required"] == ["items", "next_cursor"]


def test_a_failure_is_a_json_500(loaded: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def store_fails(_store: Store, _article_id: str) -> Article:
        raise StoreError("store: the disk is on fire")

    def api_fails(_store: Store, _cluster_id: str) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Store, "get_article", store_fails)
    monkeypatch.setattr(Store, "cluster_detail", api_fails)
    with TestClient(create_app(loaded, [TOKEN]), raise_server_exceptions=False) as test_client:
        failed = test_client.get("/v1/articles/x", headers=AUTH)
        assert failed.status_code == 500
        assert failed.json() == {"error": "the store could not answer"}
        crashed = test_client.get("/v1/clusters/x", headers=AUTH)
        assert crashed.status_code == 500
        assert crashed.headers["content-type"] == "application/json"
        assert crashed.json() == {"error": "the API failed to answer; the server's log says why"}


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
