"""Bad input from people, through the real console script (``.venv/bin/wiredesk``) in a subprocess: invalid
feed URLs, broken OPML files, wrong arguments to every subcommand, unknown ids, unusable settings. Each is
one line that says what to do, a non-zero exit code and no traceback: exit 1 and exactly one
``wiredesk: error: ...`` line, or for wrong arguments exit 2 and argparse's usage followed by one error line.

The cases run concurrently (a module fixture), each is then its own test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wiredesk.cli import build_parser

WIREDESK = Path(sys.executable).with_name("wiredesk")
OPML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head><title>feeds</title></head>'
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE opml [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10))
    + ']>\n<opml version="2.0"><body><outline text="&lol9;" xmlUrl="https://example.com/feed"/></body></opml>\n'
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://example.com/feed"/></body></opml>\n'
)


@dataclass(frozen=True)
class Case:
    """``wiredesk ARGS`` with ``files`` written in its home first ({home} in args names it) and ``env``."""

    args: tuple[str, ...]
    code: int
    says: str  # in the error line
    files: dict[str, bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


def opml(body: str) -> dict[str, bytes]:
    return {"feeds.opml": (OPML_HEAD + body).encode()}


CASES: dict[str, Case] = {
    # -- feed URLs -----------------------------------------------------------------------------------
    "url without a scheme": Case(("feeds", "add", "notaurl"), 1, "'notaurl' (no http:// or https:// in front)"),
    "ftp url": Case(("feeds", "add", "ftp://example.com/feed"), 1, "(the scheme is ftp:); wiredesk reads feeds"),
    "javascript url": Case(("feeds", "add", "javascript:alert(1)"), 1, "(no http:// or https:// in front)"),
    "http without a host": Case(("feeds", "add", "http://"), 1, "'http://' (no host name)"),
    "https without a host, with a path": Case(("feeds", "add", "https:///feed.xml"), 1, "(no host name)"),
    "space in the host": Case(("feeds", "add", "http://exa mple.com/feed"), 1, "(it contains a space)"),
    "space in the path": Case(("feeds", "add", "https://example.com/my feed.xml"), 1, "percent-encode spaces"),
    "two urls in one": Case(("feeds", "add", "https://a.example/f https://b.example/f"), 1, "one URL at a time"),
    "bad characters in the host": Case(("feeds", "add", "http://exa<mple>.com/"), 1, "is not a host name"),
    "broken ipv6 literal": Case(("feeds", "add", "http://[::1/feed"), 1, "(Invalid IPv6 URL)"),
    "port out of range": Case(("feeds", "add", "https://example.com:99999/feed"), 1, "(Port out of range"),
    "port not a number": Case(("feeds", "add", "https://example.com:http/feed"), 1, "(Port could not be cast"),
    "empty url": Case(("feeds", "add", ""), 1, "'' (it is empty)"),
    "control character": Case(("feeds", "add", "https://example.com/\x07feed"), 1, "control characters"),
    # -- OPML files ----------------------------------------------------------------------------------
    "opml: not XML": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"),
        1,
        "is not valid OPML (line 1:",
        files={"feeds.opml": b"Feeds I read: example.com, example.org\n"},
    ),
    "opml: no outlines": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"), 1, "lists no feeds", files=opml("<body></body></opml>")
    ),
    "opml: outlines without xmlUrl": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"),
        1,
        "lists no feeds (no <outline> has an xmlUrl attribute)",
        files=opml(
            '<body><outline text="News"><outline text="A" htmlUrl="https://a.example/"/></outline></body></opml>'
        ),
    ),
    "opml: an invalid xmlUrl": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"),
        1,
        "an outline has an invalid xmlUrl 'feed.xml' (no http://",
        files=opml('<body><outline xmlUrl="https://ok.example/rss"/><outline xmlUrl="feed.xml"/></body></opml>'),
    ),
    "opml: several invalid xmlUrls": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"),
        1,
        "2 outlines have an invalid xmlUrl, the first 'ftp://x/y'",
        files=opml('<body><outline xmlUrl="ftp://x/y"/><outline xmlUrl="http://a b/"/></body></opml>'),
    ),
    "opml: a missing file": Case(("feeds", "import-opml", "{home}/missing.opml"), 1, "No such file or directory"),
    "opml: a directory": Case(("feeds", "import-opml", "{home}"), 1, "is a folder; give the path of an OPML file"),
    "opml: binary garbage": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"),
        1,
        "is not valid OPML",
        files={"feeds.opml": bytes(range(256)) * 8},
    ),
    "opml: empty": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"), 1, "is not valid OPML", files={"feeds.opml": b""}
    ),
    "opml: truncated": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"),
        1,
        "is not valid OPML",
        files=opml('<body><outline text="A" xmlUrl="https://a.example/rss"'),
    ),
    "opml: an RSS feed instead": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"),
        1,
        "root element is not <opml>",
        files={"feeds.opml": b'<?xml version="1.0"?><rss version="2.0"/>'},
    ),
    "opml: billion laughs": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"),
        1,
        "declares XML entities",
        files={"feeds.opml": BILLION_LAUGHS.encode()},
    ),
    "opml: external entity": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"),
        1,
        "declares XML entities",
        files={"feeds.opml": EXTERNAL_ENTITY.encode()},
    ),
    "opml: over 10 MiB": Case(
        ("feeds", "import-opml", "{home}/feeds.opml"),
        1,
        "is over 10 MiB",
        files={"feeds.opml": (OPML_HEAD + " " * (10 * 1024 * 1024)).encode()},
    ),
    # -- wrong arguments (argparse: exit 2) ----------------------------------------------------------
    "no command": Case((), 2, "the following arguments are required: COMMAND"),
    "unknown command": Case(("fetch",), 2, "invalid choice: 'fetch'"),
    "feeds add without a url": Case(("feeds", "add"), 2, "the following arguments are required: URL"),
    "dedupe without --input": Case(("dedupe", "--output", "-"), 2, "required: --input"),
    "bad ISO time": Case(("articles", "--since", "yesterday"), 2, "not an ISO 8601 time: 'yesterday'"),
    "bad ISO date": Case(("reextract", "--since", "2021-13-45"), 2, "not an ISO 8601 time: '2021-13-45'"),
    "time before the first UTC time": Case(("articles", "--since", "0001-01-01T00:00+01:00"), 2, "a time out of range"),
    "bad --until": Case(
        ("export", "--since", "2021-08-12", "--until", "later", "--format", "jsonl"),
        2,
        "argument --until: not an ISO 8601 time",
    ),
    "--until before --since": Case(
        ("export", "--since", "2021-08-12", "--until", "2021-08-01", "--format", "jsonl"),
        2,
        "--until must be later than --since",
    ),
    "unknown export format": Case(("export", "--since", "2021-08-12", "--format", "csv"), 2, "invalid choice: 'csv'"),
    "negative limit": Case(("articles", "--limit", "-1"), 2, "not a whole number from 1 to 2147483647: '-1'"),
    "zero limit": Case(("clusters", "list", "--limit", "0"), 2, "not a whole number from 1"),
    "limit in words": Case(("stories", "list", "--limit", "ten"), 2, "not a whole number from 1"),
    "huge limit": Case(("events", "--limit", "99999999999999999999"), 2, "not a whole number from 1"),
    "negative event id": Case(("events", "--after", "-5"), 2, "--after: not a whole number from 0"),
    "zero days": Case(("feeds", "health", "--days", "0"), 2, "--days: not a whole number from 1 to 36500"),
    "a million days": Case(("feeds", "health", "--days", "1000000"), 2, "--days: not a whole number from 1 to 36500"),
    "negative port": Case(("corpus", "serve", "--port", "-1"), 2, "--port: not a whole number from 0 to 65535"),
    "port too high": Case(("airflow", "--port", "70000"), 2, "--port: not a whole number from 1 to 65535"),
    "port in words": Case(("serve", "--port", "http"), 2, "--port: not a whole number from 1 to 65535"),
    "undecodable id": Case(("clusters", "show", "c\udcff"), 2, "not a usable id"),
    "undecodable feed name": Case(
        ("feeds", "add", "https://example.com/feed", "--name", "\udcff"), 2, "not a usable name"
    ),
    # -- unknown ids, missing files, unusable settings (exit 1) --------------------------------------
    "unknown cluster id": Case(("clusters", "show", "c0000000000000000"), 1, "no cluster with id c0000000000000000"),
    "unknown story id": Case(("stories", "show", "s-nope"), 1, "no story with id s-nope"),
    "extract a missing file": Case(("extract", "{home}/missing.html"), 1, "cannot read"),
    "dedupe a missing file": Case(("dedupe", "--input", "{home}/missing.jsonl", "--output", "-"), 1, "cannot open"),
    "dedupe a binary file": Case(
        ("dedupe", "--input", "{home}/docs.jsonl", "--output", "-"),
        1,
        "is not UTF-8 text (byte 0xff",
        files={"docs.jsonl": b"\xff\xfe{}\n"},
    ),
    "dedupe a line that is not JSON": Case(
        ("dedupe", "--input", "{home}/docs.jsonl", "--output", "-"),
        1,
        "docs.jsonl:1: not JSON",
        files={"docs.jsonl": b'{"id": 1, "text": \n'},
    ),
    "export into a missing folder": Case(
        ("export", "--since", "2021-08-12", "--format", "jsonl", "--output", "{home}/no/such/dir/out.jsonl"),
        1,
        "cannot write",
    ),
    "store url not a url": Case(
        ("feeds", "list"), 1, "the store URL is not a database URL", env={"WIREDESK_STORE_URL": "wiredesk.db"}
    ),
    "store url of another database": Case(
        ("feeds", "list"),
        1,
        "mysql databases are not supported",
        env={"WIREDESK_STORE_URL": "mysql://user@localhost/wiredesk"},
    ),
    "store file not a database": Case(
        ("feeds", "list"),
        1,
        "is not a usable SQLite database",
        files={"wiredesk.db": b"these are my notes, not a database\n" * 200},
    ),
    "store server refusing": Case(
        ("feeds", "list"),
        1,
        "cannot open postgresql+psycopg://postgres@127.0.0.1:1/x (",
        env={"WIREDESK_STORE_URL": "postgresql://postgres@127.0.0.1:1/x"},
    ),
    "bad window setting": Case(
        ("articles",), 1, "WIREDESK_WINDOW_DAYS='a week' is not a whole number", env={"WIREDESK_WINDOW_DAYS": "a week"}
    ),
    "bad busy timeout": Case(
        ("feeds", "list"),
        1,
        "WIREDESK_SQLITE_BUSY_SECONDS='-1' is not between 0 and 86400",
        env={"WIREDESK_SQLITE_BUSY_SECONDS": "-1"},
    ),
}


def subcommands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], list[str]]]:
    """Every runnable subcommand of the parser: its words, and the arguments it requires (given, so that an
    unknown flag, not a missing argument, is what it reports)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += subcommands(sub, (*prefix, name))
    return found or [(prefix, _required(parser))]


