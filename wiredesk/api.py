"""The read API: canonical articles, clusters, stories and the change feed over HTTP (FastAPI), under ``/v1``.

Every route but ``GET /v1/health`` wants ``Authorization: Bearer <token>`` with a token of
``WIREDESK_API_TOKEN``; without a configured token :func:`create_app` refuses (the API never serves openly).
Errors are JSON, ``{"error": "..."}``. Lists page with opaque cursors: ``/v1/articles`` on the last article's
(time, id), ``/v1/changes`` on the last event id, so pages neither repeat nor skip an item.

The OpenAPI document (``/v1/openapi.json``) is a contract, checked with schemathesis in ``tests/api``: each
route lists every status it answers, each with its body (the response models below: the JSON of
:mod:`wiredesk.report`, field for field), and each parameter's schema admits exactly the values the route
accepts; any other value is answered 400.

Run it with ``wiredesk serve`` (uvicorn).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException

from storage import NotFound, Store, StoreError, StoreUnavailable
from wiredesk.errors import ConfigError
from wiredesk.report import canonical_json, cluster_json, event_json, story_json
from wiredesk.settings import Settings

log = logging.getLogger("wiredesk.api")

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_CURSOR = 512  # characters; the cursors this API gives out are under 100

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"items per page, 1 to {MAX_LIMIT}")]


def _package_version() -> str:
    try:
        return version("wiredesk")
    except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
        return "0+unknown"


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


# -- what the parameters accept --------------------------------------------------------------------
# Each pattern goes into the OpenAPI document as it is and is the very check the route makes, so the document
# admits exactly the values the API accepts. ASCII [0-9] rather than \d: Python's \d also matches other scripts'
# digits, ECMA-262's (the schema's dialect) does not.

_YEAR = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"  # 0001 to 9999
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_DATE = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_CLOCK = "(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]+)?)?"
_OFFSET = "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
TIME_PATTERN = f"^(?:{_DATE}(?:[Tt ]{_CLOCK}{_OFFSET}?)?)?$"
"""``since`` and ``until``: empty (no bound), a calendar date, or a date and a time of day (hours and minutes,
optionally seconds and a fraction) with an optional UTC offset, after a T (or t, or a space): ISO 8601's extended
format, which takes in every RFC 3339 date-time but a leap second."""
EVENT_CURSOR_PATTERN = "^[0-9]{1,18}$"
"""``after``: an event id, which fits a signed 64-bit integer."""
NO_NUL_PATTERN = "^[^\\x00]*$"
"""Text filters and ids: PostgreSQL text cannot hold a NUL character, so no stored value has one."""

_TIME = re.compile(TIME_PATTERN)
_EVENT_CURSOR = re.compile(EVENT_CURSOR_PATTERN)
_UTC_MIN, _UTC_MAX = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)


def parse_time(name: str, value: str) -> datetime | None:
    """The aware UTC time a ``since``/``until`` value of :data:`TIME_PATTERN` names (a date: its midnight, no
    offset: UTC; None: empty); :class:`ApiError` 400 for any other value."""
    if value == "":
        return None
    if _TIME.fullmatch(value) is None:
        raise ApiError(400, f"{name}: not an ISO 8601 date or time: {value!r} (try 2021-08-12 or 2021-08-12T15:00Z)")
    when = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except OverflowError:  # an offset past 0001-01-01 or 9999-12-31 in UTC: the bound is the end of time itself
        return _UTC_MIN if when.year == 1 else _UTC_MAX


def _event_cursor(cursor: str) -> int:
    if _EVENT_CURSOR.fullmatch(cursor) is None:
        raise ApiError(400, f"after: {cursor!r} is not an event cursor (the next_cursor of /v1/changes, or 0)")
    return int(cursor)


def _text(name: str, value: str) -> str:
    if "\x00" in value:
        raise ApiError(400, f"{name}: a NUL character matches nothing stored")
    return value


def _id(kind: str, value: str) -> str:
    """``value`` as an id to look up; :class:`ApiError` 404 when no stored id can be it."""
    if "\x00" in value:
        raise ApiError(404, f"no {kind} with id {value}")
    return value


# -- cursors -------------------------------------------------------------------------------------


def encode_article_cursor(at: datetime, article_id: str) -> str:
    raw = json.dumps([at.astimezone(UTC).isoformat(), article_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_article_cursor(cursor: str) -> tuple[datetime, str]:
    """The (time, id) a cursor of :func:`encode_article_cursor` holds; :class:`ApiError` 400 otherwise."""
    bad = ApiError(400, "cursor: not a cursor this API gave out; use next_cursor as it is")
    if len(cursor) > MAX_CURSOR:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, article_id = json.loads(raw)
        when = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise bad from None
    # encode_article_cursor writes UTC times and stored ids; anything else was made up
    if when.utcoffset() != timedelta(0) or not isinstance(article_id, str) or "\x00" in article_id:
        raise bad
    return when, article_id


# -- what the routes answer ----------------------------------------------------------------------
# The JSON of wiredesk.report (which the CLI's --json shares), field for field and in its key order;
# tests/api/test_api.py holds each route's answer equal to it.

Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
"""A time as :meth:`datetime.isoformat` writes it, always with its UTC offset (``+00:00``)."""


class ErrorBody(BaseModel):
    """Every error: 400, 401, 404, 500, 503 (but the 503 of /v1/health)."""

    model_config = ConfigDict(extra="forbid")

    error: str = Field(description="what went wrong, in one line")


class Health(BaseModel):
    """Whether the API is up and its store answers."""

    status: Literal["ok", "unavailable"]
    store: Literal["ok", "unavailable"]


class ClusterSummary(BaseModel):
    """An article's cluster, in short."""

    id: str
    size: int
    canonical_id: str
    story_id: str | None


