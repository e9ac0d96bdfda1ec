"""The `wiredesk` command line: contracts others script against (flags, JSON shapes, exit codes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wiredesk.cli import main
from wiredesk.corpus import CorpusServer
from wiredesk.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _page_file(server: CorpusServer, tmp_path: Path, index: int) -> tuple[Path, str]:
    page = server.corpus.pages[index]
    resource = server._lookup(page.path)[0]
    assert resource is not None
    path = tmp_path / f"page{index}.html"
    path.write_bytes(resource.body)
    return path, page.path


def _run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wiredesk.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        check=False,
    )


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process: exit code, stdout, stderr."""
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- extract -------------------------------------------------------------------------------------


def test_extract_prints_the_clean_body(
    corpus_server: CorpusServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = next(i for i, p in enumerate(corpus_server.corpus.pages) if p.variant == "blend")
    path, _ = _page_file(corpus_server, tmp_path, seed)
    assert main(["extract", str(path)]) == 0
    out = capsys.readouterr().out
    assert "The Taliban have taken over Herat" in out
    assert "Leave a Reply" not in out
    assert "Your email address will not be published" not in out


def test_extract_json_one_object_per_input(
    corpus_server: CorpusServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [_page_file(corpus_server, tmp_path, i)[0] for i in (0, 6)]
    assert main(["extract", *map(str, files), "--json", "--url", "https://example.org/story"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    rows = [json.loads(line) for line in lines]
    assert [r["path"] for r in rows] == [str(f) for f in files]
    for row in rows:
        assert {
            "path",
            "text",
            "title",
            "published",
            "byline",
            "language",
            "canonical_url",
            "outlet",
            "agencies",
            "method",
            "authors",
            "updated",
            "updated_source",
            "section",
            "dateline",
            "language_source",
        } <= set(row)
        assert row["text"] and row["title"]
        assert datetime.fromisoformat(row["published"]).tzinfo is not None
        assert row["method"].startswith("trafilatura")
        assert isinstance(row["authors"], list)
    assert rows[1]["agencies"] == ["AP", "AFP"]


def test_extract_reads_stdin(corpus_server: CorpusServer, tmp_path: Path) -> None:
    path, _ = _page_file(corpus_server, tmp_path, 0)
    done = _run("extract", "-", "--json", stdin=path.read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["path"] == "-"


def test_extract_errors_are_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><p>Too short.</p></body></html>")
    done = _run("extract", str(empty), str(tmp_path / "missing.html"))
    assert done.returncode == 1
    first, second = done.stderr.splitlines()  # one line per failing input
    assert first.startswith("wiredesk: error: ") and "extract: body of 2 words, below 40" in first
    assert second.startswith("wiredesk: error: cannot read ") and "No such file" in second


# -- dedupe --------------------------------------------------------------------------------------


def _corpus_jsonl(server: CorpusServer, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for page in server.corpus.pages:
            text = "\n\n".join(p.text for p in server.corpus.body_of(page) if p.kind == "p")
            out.write(json.dumps({"id": page.path, "text": text, "published": page.published.isoformat()}) + "\n")


def test_dedupe_batch_writes_one_line_per_input_in_order(corpus_server: CorpusServer, tmp_path: Path) -> None:
    docs, clusters = tmp_path / "docs.jsonl", tmp_path / "clusters.jsonl"
    _corpus_jsonl(corpus_server, docs)
    explain = tmp_path / "evidence.jsonl"
    assert main(["dedupe", "--input", str(docs), "--output", str(clusters), "--explain", str(explain)]) == 0
    evidence = [json.loads(line) for line in explain.read_text().splitlines()]
    assert len(evidence) == len(corpus_server.corpus.pages)
    joined = [e for e in evidence if e["decision"] == "joined"]
    assert joined
    assert all(e["evidence"] and all(m["rule"] in ("jaccard", "containment") for m in e["evidence"]) for e in joined)
    blend = next(e for e in evidence if e["id"].startswith("/crossroads/2021/08/12"))
    assert {link["rule"] for link in blend["story_links"]} == {"passage"}
    assert len(blend["story_links"]) == 2
    rows = [json.loads(line) for line in clusters.read_text().splitlines()]
    assert [r["id"] for r in rows] == [p.path for p in corpus_server.corpus.pages]
    assert all(set(r) == {"id", "cluster_id", "story_id"} for r in rows)
    herat = {r["story_id"] for r in rows if r["id"].startswith(("/globe/world/2021/08/12", "/crossroads/2021/08/12"))}
    assert len(herat) == 1, "the AP, AFP and blend clusters are one story"
    got: dict[str, set[str]] = {}
    for row in rows:
        got.setdefault(row["cluster_id"], set()).add(row["id"])
    expected: dict[str, set[str]] = {}
    for page in corpus_server.corpus.pages:
        expected.setdefault(page.cluster, set()).add(page.path)
    assert sorted(map(sorted, got.values())) == sorted(map(sorted, expected.values()))


def test_dedupe_matches_the_pipeline_cluster_ids(corpus_server: CorpusServer, tmp_path: Path) -> None:
    """Batch mode derives cluster ids from the founding document exactly as the pipeline does."""
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        json.dumps({"id": 7, "text": "alpha beta gamma delta epsilon zeta eta theta"})
        + "\n"
        + json.dumps({"id": "x", "text": "alpha beta gamma delta epsilon zeta eta theta", "title": "t"})
        + "\n"
    )
    done = _run("dedupe", "--input", str(docs), "--output", "-")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows[0]["id"] == 7 and rows[1]["id"] == "x"
    assert rows[0]["cluster_id"] == rows[1]["cluster_id"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", "docs.jsonl:1: not JSON"),
        ('{"id": "a"}\n', 'docs.jsonl:1: "text" must be a string'),
        ('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', "docs.jsonl:2: duplicate id"),
        ('{"id": "a", "text": "x", "published": "yesterday"}\n', "not ISO 8601"),
    ],
)
def test_dedupe_rejects_bad_input_with_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text(content)
    code, _, err = _main(capsys, "dedupe", "--input", str(docs), "--output", str(tmp_path / "out.jsonl"))
    assert code == 1
    assert message in err
    assert err.count("\n") == 1


# -- feeds, articles, clusters -------------------------------------------------------------------


def test_feeds_add_list_and_opml(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feeds", "add", "https://news.example/feed?utm_source=x", "--name", "Example"]) == 0
    assert main(["feeds", "add", "https://news.example/feed"]) == 0
    assert "already registered" in capsys.readouterr().out
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="World">'
        '<outline text="A" xmlUrl="https://a.example/rss"/><outline text="B" xmlUrl="https://b.example/atom"/>'
        "</outline></body></opml>"
    )
    assert main(["feeds", "import-opml", str(opml)]) == 0
    assert "imported 2 feeds" in capsys.readouterr().out
    assert main(["feeds", "list", "--json"]) == 0
    feeds = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(f["name"], f["url"]) for f in feeds] == [
        ("Example", "https://news.example/feed"),
        ("A", "https://a.example/rss"),
        ("B", "https://b.example/atom"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<opml><body><outline", "is not valid OPML"),
        ("<rss/>", "is not an OPML file"),
        ("<opml><body><outline text='x'/></body></opml>", "lists no feeds"),
        ("<opml><body><outline xmlUrl='ftp://x/y'/></body></opml>", "invalid xmlUrl"),
    ],
)
def test_broken_opml_is_a_one_line_error(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    opml = tmp_path / "broken.opml"
    opml.write_text(content)
    code, _, err = _main(capsys, "feeds", "import-opml", str(opml))
    assert code == 1
    assert message in err
    assert err.count("\n") == 1


def test_invalid_feed_url_is_a_one_line_error(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _main(capsys, "feeds", "add", "not a url")
    assert code == 1
    assert err.startswith("wiredesk: error: url: not an absolute http(s) URL")
    assert err.count("\n") == 1


def test_wrong_arguments_exit_2_with_usage(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _main(capsys, "articles", "--since", "last tuesday")
    assert code == 2
    assert "not an ISO 8601 time" in err
    code, _, err = _main(capsys, "feeds")
    assert code == 2
    assert "required: ACTION" in err


def test_run_once_articles_and_clusters(
    settings: Settings, fresh_server: CorpusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, url in fresh_server.feed_urls():
        assert main(["feeds", "add", url, "--name", name]) == 0
    capsys.readouterr()
    assert main(["run-once", "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["counts"]["articles_stored"] == len(fresh_server.corpus.pages)
    assert "[8/8]" in captured.err  # progress on stderr

    assert main(["articles", "--json", "--since", "2021-08-16"]) == 0
    recent = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert recent and all(a["published_at"] >= "2021-08-16" for a in recent)

    assert main(["clusters", "list", "--json"]) == 0
    clusters = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    biggest = clusters[0]
    assert biggest["size"] == 5
    assert main(["clusters", "show", biggest["id"], "--json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert len(detail["members"]) == 5
    assert sum(m["canonical"] for m in detail["members"]) == 1
    assert {m["rule"] for m in detail["members"]} == {"founder", "jaccard", "containment"}
    assert main(["clusters", "show", biggest["id"]]) == 0
    assert "canonical" in capsys.readouterr().out

    # The Herat story: the blend links the AP and AFP clusters; one-cluster stories only with --all.
    assert main(["stories", "list", "--json"]) == 0
    (story,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert story["clusters"] == 3
    assert story["canonical_cluster_id"] == biggest["id"]
    assert main(["stories", "list", "--all", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(clusters) - 2
    assert main(["stories", "show", story["id"], "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown["clusters"]) == 3
    assert shown["links"]
    assert all(link["rule"] == "passage" for link in shown["links"])
    assert main(["stories", "show", story["id"]]) == 0
    assert "links" in capsys.readouterr().out

    # The change feed, paged with --after: in order, no gaps, no repeats.
    assert main(["events", "--json"]) == 0
    every = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {e["kind"] for e in every} >= {"cluster.created", "article.added", "story.linked"}
    paged: list[dict[str, object]] = []
    after = 0
    while True:
        assert main(["events", "--json", "--after", str(after), "--limit", "7"]) == 0
        page = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        if not page:
            break
        paged += page
        after = page[-1]["id"]
    assert paged == every
    assert [e["id"] for e in every] == list(range(1, len(every) + 1))

    # The index holds what was published within the 7-day window before the newest article.
    times = [page.published for page in fresh_server.corpus.pages if page.published]
    in_window = sum(max(times) - when <= timedelta(days=7) for when in times)
    assert 0 < in_window < len(fresh_server.corpus.pages)
    assert main(["reindex"]) == 0
    assert f"{in_window} articles in the 7-day window" in capsys.readouterr().out


def test_feeds_health_and_recorded_runs(
    settings: Settings, fresh_server: CorpusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from storage import Store

    for name, url in fresh_server.feed_urls()[:2]:
        assert main(["feeds", "add", url, "--name", name]) == 0
    fresh_server.fail("/broken/feed.xml", 500)
    assert main(["feeds", "add", fresh_server.url + "/broken/feed.xml", "--name", "Broken Feed"]) == 0
    assert main(["feeds", "health"]) == 0
    assert "new" in capsys.readouterr().out
    assert main(["run-once"]) == 1  # a feed failed
    capsys.readouterr()
    assert main(["feeds", "health", "--json", "--days", "3"]) == 0
    health = {h["name"]: h for h in map(json.loads, capsys.readouterr().out.splitlines())}
    assert health["Broken Feed"]["status"] == "failing"
    assert health["Broken Feed"]["error_class"] == "http-500"
    assert {health[n]["status"] for n, _ in fresh_server.feed_urls()[:2]} == {"ok"}
    assert main(["feeds", "health"]) == 0
    table = capsys.readouterr().out
    assert "failing" in table and "http-500" in table and "last error: fetch: HTTP 500" in table
    with Store.open(settings.store_url) as store:
        (run,) = store.recent_runs()
    assert run.source == "cli" and run.counts["feeds_failed"] == 1 and run.finished_at >= run.started_at


def test_unknown_cluster_is_a_one_line_error(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _main(capsys, "clusters", "show", "c0000")
    assert code == 1
    assert err == "wiredesk: error: store: no cluster with id c0000\n"
    code, _, err = _main(capsys, "stories", "show", "s0000")
    assert code == 1
    assert err == "wiredesk: error: store: no story with id s0000\n"


def test_help_explains_every_command() -> None:
    done = _run("--help")
    assert done.returncode == 0
    for command in ("demo", "run-once", "feeds", "articles", "clusters", "stories", "events", "reindex", "extract"):
        assert command in done.stdout


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("wiredesk")
    done = subprocess.run([str(exe), "feeds", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "import-opml" in done.stdout


def test_now_is_taken_at_the_edge() -> None:
    from wiredesk import cli

    assert cli._now().tzinfo is UTC
