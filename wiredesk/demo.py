"""``wiredesk demo``: the whole pipeline on the Herat wire corpus, through Airflow.

Starts the corpus server on a free loopback port, registers its feeds in a fresh demo store
(``$WIREDESK_HOME/demo``), runs ``wiredesk_ingest`` once with ``dag.test()`` on an embedded SQLite Airflow home,
prints each cluster with its canonical article, members and similarities, then runs a second cycle to show
that nothing changed upstream is fetched again (304s) and nothing is stored twice.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from wiredesk import airflow_local
from wiredesk.corpus import CorpusServer
from wiredesk.dagconfig import DAG_ID
from wiredesk.errors import WiredeskError
from wiredesk.pipeline import register_feed
from wiredesk.report import cluster_lines, story_lines
from wiredesk.settings import Settings


def _fresh_store(home: Path) -> None:
    for name in ("wiredesk.db", "wiredesk.db-wal", "wiredesk.db-shm"):
        (home / name).unlink(missing_ok=True)


def run_demo(base: Settings, out: Callable[[str], None] = print) -> int:
    home = base.home / "demo"
    home.mkdir(parents=True, exist_ok=True)
    _fresh_store(home)
    os.environ["WIREDESK_HOME"] = str(home)
    os.environ.pop("WIREDESK_STORE_URL", None)
    os.environ["WIREDESK_FETCH_ALLOW"] = "127.0.0.1"
    settings = Settings.from_env()
    started = time.monotonic()
    out(f"wiredesk demo: the Herat wire corpus through Airflow ({DAG_ID}, dag.test)")
    out("preparing the embedded Airflow home (the first time takes about 20 s) ...")
    airflow_local.configure(home / "airflow")
    with CorpusServer() as server:
        now = datetime.now(UTC)
        for name, url in server.feed_urls():
            register_feed(settings, url, name, now)
        out(f"  corpus server  {server.url}  ({len(server.corpus.outlets)} feeds, {len(server.corpus.pages)} pages)")
        out(f"  store          {settings.store_url}")
        out(f"  airflow home   {home / 'airflow'}")
        out("")
        out("cycle 1: polling, fetching, extracting, clustering ...")
        first = _cycle(settings, now, out)
        with settings.open_store() as store:
            out("")
            clusters = store.list_clusters()
            multi = [c for c in clusters if c.size > 1]
            articles = store.counts()["articles"]
            out(f"{len(clusters)} clusters from {articles} articles; {len(multi)} hold several versions:")
            for c in multi:
                out("")
                for line in cluster_lines(store.cluster_detail(c.id)):
                    out(line)
            out("")
            singles = len(clusters) - len(multi)
            out(f"{singles} single-version clusters (unrelated stories, near misses, templated items):")
            for c in clusters:
                if c.size == 1:
                    article = store.get_article(c.canonical_id)
                    credit = f"  [credits {article.agency.replace(',', ', ')}]" if article.agency else ""
                    out(f"  {c.id}  {article.outlet or '?':<22.22} {article.title or '(no title)'}{credit}")
            stories = store.list_stories(min_clusters=2)
            out("")
            out(f"{len(stories)} stor{'y links' if len(stories) == 1 else 'ies link'} clusters by a shared passage:")
            for story in stories:
                out("")
                for line in story_lines(store.story_detail(story.id)):
                    out(line)
            errors = store.entry_errors()
        out("")
        minutes = settings.poll_interval.seconds // 60
        out(f"cycle 2: {minutes} minutes later, polling again (nothing changed upstream) ...")
        second = _cycle(settings, now + settings.poll_interval, out)
        not_modified = sum(server.not_modified.values())
        out(
            f"  {not_modified} of {len(server.corpus.outlets)} feeds answered 304 Not Modified; "
            f"{second['articles_stored']} articles stored, {second['clusters_created']} clusters created"
        )
    for url, error in errors:
        out(f"page error: {url}: {error}")
    out("")
    out(f"done in {time.monotonic() - started:.0f} s. Explore the demo store with:")
    out(f"  WIREDESK_HOME={home} {_wiredesk_command()} clusters list   (or: stories list, events)")
    return 0 if first["feeds_failed"] == 0 else 1


def _wiredesk_command() -> str:
    """How to call wiredesk again from this environment (the venv's script when there is one)."""
    script = Path(sys.executable).with_name("wiredesk")
    return str(script) if script.exists() else "wiredesk"


def _cycle(settings: Settings, run_time: datetime, out: Callable[[str], None]) -> dict[str, int]:
    dag_run = airflow_local.run_dag_once(DAG_ID, run_time)
    state = str(getattr(dag_run, "state", "unknown"))
    with settings.open_store() as store:
        feeds = store.list_feeds()
    counts = _last_counts(dag_run)
    out(f"  dag run {getattr(dag_run, 'run_id', '?')}: {state}")
    for feed in feeds:
        status = feed.last_status or "never polled"
        detail = f": {feed.last_error}" if feed.last_error else ""
        out(f"    {feed.name:<24} {status}{detail}")
    if "success" not in state:
        raise WiredeskError(f"the {DAG_ID} run ended {state}; see the Airflow logs in {settings.home / 'airflow'}")
    return counts


def _last_counts(dag_run: object) -> dict[str, int]:
    """The counts carried by the Asset event the run's publish task emitted."""
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import select

    query = select(AssetEvent.extra).where(
        AssetEvent.source_dag_id == DAG_ID, AssetEvent.source_run_id == getattr(dag_run, "run_id", "")
    )
    with create_session() as session:
        extra = session.scalars(query).first()
    if extra is None:
        raise WiredeskError("the run emitted no wiredesk_articles Asset event")
    return {k: int(v) for k, v in dict(extra).items()}
