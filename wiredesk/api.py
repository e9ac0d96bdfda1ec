"""The read API: canonical articles, clusters, stories and the change feed over HTTP (FastAPI), under ``/v1``.

Every route but ``GET /v1/health`` wants ``Authorization: Bearer <token>`` with a token of
``WIREDESK_API_TOKEN``; without a configured token :func:`create_app` refuses (the API never serves openly).
Errors are JSON, ``{"error": "..."}``. Lists page with opaque cursors: ``/v1/articles`` on the last article's
(time, id), ``/v1/changes`` on the last event id, so pages neither repeat nor skip an item.

Run it with ``wiredesk serve`` (uvicorn).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from storage import NotFound, Store, StoreError, StoreUnavailable
from wiredesk.errors import ConfigError
from wiredesk.report import canonical_json, cluster_json, event_json, story_json
from wiredesk.settings import Settings

log = logging.getLogger("wiredesk.api")

MAX_LIMIT = 500
DEFAULT_LIMIT = 50

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


# -- cursors -------------------------------------------------------------------------------------


def encode_article_cursor(at: datetime, article_id: str) -> str:
    raw = json.dumps([at.astimezone(UTC).isoformat(), article_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_article_cursor(cursor: str) -> tuple[datetime, str]:
    """The (time, id) a cursor of :func:`encode_article_cursor` holds; :class:`ApiError` 400 otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, article_id = json.loads(raw)
        when = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ApiError(400, "cursor: not a cursor this API gave out; use next_cursor as it is") from None
    if when.tzinfo is None or not isinstance(article_id, str):
        raise ApiError(400, "cursor: not a cursor this API gave out; use next_cursor as it is")
    return when, article_id


def _event_cursor(cursor: str) -> int:
    if not cursor.isdigit() or len(cursor) > 18:
        raise ApiError(400, f"after: {cursor!r} is not an event cursor (the next_cursor of /v1/changes, or 0)")
    return int(cursor)


def _time(name: str, value: str | None) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"{name}: not an ISO 8601 time: {value!r} (try 2021-08-12 or 2021-08-12T15:00Z)") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# -- the store, opened on first use ----------------------------------------------------------------


class _StoreHolder:
    """One store for the app, opened on first use (so the app starts, and health says 503, while the
    database is down) and closed at shutdown."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._store: Store | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store.open(self._url)
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
    holder = _StoreHolder(settings.store_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        holder.close()

    app = FastAPI(
        title="wiredesk read API",
        version=_package_version(),
        description="Canonical articles, clusters, stories and the change feed of a wiredesk store. "
        "Every route but /v1/health wants `Authorization: Bearer <token>` (a token of WIREDESK_API_TOKEN).",
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

    @app.get("/v1/health", tags=["health"], summary="Liveness and store reachability (no token needed)")
    def health() -> JSONResponse:
        try:
            holder.get().ping()
        except StoreUnavailable as exc:
            log.error("health: store unavailable: %s", exc)
            return JSONResponse({"status": "unavailable", "store": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "store": "ok"})

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_token)])

    @v1.get("/openapi.json", include_in_schema=False)
    def openapi() -> dict[str, Any]:
        return app.openapi()

    @v1.get("/articles", tags=["articles"], summary="Canonical articles, newest first, with cursor pagination")
    def articles(
        db: StoreDep,
        since: Annotated[str | None, Query(description="ISO 8601; published (else fetched) at or after")] = None,
        until: Annotated[str | None, Query(description="ISO 8601; published (else fetched) before")] = None,
        outlet: Annotated[str | None, Query(description="the outlet's name, exactly")] = None,
        agency: Annotated[str | None, Query(description="a wire agency code the article credits, e.g. AP")] = None,
        language: Annotated[str | None, Query(description="a language code, e.g. en")] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    ) -> dict[str, Any]:
        after = decode_article_cursor(cursor) if cursor else None
        rows = db.canonical_articles(
            since=_time("since", since),
            until=_time("until", until),
            outlet=outlet,
            agency=agency,
            language=language,
            after=after,
            limit=limit + 1,
        )
        page, more = rows[:limit], len(rows) > limit
        clusters = db.clusters_by_id([a.cluster_id for a in page if a.cluster_id])
        items = [canonical_json(a, clusters.get(a.cluster_id or ""), body=False) for a in page]
        last = page[-1] if page else None
        next_cursor = encode_article_cursor(last.published_at or last.fetched_at, last.id) if more and last else None
        return {"items": items, "next_cursor": next_cursor}

    @v1.get("/articles/{article_id}", tags=["articles"], summary="An article, body included, with its cluster")
    def article(article_id: str, db: StoreDep) -> dict[str, Any]:
        found = db.get_article(article_id)
        cluster = db.clusters_by_id([found.cluster_id]).get(found.cluster_id) if found.cluster_id else None
        return canonical_json(found, cluster)

    @v1.get("/clusters/{cluster_id}", tags=["clusters"], summary="A cluster with its members and their evidence")
    def cluster(cluster_id: str, db: StoreDep) -> dict[str, Any]:
        return cluster_json(db.cluster_detail(cluster_id))

    @v1.get("/stories/{story_id}", tags=["stories"], summary="A story with its clusters and links")
    def story(story_id: str, db: StoreDep) -> dict[str, Any]:
        return story_json(db.story_detail(story_id))

    @v1.get("/changes", tags=["changes"], summary="The change feed (events) in order, from a cursor")
    def changes(
        db: StoreDep,
        after: Annotated[str, Query(description="next_cursor of the previous page (0: from the start)")] = "0",
        limit: Limit = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        events = db.events(after=_event_cursor(after), limit=limit)
        return {
            "items": [event_json(e) for e in events],
            "next_cursor": str(events[-1].id) if events else after,
        }

    app.include_router(v1)
    return app


__all__ = ["ApiError", "create_app", "decode_article_cursor", "encode_article_cursor"]
