"""The page "wiredesk" in Airflow's UI, served by Airflow's API server under ``/wiredesk`` (see
:mod:`wiredesk.airflow_plugin`): feed health, the latest clusters and stories with their evidence, and the
throughput of the recent runs; and the JSON it is built from.

| route | answers |
|---|---|
| ``GET /`` | the page (HTML, server-rendered, no script) |
| ``GET /api/health.json?days=7`` | ``{"now", "days", "feeds": [...]}``: one object per feed (``Store.feed_health``) |
| ``GET /api/runs.json?limit=20`` | ``{"runs": [...]}``: the latest runs with their counts, duration and articles/s |
| ``GET /api/clusters.json?limit=20`` | ``{"clusters": [...], "stories": [...]}``: the latest clusters (by their
  canonical article's time) with their members, and the stories linking them to other clusters |

**Every route wants a logged-in Airflow user**: Airflow does not authenticate plugin apps. The JWT of Airflow's
auth manager comes as ``Authorization: Bearer <token>`` (``POST /auth/token``) or as the ``_token`` cookie the UI
sets at login, and is checked by Airflow itself (:func:`airflow.api_fastapi.core_api.security.get_user`, then the
auth manager's ``is_authorized_view`` for the UI). Without a valid token the page redirects to Airflow's login,
and the JSON answers 401 (no token, or an expired one) or 403 (an invalid token, or a user without the UI).

The store is read only (opened without migrations; nothing here writes), found like the DAG's tasks find it
(:func:`wiredesk.dagtasks.task_settings`) and kept open for the process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy.engine import make_url
from starlette.exceptions import HTTPException

from storage import (
    Article,
    ClusterDetail,
    FeedHealth,
    NotFound,
    RunRecord,
    Store,
    StoreError,
    StoreUnavailable,
    StoryDetail,
)
from wiredesk.errors import WiredeskError
from wiredesk.report import cluster_json, story_json
from wiredesk.settings import Settings

log = logging.getLogger("wiredesk.dashboard")

CLUSTERS = 20  # the latest clusters the page shows
RUNS = 20  # the latest runs the page shows
DEFAULT_DAYS = 7  # the window of the rates and shares of the feed table
ATTENTION = frozenset({"failing", "dead"})  # feed statuses the page marks

# The page runs no script and loads nothing from elsewhere; Airflow's UI shows it in a frame of its own origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


# -- what the page shows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Everything the page shows, read at ``now``."""

    now: datetime
    days: int
    feeds: list[FeedHealth]
    runs: list[RunRecord]
    clusters: list[ClusterDetail]
    stories: list[StoryDetail]


def latest_clusters(store: Store, limit: int) -> list[ClusterDetail]:
    """The ``limit`` clusters whose canonical article is the newest (publication time, else fetch time), with
    their members."""
    details = []
    for article in store.canonical_articles(limit=limit):
        if article.cluster_id is None:  # pragma: no cover - canonical_articles joins on the cluster
            continue
        try:
            details.append(store.cluster_detail(article.cluster_id))
        except NotFound:  # emptied by a re-extraction since: gone from the page too
            continue
    return details


def stories_of(store: Store, clusters: Sequence[ClusterDetail]) -> list[StoryDetail]:
    """The stories linking any of ``clusters`` to another cluster, in the clusters' order."""
    wanted = list(dict.fromkeys(d.cluster.story_id for d in clusters if d.cluster.story_id))
    found = store.stories_by_id(wanted)
    details: dict[str, StoryDetail] = {}
    for story_id in wanted:
        story = found.get(story_id)
        if story is None or (story.merged_into is None and story.clusters < 2):
            continue
        try:
            detail = store.story_detail(story_id)  # an absorbed story leads to the story it joined
        except NotFound:
            continue
        if detail.story.clusters >= 2:
            details.setdefault(detail.story.id, detail)
    return list(details.values())


def snapshot(
    store: Store, now: datetime, *, days: int = DEFAULT_DAYS, dead_after: int = 10, clusters: int = CLUSTERS
) -> Snapshot:
    """What the page shows at ``now``: feed health over ``days`` (``dead_after`` errors in a row: dead), the
    latest runs, the latest ``clusters`` and their stories."""
    latest = latest_clusters(store, clusters)
    return Snapshot(
        now=now,
        days=days,
        feeds=store.feed_health(now, days=days, dead_after=dead_after),
        runs=store.recent_runs(limit=RUNS),
        clusters=latest,
        stories=stories_of(store, latest),
    )


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def feed_json(feed: FeedHealth) -> dict[str, Any]:
    return {k: _iso(v) if isinstance(v, datetime) else v for k, v in asdict(feed).items()}


def run_duration_s(run: RunRecord) -> float:
    return max((run.finished_at - run.started_at).total_seconds(), 0.0)


