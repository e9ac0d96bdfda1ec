"""The Airflow plugin ``wiredesk``: a page in Airflow's UI (feed health, latest clusters and stories, throughput
per run) and, when ``WIREDESK_API_TOKEN`` is set, the read API, both served by Airflow's API server.

- ``/wiredesk/``: the page, and the JSON it is built from under ``/wiredesk/api/`` (:mod:`wiredesk.dashboard`).
  Every route wants a logged-in Airflow user (the UI's ``_token`` cookie or ``Authorization: Bearer <JWT>``),
  checked by Airflow's own auth manager: plugin apps are not authenticated by Airflow itself.
- ``/wiredesk-api/v1/...``: the read API (:func:`wiredesk.api.create_app`) with its own bearer tokens. Without
  ``WIREDESK_API_TOKEN`` it is not mounted (one warning line): it never serves openly.
- the navigation entry "wiredesk", which shows the page inside Airflow's UI.

Airflow finds the plugin through the entry point group ``airflow.plugins`` (pyproject.toml). The store is the
DAG's: the Airflow connection ``wiredesk_store``, else ``WIREDESK_STORE_URL`` (:func:`wiredesk.dagtasks.task_settings`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow.configuration import conf
from airflow.plugins_manager import AirflowPlugin

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("wiredesk.airflow_plugin")

PAGE_PREFIX = "/wiredesk"
API_PREFIX = "/wiredesk-api"


def build_fastapi_apps(env: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The plugin's FastAPI apps: the page, and the read API when ``WIREDESK_API_TOKEN`` (in ``env``, default
    this process's environment) holds a token. Never raises for the read API: a problem building it is logged
    and the API server starts without it."""
    from wiredesk.dashboard import create_dashboard_app

    apps: list[dict[str, Any]] = [{"name": "wiredesk", "app": create_dashboard_app(), "url_prefix": PAGE_PREFIX}]
    read_api = _read_api(env)
    if read_api is not None:
        apps.append({"name": "wiredesk read API", "app": read_api, "url_prefix": API_PREFIX})
    return apps


def _read_api(env: Mapping[str, str] | None) -> FastAPI | None:
    from wiredesk.settings import api_tokens

    tokens = api_tokens(env)
    if not tokens:
        log.warning("wiredesk: WIREDESK_API_TOKEN is not set; the read API is not mounted at %s", API_PREFIX)
        return None
    try:
        from wiredesk.api import create_app
        from wiredesk.dagtasks import task_settings

        return create_app(task_settings(), tokens)
    except Exception as exc:  # the API server must start, with the page, whatever is wrong here
        log.error("wiredesk: the read API is not mounted at %s: %s", API_PREFIX, exc)
        return None


class _BuiltOnFirstRead:
    """A plugin attribute built when first read, once per plugin instance (Airflow makes one per process).
    Airflow imports every plugin in every process (scheduler, DAG processor, each task), but only the API server
    reads ``fastapi_apps``: building the apps (FastAPI, the store's code) anywhere else would be wasted."""

    def __init__(self, build: Callable[[], list[dict[str, Any]]]) -> None:
        self._build = build
        self._name = ""
        self._lock = threading.Lock()

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance: object, owner: type | None = None) -> list[dict[str, Any]]:
        if instance is None:
            return self._build()
        with self._lock:
            # Kept in the instance's __dict__, which shadows this (non-data) descriptor from then on.
            if self._name not in instance.__dict__:
                instance.__dict__[self._name] = self._build()
            built: list[dict[str, Any]] = instance.__dict__[self._name]
            return built


def _page_href() -> str:
    """The page's path under the API server's base URL (``[api] base_url`` may carry a path)."""
    root = urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")
    return f"{root}{PAGE_PREFIX}/"


class WiredeskPlugin(AirflowPlugin):
    """wiredesk in Airflow's API server and UI (see the module's docstring)."""

    name = "wiredesk"
    fastapi_apps = _BuiltOnFirstRead(build_fastapi_apps)
    # url_route: the UI shows the page in its own frame, at /plugin/wiredesk, under "wiredesk" in the navigation.
    external_views = [  # noqa: RUF012 (Airflow's plugin attributes are class-level lists)
        {"name": "wiredesk", "href": _page_href(), "destination": "nav", "url_route": "wiredesk"},
    ]


__all__ = ["API_PREFIX", "PAGE_PREFIX", "WiredeskPlugin", "build_fastapi_apps"]
