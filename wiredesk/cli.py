"""The ``wiredesk`` command line. Every command runs the same code path as the DAG (``wiredesk.pipeline``).

Errors print one line (``wiredesk: error: ...``) that says what to do, and exit non-zero; no traceback.
List output is a table for people, or with ``--json`` one JSON object per line for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wiredesk.errors import WiredeskError

if TYPE_CHECKING:
    from storage import Store
    from wiredesk.settings import Settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(WiredeskError):
    """Wrong arguments: exit code 2."""


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_since(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 time: {value!r} (try 2021-08-12 or 2021-08-12T15:00Z)"
        ) from None
    try:
        return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first UTC time there is
        raise argparse.ArgumentTypeError(f"a time out of range: {value!r} (try 2021-08-12)") from None


def _whole(value: str, low: int, high: int, example: int) -> int:
    number = int(value) if value.isascii() and value.isdigit() else None
    if number is None or not low <= number <= high:
        raise argparse.ArgumentTypeError(f"not a whole number from {low} to {high}: {value!r} (try {example})")
    return number


def _positive_int(value: str) -> int:
    """A count: 1 and up (bounded: a database's LIMIT is a 32- or 64-bit integer)."""
    return _whole(value, 1, 2**31 - 1, 100)


def _days(value: str) -> int:
    """A number of days back from now: at most a century (further back has no date)."""
    return _whole(value, 1, 36500, 7)


def _event_id(value: str) -> int:
    return _whole(value, 0, 2**63 - 1, 0)


def _port(value: str) -> int:
    return _whole(value, 1, 65535, 8080)


def _port_or_free(value: str) -> int:
    return _whole(value, 0, 65535, 0)


def _text(value: str, what: str = "name", longest: int = 1000) -> str:
    """A name or an id from the command line: printable UTF-8 (a terminal in another encoding gives
    undecodable bytes, which no database accepts), not empty, not huge."""
    if not value.strip() or any(not c.isprintable() or "\ud800" <= c <= "\udfff" for c in value):
        raise argparse.ArgumentTypeError(f"not a usable {what}: {value!r} (printable UTF-8 text, not empty)")
    if len(value) > longest:
        raise argparse.ArgumentTypeError(f"not a usable {what}: {value[:40]!r}... is over {longest} characters")
    return value


def _id(value: str) -> str:
    return _text(value, "id (see the list command)", 200)


def _host(value: str) -> str:
    return _text(value, "host name", 253)


def _open_store(settings: Settings) -> Store:
    """The store, its SQLite busy timeout from the settings (``WIREDESK_SQLITE_BUSY_SECONDS``)."""

    return settings.open_store()


def _one_line(exc: BaseException) -> str:
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__


def _settings() -> Any:
    from wiredesk.settings import Settings

    return Settings.from_env()


def _emit_json(rows: Iterable[dict[str, Any]], out: TextIO) -> None:
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


# -- commands ------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from wiredesk.demo import run_demo

    return run_demo(_settings())


def cmd_run_once(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from wiredesk.pipeline import record_run, run_cycle

    settings = _settings()
    started = _now()
    report = run_cycle(settings, started, progress=lambda line: print(line, file=sys.stderr))
    record_run(settings, f"run-once {started.isoformat()}", "cli", started, _now(), report.counts())
    if args.json:
        _emit_json([{"counts": report.counts(), "feeds": [asdict(f) for f in report.feeds]}], sys.stdout)
    else:
        counts = report.counts()
        print(
            f"{counts['feeds_polled']} feeds polled ({counts['feeds_not_modified']} not modified, "
            f"{counts['feeds_failed']} failed); {counts['articles_stored']} articles stored, "
            f"{counts['pages_failed']} pages failed; {counts['clusters_created']} clusters created, "
            f"{counts['articles_joined']} articles joined existing clusters"
        )
    return EXIT_OK if not any(f.status == "error" for f in report.feeds) else EXIT_ERROR


def cmd_feeds_add(args: argparse.Namespace) -> int:
    from wiredesk.opml import feed_url

    url = feed_url(args.url)  # a bad URL is refused before the pipeline is loaded
    from wiredesk.pipeline import register_feed

    feed, created = register_feed(_settings(), url, args.name, _now())
    print(f"{'added' if created else 'already registered'}: feed {feed.id} {feed.name} <{feed.url}>")
    return EXIT_OK


def cmd_feeds_list(args: argparse.Namespace) -> int:
    from wiredesk.report import feed_json, when

    with _open_store(_settings()) as store:
        feeds = store.list_feeds()
    if args.json:
        _emit_json((feed_json(f) for f in feeds), sys.stdout)
        return EXIT_OK
    if not feeds:
        print("no feeds yet; add one with: wiredesk feeds add URL --name NAME")
        return EXIT_OK
    print(f"{'id':>4}  {'name':<24} {'status':<13} {'last poll':<21} {'errors':>6}  url")
    for f in feeds:
        status = f.last_status or "never polled"
        print(
            f"{f.id:>4}  {f.name[:24]:<24} {status:<13} {when(f.last_polled_at):<21} {f.consecutive_errors:>6}  {f.url}"
        )
        if f.last_error:
            print(f"{'':6}last error: {f.last_error}")
    return EXIT_OK


def cmd_feeds_health(args: argparse.Namespace) -> int:
    from wiredesk.pipeline import feed_health
    from wiredesk.report import health_json, health_lines

    health = feed_health(_settings(), _now(), days=args.days)
    if args.json:
        _emit_json((health_json(h) for h in health), sys.stdout)
    elif not health:
        print("no feeds yet; add one with: wiredesk feeds add URL --name NAME")
    else:
        print("\n".join(health_lines(health, args.days)))
    return EXIT_OK


def cmd_feeds_import(args: argparse.Namespace) -> int:
    from wiredesk.opml import read_opml

    feeds = read_opml(Path(args.file))  # a broken file is refused before the pipeline is loaded
    from wiredesk.pipeline import register_feed

    settings = _settings()
    added = 0
    for name, url in feeds:
        _, created = register_feed(settings, url, name, _now())
        added += created
    print(f"imported {len(feeds)} feeds from {args.file}: {added} new, {len(feeds) - added} already registered")
    return EXIT_OK


def cmd_articles(args: argparse.Namespace) -> int:
    from wiredesk.report import article_json, when

    with _open_store(_settings()) as store:
        articles = store.list_articles(since=args.since, limit=args.limit)
    if args.json:
        _emit_json((article_json(a) for a in articles), sys.stdout)
        return EXIT_OK
    for a in articles:
        outlet = (a.outlet or "?")[:22]
        print(
            f"{when(a.published_at):<21} {outlet:<22} {a.agency or '-':<7} {a.cluster_id or '-':<18} {a.title or '-'}"
        )
    print(f"{len(articles)} articles", file=sys.stderr)
    return EXIT_OK


def cmd_clusters_list(args: argparse.Namespace) -> int:
    with _open_store(_settings()) as store:
        clusters = store.list_clusters(limit=args.limit)
        canon = store.articles_by_id([c.canonical_id for c in clusters])
    if args.json:
        _emit_json(
            (
                {
                    "id": c.id,
                    "size": c.size,
                    "canonical_id": c.canonical_id,
                    "canonical_reason": c.canonical_reason,
                    "title": canon[c.canonical_id].title,
                }
                for c in clusters
            ),
            sys.stdout,
        )
        return EXIT_OK
    for c in clusters:
        print(f"{c.id}  {c.size:>3}  {canon[c.canonical_id].title or '(no title)'}")
    return EXIT_OK


def cmd_clusters_show(args: argparse.Namespace) -> int:
    from wiredesk.report import cluster_json, cluster_lines

    with _open_store(_settings()) as store:
        detail = store.cluster_detail(args.id)
    if args.json:
        _emit_json([cluster_json(detail)], sys.stdout)
    else:
        print("\n".join(cluster_lines(detail)))
    return EXIT_OK


def cmd_stories_list(args: argparse.Namespace) -> int:
    with _open_store(_settings()) as store:
        stories = store.list_stories(limit=args.limit, min_clusters=1 if args.all else 2)
        canon = store.articles_by_id([s.canonical_id for s in stories])
    if args.json:
        _emit_json(
            (
                {
                    "id": s.id,
                    "clusters": s.clusters,
                    "size": s.size,
                    "canonical_id": s.canonical_id,
                    "canonical_cluster_id": s.canonical_cluster_id,
                    "canonical_reason": s.canonical_reason,
                    "title": canon[s.canonical_id].title,
                }
                for s in stories
            ),
            sys.stdout,
        )
        return EXIT_OK
    for s in stories:
        print(f"{s.id}  {s.clusters:>2} clusters {s.size:>4} versions  {canon[s.canonical_id].title or '(no title)'}")
    if not stories and not args.all:
        print("no story links two clusters yet (--all lists one-cluster stories too)", file=sys.stderr)
    return EXIT_OK


def cmd_stories_show(args: argparse.Namespace) -> int:
    from wiredesk.report import story_json, story_lines

    with _open_store(_settings()) as store:
        detail = store.story_detail(args.id)
    if args.json:
        _emit_json([story_json(detail)], sys.stdout)
    else:
        print("\n".join(story_lines(detail)))
    return EXIT_OK


def cmd_events(args: argparse.Namespace) -> int:
    from wiredesk.report import event_json

    with _open_store(_settings()) as store:
        events = store.events(after=args.after, limit=args.limit)
    if args.json:
        _emit_json((event_json(e) for e in events), sys.stdout)
    else:
        for e in events:
            extra = e.detail.get("reason") or e.detail.get("rule") or ""
            where = f"{e.cluster_id or '-':<18} {e.article_id or '-'}"
            print(f"{e.id:>7}  {e.at:%Y-%m-%d %H:%M}  {e.kind:<18} {where}  {extra}")
    if events:
        print(f"next: wiredesk events --after {events[-1].id}", file=sys.stderr)
    return EXIT_OK


def cmd_reindex(args: argparse.Namespace) -> int:
    from wiredesk.pipeline import reindex

    settings = _settings()
    count = reindex(settings, _now())
    print(f"index rebuilt from the stored signatures: {count} articles in the {settings.dedupe.window_days}-day window")
    return EXIT_OK


def cmd_reextract(args: argparse.Namespace) -> int:
    from wiredesk.reextract import reextract

    report = reextract(
        _settings(),
        _now(),
        site=args.site,
        since=args.since,
        progress=lambda line: print(line, file=sys.stderr),
    )
    if args.json:
        _emit_json(
            [
                {
                    "examined": report.examined,
                    "unchanged": report.unchanged,
                    "metadata_changed": report.metadata_changed,
                    "body_changed": report.body_changed,
                    "failed": report.failed,
                    "errors": report.errors,
                    "dedupe": asdict(report.dedupe),
                }
            ],
            sys.stdout,
        )
    for error in report.errors if not args.json else []:
        print(f"wiredesk: error: {error}", file=sys.stderr)
    return EXIT_OK


def cmd_extract(args: argparse.Namespace) -> int:
    from ingest.errors import IngestError
    from ingest.extract import extract_article
    from wiredesk.settings import Settings

    config = Settings.from_env().extract
    failures = 0
    for i, name in enumerate(args.files):
        try:
            html = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise WiredeskError(f"cannot read {name}: {exc.strerror}") from None
        url = args.url or (Path(name).resolve().as_uri() if name != "-" else "about:stdin")
        try:
            article = extract_article(html, url=url, config=config)
        except IngestError as exc:
            failures += 1
            if args.json:
                _emit_json([{"path": name, "error": str(exc)}], sys.stdout)
            else:
                print(f"wiredesk: error: {name}: {exc}", file=sys.stderr)
            continue
        if args.json:
            _emit_json(
                [
                    {
                        "path": name,
                        "text": article.text,
                        "title": article.title,
                        "published": article.published.isoformat() if article.published else None,
                        "published_source": article.published_source,
                        "updated": article.updated.isoformat() if article.updated else None,
                        "updated_source": article.updated_source,
                        "byline": article.byline,
                        "authors": list(article.authors),
                        "language": article.language,
                        "language_source": article.language_source,
                        "section": article.section,
                        "dateline": article.dateline,
                        "canonical_url": article.canonical_url,
                        "outlet": article.outlet,
                        "agencies": list(article.agencies),
                        "word_count": article.word_count,
                        "method": article.method,
                    }
                ],
                sys.stdout,
            )
        else:
            if len(args.files) > 1:
                print(("\n" if i else "") + f"==> {name} <==")
            print(article.text)
    return EXIT_ERROR if failures else EXIT_OK


def cmd_dedupe(args: argparse.Namespace) -> int:
    from wiredesk.batch import run_batch_dedupe

    try:
        return run_batch_dedupe(args.input, args.output, _settings().dedupe, explain=args.explain)
    except UnicodeDecodeError as exc:
        raise WiredeskError(
            f"{args.input} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "give JSON lines in UTF-8"
        ) from None


def cmd_corpus_serve(args: argparse.Namespace) -> int:
    import time

    from wiredesk.corpus import CorpusServer

    try:
        server = CorpusServer(port=args.port)
    except OSError as exc:
        raise WiredeskError(f"cannot serve on 127.0.0.1:{args.port} ({exc.strerror}); choose another --port") from None
    with server:
        print(f"serving the Herat wire corpus at {server.url} (Ctrl-C stops)")
        for name, url in server.feed_urls():
            print(f"  {name:<24} {url}")
        print("register them with: WIREDESK_FETCH_ALLOW=127.0.0.1 wiredesk feeds add URL --name NAME")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return EXIT_OK


def cmd_airflow(args: argparse.Namespace) -> int:
    from wiredesk.airflow_ui import run_airflow_ui

    return run_airflow_ui(_settings(), args.port)


def _check_listen(host: str, port: int) -> None:
    """Fail in one line, before uvicorn logs its own, when ``host:port`` cannot be listened on."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind((host, port))
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or _one_line(exc)
        raise WiredeskError(f"cannot listen on {host}:{port} ({reason}); choose another --host or --port") from None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from wiredesk.api import create_app
    from wiredesk.settings import api_tokens

    app = create_app(_settings(), api_tokens())  # refuses without WIREDESK_API_TOKEN
    _check_listen(args.host, args.port)
    print(f"wiredesk read API on http://{args.host}:{args.port}/v1 (Ctrl-C stops)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from wiredesk.report import canonical_json

    if args.until is not None and args.until <= args.since:
        raise UsageError("--until must be later than --since")
    out = sys.stdout if args.output == "-" else None
    count = 0
    try:
        handle = out or open(args.output, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise WiredeskError(f"cannot write {args.output}: {exc.strerror}") from None
    try:
        with _open_store(_settings()) as store:
            after = None
            while True:
                page = store.canonical_articles(since=args.since, until=args.until, after=after, limit=500)
                if not page:
                    break
                clusters = store.clusters_by_id([a.cluster_id for a in page if a.cluster_id])
                _emit_json((canonical_json(a, clusters.get(a.cluster_id or "")) for a in page), handle)
                count += len(page)
                last = page[-1]
                after = (last.published_at or last.fetched_at, last.id)
    finally:
        if handle is not sys.stdout:
            handle.close()
    print(f"exported {count} canonical articles to {args.output}", file=sys.stderr)
    return EXIT_OK


# -- parser --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wiredesk",
        description="Poll news-wire feeds, extract clean articles, cluster near-duplicate versions of a story "
        "and pick a canonical article. Configuration comes from WIREDESK_* environment variables (see README).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("demo", help="run the whole pipeline through Airflow on the built-in Herat wire corpus")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("run-once", help="run one cycle (poll due feeds, fetch, extract, dedupe) without a scheduler")
    p.add_argument("--json", action="store_true", help="print the cycle's report as one JSON object")
    p.set_defaults(func=cmd_run_once)

    feeds = sub.add_parser("feeds", help="register and list feeds").add_subparsers(
        dest="feeds_command", metavar="ACTION", required=True
    )
    p = feeds.add_parser("add", help="register a feed (RSS, Atom or JSON Feed) by URL")
    p.add_argument("url", metavar="URL")
    p.add_argument("--name", type=_text, help="a short name shown in logs and the Airflow UI (default: the URL)")
    p.set_defaults(func=cmd_feeds_add)
    p = feeds.add_parser("list", help="list feeds with their poll state and last error")
    p.add_argument("--json", action="store_true", help="one JSON object per feed and line")
    p.set_defaults(func=cmd_feeds_list)
    p = feeds.add_parser(
        "health",
        help="per-feed health: status, errors in a row and their class, last success, next poll, share of 304s, "
        "items per day, duplicate share, page failures",
        description="Per-feed health over the last DAYS days. status: new (never polled), ok, failing (errors in a "
        "row), dead (WIREDESK_POLL_DEAD_AFTER errors in a row; still polled every WIREDESK_POLL_DEAD_HOURS). "
        "304s: share of answered polls that were 304 Not Modified; dup: share of the feed's clustered articles "
        "that joined an existing cluster; extract/fetch: pages whose last attempt failed.",
    )
    p.add_argument("--days", type=_days, default=7, help="the window, in days (default 7)")
    p.add_argument("--json", action="store_true", help="one JSON object per feed, one per line")
    p.set_defaults(func=cmd_feeds_health)
    p = feeds.add_parser("import-opml", help="register every feed of an OPML file")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_feeds_import)

    p = sub.add_parser("articles", help="list stored articles, newest first")
    p.add_argument("--since", type=_parse_since, metavar="ISO", help="only articles published at or after this time")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="at most N articles")
    p.add_argument("--json", action="store_true", help="one JSON object per article and line (with its body)")
    p.set_defaults(func=cmd_articles)

    clusters = sub.add_parser("clusters", help="list clusters or show one").add_subparsers(
        dest="clusters_command", metavar="ACTION", required=True
    )
    p = clusters.add_parser("list", help="list clusters, largest first")
    p.add_argument("--limit", type=_positive_int, metavar="N")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clusters_list)
    p = clusters.add_parser("show", help="show a cluster: canonical article, members and similarities")
    p.add_argument("id", metavar="ID", type=_id)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clusters_show)

    stories = sub.add_parser(
        "stories", help="list stories (clusters linked by shared passages) or show one"
    ).add_subparsers(dest="stories_command", metavar="ACTION", required=True)
    p = stories.add_parser("list", help="list stories that link two or more clusters, the widest first")
    p.add_argument("--all", action="store_true", help="also list one-cluster stories")
    p.add_argument("--limit", type=_positive_int, metavar="N")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stories_list)
    p = stories.add_parser("show", help="show a story: canonical article, its clusters and the links between them")
    p.add_argument(
        "id", metavar="ID", type=_id, help="a story id (an absorbed story's id leads to the story it joined)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stories_show)

    p = sub.add_parser(
        "events",
        help="print the change feed: cluster.created, article.added, canonical.changed, story.linked, in order",
    )
    p.add_argument(
        "--after", type=_event_id, default=0, metavar="ID", help="only events after this id (default: from the start)"
    )
    p.add_argument("--limit", type=_positive_int, default=1000, metavar="N", help="at most N events (default 1000)")
    p.add_argument("--json", action="store_true", help="one JSON object per event and line")
    p.set_defaults(func=cmd_events)

    p = sub.add_parser(
        "reindex", help="rebuild the dedupe index from the stored signatures (after a loss or a settings change)"
    )
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser(
        "reextract",
        help="re-extract stored raw HTML with the current extractor and site models, then dedupe what changed",
    )
    p.add_argument("--site", type=_host, metavar="HOST", help="only pages of this host (e.g. www.example.com)")
    p.add_argument("--since", type=_parse_since, metavar="ISO", help="only pages published at or after this time")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=cmd_reextract)

    p = sub.add_parser("extract", help="print the clean body of HTML pages ('-' reads stdin)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--url", help="the page's URL (resolves relative links; default: the file's path)")
    p.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per input and line: {"path", "text", "title", "published", ...}',
    )
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("dedupe", help="cluster a JSONL corpus in batch with the pipeline's matcher")
    p.add_argument(
        "--input",
        required=True,
        metavar="DOCS.jsonl",
        help='lines of {"id", "text"} with optional "title", "published" (ISO 8601); - for stdin',
    )
    p.add_argument(
        "--output",
        required=True,
        metavar="CLUSTERS.jsonl",
        help='lines of {"id", "cluster_id", "story_id"}, in input order; - for stdout',
    )
    p.add_argument(
        "--explain",
        metavar="EVIDENCE.jsonl",
        help="also write, per document in decision order, the evidence of its placement and its story links",
    )
    p.set_defaults(func=cmd_dedupe)

    corpus = sub.add_parser("corpus", help="the built-in Herat wire corpus").add_subparsers(
        dest="corpus_command", metavar="ACTION", required=True
    )
    p = corpus.add_parser("serve", help="serve the corpus on 127.0.0.1 to try wiredesk by hand")
    p.add_argument("--port", type=_port_or_free, default=0, help="port (default: a free one)")
    p.set_defaults(func=cmd_corpus_serve)

    p = sub.add_parser(
        "airflow",
        help="try Airflow's UI: airflow standalone on 127.0.0.1 with the demo feeds (login printed; Ctrl-C stops)",
    )
    p.add_argument("--port", type=_port, default=8080, help="port of the UI and API (default 8080)")
    p.set_defaults(func=cmd_airflow)

    p = sub.add_parser("serve", help="serve the read API (canonical articles, clusters, stories, changes) over HTTP")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8081, help="port (default 8081)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("export", help="write the canonical articles of a time range as JSON lines")
    p.add_argument(
        "--since", type=_parse_since, required=True, metavar="ISO", help="published (else fetched) at or after"
    )
    p.add_argument("--until", type=_parse_since, metavar="ISO", help="published (else fetched) before")
    p.add_argument("--format", required=True, choices=["jsonl"], help="jsonl: one article (with body) per line")
    p.add_argument("--output", default="-", metavar="FILE", help="where to write (default -: stdout)")
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # wrong arguments end here, before the heavy imports below
    from ingest.errors import IngestError
    from storage.errors import StoreError

    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"wiredesk: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except (WiredeskError, IngestError, StoreError) as exc:
        print(f"wiredesk: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("wiredesk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # the machine's, not ours: a port in use, a permission, a full disk
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"wiredesk: error: {exc.strerror or _one_line(exc)}{where}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