def run_rate(run: RunRecord) -> float | None:
    """Articles stored per second of the run (None for a run that took no measurable time)."""
    duration = run_duration_s(run)
    return run.counts.get("articles_stored", 0) / duration if duration > 0 else None


def run_json(run: RunRecord) -> dict[str, Any]:
    data = {k: _iso(v) if isinstance(v, datetime) else v for k, v in asdict(run).items()}
    return data | {"duration_s": round(run_duration_s(run), 3), "articles_per_s": run_rate(run)}


# -- rendering -------------------------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if value is not None else "—"


def _short(value: datetime | None) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M}" if value is not None else "—"


def _share(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "—"


def _figure(value: float | None, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if value is not None else "—"


def _web_url(value: str | None) -> str | None:
    """``value`` if it is an http(s) URL the page may link to; None otherwise (shown as text, not linked)."""
    return value if value and value.lower().startswith(("http://", "https://")) else None


_templates = Environment(
    loader=PackageLoader("wiredesk", "templates"),
    autoescape=True,  # every value is escaped: titles, names, URLs and errors come from the feeds
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters.update(when=_when, short=_short, share=_share, figure=_figure, web_url=_web_url, iso=_iso)


def canonical_of(detail: ClusterDetail) -> Article | None:
    return next((a for a, _ in detail.members if a.id == detail.cluster.canonical_id), None)


def outlets_of(detail: ClusterDetail) -> dict[str, str]:
    """Member id -> its outlet, to name the member each one was compared with."""
    return {a.id: a.outlet for a, _ in detail.members if a.outlet}


def render_page(snap: Snapshot, user: str | None = None) -> str:
    """The page's HTML for ``snap``."""
    statuses: dict[str, int] = {}
    for feed in snap.feeds:
        statuses[feed.status] = statuses.get(feed.status, 0) + 1
    return _templates.get_template("dashboard.html").render(
        snap=snap,
        user=user,
        statuses=statuses,
        attention=ATTENTION,
        duration=run_duration_s,
        rate=run_rate,
        canonical_of=canonical_of,
        outlets_of=outlets_of,
    )


def render_problem(title: str, message: str, status: int) -> HTMLResponse:
    html = _templates.get_template("problem.html").render(title=title, message=message)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


# -- Airflow's authentication ----------------------------------------------------------------------


class AirflowUser(Protocol):
    """What the page needs of Airflow's ``BaseUser`` (this module imports nothing of Airflow's until a request
    comes: the rendering is used, and tested, without Airflow)."""

    def get_id(self) -> str: ...

    def get_name(self) -> str: ...


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> AirflowUser:
    """The request's Airflow user, as Airflow's own routes get it: :func:`~airflow.api_fastapi.core_api.security.
    get_user` takes the bearer token, else the UI's ``_token`` cookie, and has the auth manager validate it
    (``get_user_from_token``: signature, expiry, audience, revocation). Raises :class:`HTTPException` 401 (no
    token, an expired one) or 403 (an invalid token)."""
    # Imported at the first request: Airflow's API server imports this module while it builds its app.
    from airflow.api_fastapi.core_api.security import get_user

    return await get_user(request, None, credentials)


def may_see_the_ui(user: AirflowUser) -> bool:
    """Whether the auth manager lets ``user`` see Airflow's UI (the page shows no more than the UI's users see)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView

    return get_auth_manager().is_authorized_view(access_view=AccessView.WEBSITE, user=user)


class LoginRequired(Exception):
    """The page was asked for without a valid Airflow login: answered by a redirect to Airflow's login page."""


class PageForbidden(Exception):
    """A logged-in user who may not see Airflow's UI asked for the page: answered 403, in HTML."""


# Module level, like every name the routes' annotations use: FastAPI resolves them in this module's globals.
_bearer = HTTPBearer(auto_error=False, description="a JWT of Airflow's auth manager (POST /auth/token)")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _user(request: Request, credentials: Credentials) -> AirflowUser:
    return await authenticate(request, credentials)


async def _page_user(request: Request, credentials: Credentials) -> AirflowUser:
    try:
        return await authenticate(request, credentials)
    except HTTPException as exc:
        raise LoginRequired from exc


# Authorization is a sync dependency: FastAPI runs it in a thread, as an auth manager may ask a remote service.
def json_user(user: Annotated[AirflowUser, Depends(_user)]) -> AirflowUser:
    """The Airflow user of a JSON route; 401 or 403 (JSON) otherwise."""
    if not may_see_the_ui(user):
        raise HTTPException(403, "this Airflow user may not see Airflow's UI")
    return user


def page_user(user: Annotated[AirflowUser, Depends(_page_user)]) -> AirflowUser:
    """The Airflow user of the page; a redirect to Airflow's login, or a 403 page, otherwise."""
    if not may_see_the_ui(user):
        raise PageForbidden
    return user


JsonUser = Annotated[AirflowUser, Depends(json_user)]
PageUser = Annotated[AirflowUser, Depends(page_user)]


def login_url(request: Request) -> str:
    """Airflow's login page, which comes back to this page after the login."""
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager().get_url_login(next_url=str(request.url))


# -- the store -------------------------------------------------------------------------------------


class StoreSource:
    """The store and its settings, opened on first use (without migrations: the page never writes) and kept for
    the process; a store that cannot be opened is tried again at the next request."""

    def __init__(self, settings: Callable[[], Settings]) -> None:
        self._settings = settings
        self._opened: tuple[Store, Settings] | None = None
        self._lock = threading.Lock()

    def get(self) -> tuple[Store, Settings]:
        with self._lock:
            if self._opened is None:
                try:
                    settings = self._settings()
                except WiredeskError as exc:
                    raise StoreError(f"store: {exc}") from exc
                _refuse_a_missing_sqlite_file(settings.store_url)
                self._opened = (settings.open_store(migrate=False), settings)
            return self._opened

    def close(self) -> None:
        with self._lock:
            if self._opened is not None:
                self._opened[0].close()
                self._opened = None


def _refuse_a_missing_sqlite_file(url: str) -> None:
    """Opening a SQLite file that is not there would create it (and its folder): the page creates nothing."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not Path(database).exists():
        raise StoreUnavailable(f"store: no store at {database} yet")


def _default_settings() -> Settings:
    from wiredesk.dagtasks import task_settings

    return task_settings()


def _source(request: Request) -> StoreSource:
    source: StoreSource = request.app.state.store_source
    return source


Source = Annotated[StoreSource, Depends(_source)]
Days = Annotated[int, Query(ge=1, le=90, description="the window, in days, of rates and shares")]
Limit = Annotated[int, Query(ge=1, le=200, description="how many")]


# -- the app ---------------------------------------------------------------------------------------


def create_dashboard_app(settings: Callable[[], Settings] = _default_settings) -> FastAPI:
    """The page's FastAPI app; ``settings`` gives the store's settings (read at the first request)."""
    source = StoreSource(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        source.close()

    app = FastAPI(
        title="wiredesk page",
        description="Feed health, clusters, stories and runs of the wiredesk store. Wants an Airflow login.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store_source = source

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(request), status_code=307)

    @app.exception_handler(PageForbidden)
    async def _forbidden(_request: Request, _exc: PageForbidden) -> Response:
        return render_problem("forbidden", "Your Airflow user may not see Airflow's UI, nor this page.", 403)

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 401:
            headers.setdefault("WWW-Authenticate", "Bearer")
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(StoreError)
    async def _store_error(_request: Request, exc: StoreError) -> JSONResponse:
        log.error("wiredesk page: %s", exc)
        return JSONResponse({"error": "the store is unavailable; try again later"}, status_code=503)

    @app.get("/", response_class=HTMLResponse, summary="The page")
    def page(user: PageUser, db: Source, days: Days = DEFAULT_DAYS) -> Response:
        now = datetime.now(UTC)  # the edge: the page shows the store as it is now
        try:
            store, settings = db.get()
            snap = snapshot(store, now, days=days, dead_after=settings.polling.dead_after)
        except StoreError as exc:
            log.error("wiredesk page: %s", exc)
            message = "The wiredesk store cannot be read now. Has the wiredesk_ingest DAG run yet? Try again later."
            return render_problem("store unavailable", message, 503)
        return HTMLResponse(render_page(snap, user.get_name()), headers=SECURITY_HEADERS)

    @app.get("/api/health.json", summary="Feed health, one object per feed")
    def health(_user: JsonUser, db: Source, days: Days = DEFAULT_DAYS) -> dict[str, Any]:
        now = datetime.now(UTC)
        store, settings = db.get()
        feeds = store.feed_health(now, days=days, dead_after=settings.polling.dead_after)
        return {"now": _iso(now), "days": days, "feeds": [feed_json(f) for f in feeds]}

    @app.get("/api/runs.json", summary="The latest runs: counts, duration, articles/s")
    def runs(_user: JsonUser, db: Source, limit: Limit = RUNS) -> dict[str, Any]:
        store, _ = db.get()
        return {"runs": [run_json(r) for r in store.recent_runs(limit=limit)]}

    @app.get("/api/clusters.json", summary="The latest clusters with their members, and their stories")
    def clusters(_user: JsonUser, db: Source, limit: Limit = CLUSTERS) -> dict[str, Any]:
        store, _ = db.get()
        latest = latest_clusters(store, limit)
        return {
            "clusters": [cluster_json(d) for d in latest],
            "stories": [story_json(d) for d in stories_of(store, latest)],
        }

    return app


__all__ = [
    "Snapshot",
    "create_dashboard_app",
    "feed_json",
    "latest_clusters",
    "render_page",
    "run_json",
    "snapshot",
    "stories_of",
]
