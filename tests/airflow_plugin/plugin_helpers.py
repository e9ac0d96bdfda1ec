"""Helpers of the plugin's tests: a store the pipeline filled from the Herat corpus with one feed of every status,
and SimpleAuthManager's passwords file with a known password."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import record_run, register_feed, run_cycle
from wiredesk.settings import Settings

ADMIN_PASSWORD = "plugin-test-admin-pw"
API_TOKEN = "plugin-test-api-token-5c2e"
DEAD = "Dead <i>wire</i>"  # names with markup: the page must escape them
FAILING = "Failing & <b>Co</b>"
FRESH = "Fresh feed"


@dataclass(frozen=True)
class Filled:
    """A store with one feed of each status: the corpus's eight (``ok``), ``DEAD`` (two errors in a row with
    ``WIREDESK_POLL_DEAD_AFTER=2``), ``FAILING`` (one error) and ``FRESH`` (never polled); two recorded runs."""

    env: dict[str, str]
    settings: Settings
    corpus_feeds: list[str]
    runs: list[str]


def fill_store(home: Path, server: CorpusServer) -> Filled:
    env = {"WIREDESK_HOME": str(home), "WIREDESK_FETCH_ALLOW": "127.0.0.1", "WIREDESK_POLL_DEAD_AFTER": "2"}
    settings = Settings.from_env(env)
    # Times near the real clock: the page reads the store at the time of the request.
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    second = first + timedelta(hours=1)
    for name, url in server.feed_urls():
        register_feed(settings, url, name, first)
    register_feed(settings, f"{server.url}/no-such-outlet/rss.xml", DEAD, first)  # a 404 at every poll
    report = run_cycle(settings, first)
    record_run(settings, "scheduled__first", "airflow", first, first + timedelta(seconds=12), report.counts())
    register_feed(settings, f"{server.url}/no-such-outlet/atom.xml", FAILING, second)
    report = run_cycle(settings, second)
    record_run(settings, "scheduled__second", "airflow", second, second + timedelta(seconds=3), report.counts())
    register_feed(settings, f"{server.url}/fresh/rss.xml", FRESH, second + timedelta(minutes=5))
    return Filled(
        env,
        settings,
        [name for name, _ in server.feed_urls()],
        ["scheduled__second", "scheduled__first"],
    )


def write_passwords(path: Path) -> Path:
    """SimpleAuthManager's passwords file with ``admin``'s password known to the tests."""
    path.write_text(json.dumps({"admin": ADMIN_PASSWORD}) + "\n", encoding="utf-8")
    return path


@dataclass
class Tag:
    name: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """Every start tag of a page with its attributes, and the text inside each ``tr``."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []
        self._rows: list[Tag] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Tag(tag, {k: v or "" for k, v in attrs})
        self.tags.append(element)
        if tag == "tr":
            self._rows.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._rows:
            self._rows.pop()

    def handle_data(self, data: str) -> None:
        if self._rows and data.strip():
            self._rows[-1].text.append(data.strip())

    def feed_rows(self) -> dict[str, Tag]:
        return {t.attrs["data-feed"]: t for t in self.tags if t.name == "tr" and "data-feed" in t.attrs}

    def with_attr(self, name: str) -> list[Tag]:
        return [t for t in self.tags if name in t.attrs]
