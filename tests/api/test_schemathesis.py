"""The read API against its own OpenAPI document, with schemathesis.

For every documented operation, requests generated from the document (schema-valid ones, and schema-invalid ones
for operations with parameters) go with the bearer token to the ASGI app over a store the pipeline filled from
the Herat corpus, and each response is checked (:data:`CONTRACT`): no 5xx, a documented status, the documented
content type, headers and body schema, the token really required (``ignored_auth``), invalid input rejected with
a 4xx (``negative_data_rejection``). Apart from that: schema-valid requests are accepted
(``positive_data_acceptance``; the opaque ``cursor`` of /v1/articles is then one the API gave out, as a schema
cannot say which strings are such cursors), the detail routes keep the contract for ids that exist, and the
answers without a token (401) and with the store down (503) are the documented ones.

SQLite only: the queries behind the routes run on both backends in test_api.py; what this checks is the HTTP
contract, which does not depend on the database. Bounded and deterministic: a fixed number of examples per
operation and mode, derandomized, no example database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from storage import Store
from wiredesk.api import create_app
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import register_feed, run_cycle
from wiredesk.settings import Settings

NOW = datetime(2021, 8, 20, 12, 0, tzinfo=UTC)
TOKEN = "schemathesis-token-5a4b"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_EXAMPLES = 25  # per operation and mode
FEW_EXAMPLES = 5  # per operation, where the answer does not depend on the parameters (401, 503)
CONFORMANCE: list[Callable[..., Any]] = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CONTRACT: list[Callable[..., Any]] = [
    not_a_server_error,
    *CONFORMANCE,
    ignored_auth,
    negative_data_rejection,
]
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE

# The operations, listed here rather than collected through ``schemathesis.pytest.from_fixture``: its lazy loader
# sets ``request.node._nodeid``, which pytest 9 no longer has (AttributeError with schemathesis 4.32.5).
# test_every_documented_operation_is_tested keeps this list equal to the document's.
OPERATIONS = [
    ("GET", "/v1/health"),
    ("GET", "/v1/articles"),
    ("GET", "/v1/articles/{article_id}"),
    ("GET", "/v1/clusters/{cluster_id}"),
    ("GET", "/v1/stories/{story_id}"),
    ("GET", "/v1/changes"),
]
# /v1/health has no parameter: no schema-invalid request exists for it.
CASES = [(m, p, mode) for m, p in OPERATIONS for mode in (POSITIVE, NEGATIVE) if (p, mode) != ("/v1/health", NEGATIVE)]


def _case_id(case: tuple[str, str, GenerationMode]) -> str:
    return f"{case[0]} {case[1]} {case[2].value}"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings over a SQLite store holding one pipeline cycle of the corpus."""
    home = tmp_path_factory.mktemp("schemathesis")
    settings = Settings.from_env({"WIREDESK_HOME": str(home), "WIREDESK_FETCH_ALLOW": "127.0.0.1"})
    with CorpusServer() as server:
        for name, url in server.feed_urls():
            register_feed(settings, url, name, NOW)
        run_cycle(settings, NOW)
    return settings


@pytest.fixture(scope="module")
def app(loaded: Settings) -> FastAPI:
    return create_app(loaded, [TOKEN])


def _load(app: FastAPI) -> Any:
    """The OpenAPI document ``app`` serves at /v1/openapi.json (behind the token, like every route)."""
    return schemathesis.openapi.from_asgi("/v1/openapi.json", app, headers=AUTH)


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> Any:
    return _load(app)


@pytest.fixture(scope="module")
def article_cursor(app: FastAPI) -> str:
    """A cursor the API gave out: the next_cursor of the first page of one article."""
    cursor = TestClient(app).get("/v1/articles", params={"limit": 1}, headers=AUTH).json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


def _run(
    operation: Any,
    mode: GenerationMode,
    checks: list[Callable[..., Any]],
    *,
    examples: int = MAX_EXAMPLES,
    headers: dict[str, str] | None = AUTH,
    **fixed: Any,
) -> None:
    """``examples`` generated requests to ``operation`` (``fixed``: parameters not generated) sent with
    ``headers``, each checked."""

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def check(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=checks)

    check()


def test_every_documented_operation_is_tested(api_schema: Any) -> None:
    documented = [(r.ok().method.upper(), r.ok().path) for r in api_schema.get_all_operations()]
    assert sorted(documented) == sorted(OPERATIONS)


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[_case_id(c) for c in CASES])
def test_the_api_keeps_its_openapi_contract(api_schema: Any, method: str, path: str, mode: GenerationMode) -> None:
    _run(api_schema[path][method], mode, CONTRACT)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_schema_valid_requests_are_accepted(api_schema: Any, article_cursor: str, method: str, path: str) -> None:
    fixed: dict[str, Any] = {"query": {"cursor": article_cursor}} if path == "/v1/articles" else {}
    _run(api_schema[path][method], POSITIVE, [positive_data_acceptance, *CONFORMANCE], **fixed)


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/articles/{article_id}", "article_id"),
        ("/v1/clusters/{cluster_id}", "cluster_id"),
        ("/v1/stories/{story_id}", "story_id"),
    ],
)
def test_the_detail_routes_keep_the_contract_for_ids_that_exist(
    api_schema: Any, loaded: Settings, path: str, parameter: str
) -> None:
    with Store.open(loaded.store_url) as store:
        cluster = max(store.list_clusters(), key=lambda c: c.size)
        ids = {"article_id": cluster.canonical_id, "cluster_id": cluster.id, "story_id": cluster.story_id}
    _run(
        api_schema[path]["GET"],
        POSITIVE,
        [*CONTRACT, positive_data_acceptance],
        path_parameters={parameter: ids[parameter]},
    )


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_answers_without_a_token_are_documented(api_schema: Any, method: str, path: str) -> None:
    """401 with ``WWW-Authenticate: Bearer`` and an error body (health: 200, it wants no token)."""
    _run(api_schema[path][method], POSITIVE, [not_a_server_error, *CONFORMANCE], examples=FEW_EXAMPLES, headers=None)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_answers_with_the_store_down_are_documented(tmp_path: Path, method: str, path: str) -> None:
    """503: health's own body, every other route an error body."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    broken = create_app(Settings(home=tmp_path, store_url=f"sqlite:///{blocker}/sub/wiredesk.db"), [TOKEN])
    _run(_load(broken)[path][method], POSITIVE, CONFORMANCE, examples=FEW_EXAMPLES)