def _required(parser: argparse.ArgumentParser) -> list[str]:
    words: list[str] = []
    for action in parser._actions:
        if action.option_strings and not action.required:
            continue
        value = str(next(iter(action.choices))) if action.choices else "x"
        if getattr(action.type, "__name__", "") == "_parse_since":
            value = "2021-08-12"
        words += [action.option_strings[0], value] if action.option_strings else [value]
    return words


# An unknown flag, for every subcommand there is (read from the parser, so a new one is covered too).
for command, required in subcommands(build_parser()):
    CASES[f"unknown flag: {' '.join(command)}"] = Case(
        (*command, *required, "--frobnicate"), 2, "unrecognized arguments: --frobnicate"
    )


def run(case: Case, home: Path) -> subprocess.CompletedProcess[bytes]:
    for name, content in case.files.items():
        (home / name).write_bytes(content)
    env = {**os.environ, "WIREDESK_HOME": str(home), **case.env}
    for name in ("WIREDESK_STORE_URL", "WIREDESK_WINDOW_DAYS", "WIREDESK_SQLITE_BUSY_SECONDS"):
        if name not in case.env:
            env.pop(name, None)
    args = [os.fsencode(a.replace("{home}", str(home))) for a in case.args]
    return subprocess.run(
        [os.fsencode(WIREDESK), *args], env=env, capture_output=True, timeout=120, check=False, cwd=home
    )


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[bytes]]:
    homes = {name: tmp_path_factory.mktemp("bad-input") for name in CASES}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, case, homes[name]) for name, case in CASES.items()}
    return {name: future.result() for name, future in futures.items()}


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_and_a_non_zero_exit(
    name: str, outcomes: dict[str, subprocess.CompletedProcess[bytes]]
) -> None:
    case, done = CASES[name], outcomes[name]
    err = _text(done.stderr)
    assert "Traceback" not in err
    assert done.returncode == case.code, err
    lines = err.splitlines()
    if err.startswith("usage: "):
        assert case.code == 2
        usage, error = lines[:-1], lines[-1]
        assert all(not line.startswith("wiredesk") for line in usage), err  # usage, then one error line
        assert error.startswith("wiredesk") and ": error: " in error
    else:
        assert len(lines) == 1, err
        error = lines[0]
        assert error.startswith("wiredesk: error: ")
    assert case.says in error
    assert _text(done.stdout) == ""


def test_a_good_opml_file_still_imports(tmp_path: Path) -> None:
    """The checks refuse nothing a reader exports: UTF-16 with a BOM, nested folders, padded URLs with
    tracking parameters, the old feed:// scheme."""
    content = (
        '<?xml version="1.0" encoding="UTF-16"?>\n<opml version="1.0"><body><outline text=" World  news ">'
        '<outline title="A" xmlUrl=" https://a.example/rss?utm_source=x "/>'
        '<outline text="B" xmlUrl="feed://b.example/atom"/></outline></body></opml>'
    )
    done = run(
        Case(("feeds", "import-opml", "{home}/feeds.opml"), 0, "", {"feeds.opml": content.encode("utf-16")}), tmp_path
    )
    assert done.returncode == 0, _text(done.stderr)
    assert "imported 2 feeds" in _text(done.stdout)
    listed = _text(run(Case(("feeds", "list", "--json"), 0, ""), tmp_path).stdout)
    assert '"url": "https://a.example/rss"' in listed
    assert '"url": "http://b.example/atom"' in listed