class _ArticleHead(BaseModel):
    id: str
    url: str
    content_hash: str
    feed_id: int | None
    fetched_at: Timestamp
    title: str | None
    byline: str | None
    published_at: Timestamp | None
    published_source: str | None
    language: str | None
    page_url: str | None
    outlet: str | None


class _ArticleBody(BaseModel):
    body: str


class _ArticleTail(BaseModel):
    word_count: int
    extractor: str
    authors: list[str] | None
    updated_at: Timestamp | None
    updated_source: str | None
    section: str | None
    dateline: str | None
    host: str | None
    cluster_id: str | None
    agencies: list[str] = Field(description="the wire agency codes the article credits, e.g. AP, AFP")
    cluster: ClusterSummary | None = Field(description="its cluster; null: not clustered yet")


# The bases are listed tail first: pydantic takes fields base by base from the far end of the MRO, so the keys
# come out head, body, tail, the order the API has always written them in.
class ArticleSummary(_ArticleTail, _ArticleHead):
    """An article without its body, with its cluster."""


class ArticleDetail(_ArticleTail, _ArticleBody, _ArticleHead):
    """An article, body included, with its cluster."""


class ArticlePage(BaseModel):
    """A page of canonical articles, newest first."""

    items: list[ArticleSummary]
    next_cursor: str | None = Field(description="pass it back as cursor for the next page; null: the last page")


class ClusterMember(BaseModel):
    """A member of a cluster, with the evidence that placed it there."""

    article_id: str
    rule: str
    decided_at: Timestamp
    matched_id: str | None
    jaccard: float | None
    containment: float | None
    title: str | None
    outlet: str | None
    url: str
    published_at: Timestamp | None
    word_count: int
    canonical: bool


class ClusterDetail(BaseModel):
    """A cluster (versions of one article) with its members."""

    id: str
    founder_id: str
    canonical_id: str
    canonical_reason: str
    size: int
    created_at: Timestamp
    updated_at: Timestamp
    story_id: str | None
    members: list[ClusterMember]


class StoryCluster(BaseModel):
    """A cluster of a story, with the title of its canonical article."""

    id: str
    size: int
    canonical_id: str
    canonical_reason: str
    title: str | None
    canonical: bool


class StoryLink(BaseModel):
    """The evidence of a link: an article of one cluster shares a passage with a member of the other."""

    article_id: str
    other_cluster_id: str
    cluster_id: str
    matched_id: str
    jaccard: float
    containment: float
    rule: str
    decided_at: Timestamp


class StoryDetail(BaseModel):
    """A story (clusters linked by shared passages) with its clusters and links."""

    id: str
    canonical_id: str
    canonical_cluster_id: str
    canonical_reason: str
    clusters: list[StoryCluster]
    size: int
    created_at: Timestamp
    updated_at: Timestamp
    merged_into: str | None
    links: list[StoryLink]


class ChangeEvent(BaseModel):
    """One event of the change feed."""

    id: int
    at: Timestamp
    kind: str
    article_id: str | None
    cluster_id: str | None
    story_id: str | None
    detail: dict[str, Any]


class ChangePage(BaseModel):
    """Events in order."""

    items: list[ChangeEvent]
    next_cursor: str = Field(description="pass it back as after; with no new events, the after given")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


