"""The hostile suite's cycle runner: two healthy corpus feeds next to the hostile ones, one real cycle, and the
checks every hostile case shares (the healthy feeds ingested, every error one line, no control character in
the store)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, select

from storage import schema as t
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import CycleReport, FeedReport, register_feed, run_cycle
from wiredesk.settings import Settings

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HEALTHY = ("meridian", "harbor")  # an RSS and an Atom feed of the corpus, three pages each
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


@dataclass
class Outcome:
    """What a cycle did, and what it left in the store."""

    report: CycleReport
    settings: Settings

    def feed(self, name: str) -> FeedReport:
        (report,) = [f for f in self.report.feeds if f.name == name]
        return report

    def rows(self, table: Any, *where: Any) -> list[Mapping[str, Any]]:
        engine = create_engine(self.settings.store_url)
        try:
            with engine.connect() as conn:
                return [dict(r._mapping) for r in conn.execute(select(table).where(*where))]
        finally:
            engine.dispose()

    def stored_feed(self, name: str) -> Mapping[str, Any]:
        (row,) = self.rows(t.feeds, t.feeds.c.name == name)
        return row

    def entries(self, name: str) -> dict[str, Mapping[str, Any]]:
        feed_id = self.stored_feed(name)["id"]
        return {r["url"]: r for r in self.rows(t.entries, t.entries.c.feed_id == feed_id)}

    def articles(self, name: str) -> dict[str, Mapping[str, Any]]:
        feed_id = self.stored_feed(name)["id"]
        return {r["url"]: r for r in self.rows(t.articles, t.articles.c.feed_id == feed_id)}

    def all_text(self) -> str:
        """Every text the store holds about feeds, polls, entries and articles, in one string."""
        parts: list[str] = []
        for table in (t.feeds, t.polls, t.entries, t.articles):
            for row in self.rows(table):
                parts += [str(v) for k, v in row.items() if isinstance(v, str) and k != "raw_html"]
        return "\n".join(parts)


def one_line(text: str | None) -> str:
    """``text``, checked to be a clear one-line message."""
    assert text, "no message recorded"
    assert "\n" not in text and "Traceback" not in text
    assert len(text) < 400, text
    return text


def run_with_healthy(settings: Settings, corpus: CorpusServer, feeds: Mapping[str, str], now: datetime = T0) -> Outcome:
    """Register the healthy corpus feeds and ``feeds`` (name -> URL), run one cycle, and check that the healthy
    feeds' articles were all stored, that every error is one line, and that no stored text holds a control
    character."""
    outlets = {o.slug: o for o in corpus.corpus.outlets}
    for slug in HEALTHY:
        register_feed(settings, corpus.url + outlets[slug].feed_path, outlets[slug].name, now)
    for name, url in feeds.items():
        register_feed(settings, url, name, now)
    outcome = Outcome(run_cycle(settings, now), settings)
    for slug in HEALTHY:
        name = outlets[slug].name
        expected = {corpus.url + page.path for page in corpus.corpus.pages_of(slug)}
        assert set(outcome.articles(name)) == expected, f"healthy feed {name} not ingested"
        assert outcome.feed(name).error is None
    for report in outcome.report.feeds:
        if report.error:
            one_line(report.error)
        for error in report.page_errors:
            one_line(error)
    assert CONTROL.search(outcome.all_text()) is None
    return outcome


def assert_healthy_after(outcome: Outcome, corpus: CorpusServer) -> None:
    """The healthy feeds' articles are stored (after a later cycle too)."""
    outlets = {o.slug: o for o in corpus.corpus.outlets}
    for slug in HEALTHY:
        expected = {corpus.url + page.path for page in corpus.corpus.pages_of(slug)}
        assert set(outcome.articles(outlets[slug].name)) == expected