def _responses(bad: str | None = None, unknown: str | None = None) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route behind the token: ``bad`` describes its 400, ``unknown`` its 404."""
    responses: dict[int | str, dict[str, Any]] = {}
    if bad is not None:
        responses[400] = _error(bad)
    responses[401] = _error("no bearer token, or one that is not accepted") | {
        "headers": {"WWW-Authenticate": {"required": True, "schema": {"type": "string", "enum": ["Bearer"]}}}
    }
    if unknown is not None:
        responses[404] = _error(unknown)
    responses[500] = _error("the store could not answer, or the API failed")
    responses[503] = _error("the store is unavailable; try again later")
    return responses


# -- the store, opened on first use ----------------------------------------------------------------


class _StoreHolder:
    """One store for the app, opened on first use (so the app starts, and health says 503, while the
    database is down) and closed at shutdown."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._store: Store | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = self._settings.open_store()
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def _store(request: Request) -> Store:
    holder: _StoreHolder = request.app.state.store_holder
    return holder.get()


StoreDep = Annotated[Store, Depends(_store)]
# Module level, like every name the routes' annotations use: they are resolved in this module's globals.
_bearer = HTTPBearer(auto_error=False, description="a token of WIREDESK_API_TOKEN")


# -- the app -------------------------------------------------------------------------------------


class _ReadApi(FastAPI):
    """FastAPI without the 422 it documents on every operation with a parameter: this API answers a bad
    parameter 400 (each route documents its own)."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is not None:
            return self.openapi_schema
        schema = super().openapi()  # generated once, and kept
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation["responses"].pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        return schema


def create_app(settings: Settings, tokens: Sequence[str]) -> FastAPI:
    """The read API over ``settings.store_url``, accepting the bearer ``tokens``.

    Raises :class:`ConfigError` when no token is given: the API refuses to start rather than serve openly.
    """
    accepted = [token.encode() for token in tokens if token.strip()]
    if not accepted:
        raise ConfigError(
            "set WIREDESK_API_TOKEN to one or more comma-separated bearer tokens; "
            "the read API does not start without one"
        )
    holder = _StoreHolder(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        holder.close()

    app = _ReadApi(
        title="wiredesk read API",
        version=_package_version(),
        description="Canonical articles, clusters, stories and the change feed of a wiredesk store. "
        "Every route but /v1/health wants `Authorization: Bearer <token>` (a token of WIREDESK_API_TOKEN). "
        'Errors are JSON, `{"error": "..."}`.',
        openapi_url=None,  # served below, under /v1 and behind the token like every other route
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store_holder = holder

    def require_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        given = credentials.credentials.encode() if credentials is not None else b""
        ok = False
        for token in accepted:  # compare with every token, in constant time
            ok |= hmac.compare_digest(given, token)
        if not ok:
            message = "a bearer token is required" if credentials is None else "the bearer token is not accepted"
            raise ApiError(401, message, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"error": str(exc).removeprefix("store: ")}, status_code=404)

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(_request: Request, exc: StoreUnavailable) -> JSONResponse:
        log.error("store unavailable: %s", exc)
        return JSONResponse({"error": "the store is unavailable; try again later"}, status_code=503)

    @app.exception_handler(StoreError)
    async def _store_error(_request: Request, exc: StoreError) -> JSONResponse:
        log.error("store error: %s", exc)
        return JSONResponse({"error": "the store could not answer"}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        ]
        return JSONResponse({"error": "; ".join(problems)}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _crash(_request: Request, _exc: Exception) -> JSONResponse:
        # JSON like every other answer; the server still logs the traceback (Starlette re-raises after answering).
        return JSONResponse({"error": "the API failed to answer; the server's log says why"}, status_code=500)

    @app.get(
        "/v1/health",
        tags=["health"],
        summary="Liveness and store reachability (no token needed)",
        responses={
            500: _error("the store could not answer, or the API failed"),
            503: {"model": Health, "description": "the store cannot be opened"},
        },
    )
    def health(response: Response) -> Health:
        try:
            holder.get().ping()
        except StoreUnavailable as exc:
            log.error("health: store unavailable: %s", exc)
            response.status_code = 503
            return Health(status="unavailable", store="unavailable")
        return Health(status="ok", store="ok")

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_token)])

    @v1.get("/openapi.json", include_in_schema=False)
    def openapi() -> dict[str, Any]:
        return app.openapi()

    @v1.get(
        "/articles",
        tags=["articles"],
        summary="Canonical articles, newest first, with cursor pagination",
        responses=_responses(
            bad=f"since or until not an ISO 8601 date or time, limit not 1 to {MAX_LIMIT}, cursor not a cursor "
            "this API gave out, or a NUL character in outlet, agency or language"
        ),
    )
    def articles(
        db: StoreDep,
        since: Annotated[
            str,
            Query(
                description="published (else fetched) at or after: a date (its midnight UTC) or a date and time, "
                "seconds and UTC offset optional (without: UTC); empty: no bound",
                examples=["2021-08-12", "2021-08-12T15:00Z", "2021-08-12T17:00:30.5+02:00"],
                json_schema_extra={"pattern": TIME_PATTERN},
            ),
        ] = "",
        until: Annotated[
            str,
            Query(
                description="published (else fetched) before; written like since",
                examples=["2021-08-13", "2021-08-12T18:00Z"],
                json_schema_extra={"pattern": TIME_PATTERN},
            ),
        ] = "",
        outlet: Annotated[
            str, Query(description="the outlet's name, exactly", json_schema_extra={"pattern": NO_NUL_PATTERN})
        ] = "",
        agency: Annotated[
            str,
            Query(
                description="a wire agency code the article credits, e.g. AP (any case)",
                json_schema_extra={"pattern": NO_NUL_PATTERN},
            ),
        ] = "",
        language: Annotated[
            str, Query(description="a language code, e.g. en", json_schema_extra={"pattern": NO_NUL_PATTERN})
        ] = "",
        limit: Limit = DEFAULT_LIMIT,
        cursor: Annotated[
            str,
            Query(
                max_length=MAX_CURSOR,
                description="opaque: the next_cursor of the previous page, as it is (any other value is answered "
                "400); empty: the first page",
            ),
        ] = "",
    ) -> ArticlePage:
        after = decode_article_cursor(cursor) if cursor else None
        rows = db.canonical_articles(
            since=parse_time("since", since),
            until=parse_time("until", until),
            outlet=_text("outlet", outlet),
            agency=_text("agency", agency),
            language=_text("language", language),
            after=after,
            limit=limit + 1,
        )
        page, more = rows[:limit], len(rows) > limit
        clusters = db.clusters_by_id([a.cluster_id for a in page if a.cluster_id])
        items = [canonical_json(a, clusters.get(a.cluster_id or ""), body=False) for a in page]
        last = page[-1] if page else None
        next_cursor = encode_article_cursor(last.published_at or last.fetched_at, last.id) if more and last else None
        return ArticlePage.model_validate({"items": items, "next_cursor": next_cursor})

    @v1.get(
        "/articles/{article_id}",
        tags=["articles"],
        summary="An article, body included, with its cluster",
        responses=_responses(unknown="no article with this id"),
    )
    def article(article_id: str, db: StoreDep) -> ArticleDetail:
        found = db.get_article(_id("article", article_id))
        cluster = db.clusters_by_id([found.cluster_id]).get(found.cluster_id) if found.cluster_id else None
        return ArticleDetail.model_validate(canonical_json(found, cluster))

    @v1.get(
        "/clusters/{cluster_id}",
        tags=["clusters"],
        summary="A cluster with its members and their evidence",
        responses=_responses(unknown="no cluster with this id"),
    )
    def cluster(cluster_id: str, db: StoreDep) -> ClusterDetail:
        return ClusterDetail.model_validate(cluster_json(db.cluster_detail(_id("cluster", cluster_id))))

    @v1.get(
        "/stories/{story_id}",
        tags=["stories"],
        summary="A story with its clusters and links",
        responses=_responses(unknown="no story with this id"),
    )
    def story(story_id: str, db: StoreDep) -> StoryDetail:
        return StoryDetail.model_validate(story_json(db.story_detail(_id("story", story_id))))

    @v1.get(
        "/changes",
        tags=["changes"],
        summary="The change feed (events) in order, from a cursor",
        responses=_responses(bad=f"after not an event cursor, or limit not 1 to {MAX_LIMIT}"),
    )
    def changes(
        db: StoreDep,
        after: Annotated[
            str,
            Query(
                description="opaque: the next_cursor of the previous page, as it is; 0: from the start",
                json_schema_extra={"pattern": EVENT_CURSOR_PATTERN},
            ),
        ] = "0",
        limit: Limit = DEFAULT_LIMIT,
    ) -> ChangePage:
        events = db.events(after=_event_cursor(after), limit=limit)
        return ChangePage.model_validate(
            {"items": [event_json(e) for e in events], "next_cursor": str(events[-1].id) if events else after}
        )

    app.include_router(v1)
    return app


__all__ = [
    "EVENT_CURSOR_PATTERN",
    "NO_NUL_PATTERN",
    "TIME_PATTERN",
    "ApiError",
    "ArticleDetail",
    "ArticlePage",
    "ArticleSummary",
    "ChangeEvent",
    "ChangePage",
    "ClusterDetail",
    "ClusterMember",
    "ClusterSummary",
    "ErrorBody",
    "Health",
    "StoryCluster",
    "StoryDetail",
    "StoryLink",
    "create_app",
    "decode_article_cursor",
    "encode_article_cursor",
    "parse_time",
]
