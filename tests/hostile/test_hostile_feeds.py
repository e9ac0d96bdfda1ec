"""Hostile feeds and pages, each met in a real cycle (``run_cycle``) next to two healthy corpus feeds.

Every test registers the healthy feeds, the hostile feed (or a healthy-looking feed whose article page is
the hostile part), runs a cycle and checks (a) what wiredesk made of the hostile thing: a one-line error
recorded against the feed (``feeds.last_error`` and its class) or the entry (``entries.error``), or the
usable entries kept with a warning; (b) through ``run_with_healthy``, that the healthy feeds' articles were
all stored, that every recorded error is one line, and that no stored text holds a control character.
The ``loopback_only`` fixture fails any test in which a connection to anything but 127.0.0.1 was attempted.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from harness import T0, Outcome, assert_healthy_after, one_line, run_with_healthy
from server import KIB, MIB, HostileServer, article_html, item, redirect_url, rss

from ingest.urls import canonical_url
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import run_cycle
from wiredesk.settings import Settings

RSS = "application/rss+xml"


def feed_error(outcome: Outcome, name: str, error_class: str) -> str:
    """The feed's recorded error (report and store agree, and it is of ``error_class``)."""
    report = outcome.feed(name)
    stored = outcome.stored_feed(name)
    assert report.status == "error"
    assert (report.error_class, stored["last_error_class"]) == (error_class, error_class)
    assert stored["last_error"] == report.error
    assert stored["consecutive_errors"] == 1
    return one_line(report.error)


def entry_error(outcome: Outcome, name: str, url: str, error_class: str) -> str:
    """The entry's recorded fetch error."""
    entry = outcome.entries(name)[url]
    assert (entry["status"], entry["error_class"]) == ("failed", error_class)
    assert url not in outcome.articles(name)
    return one_line(entry["error"])


def aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def not_after(value: datetime | None, limit: datetime) -> bool:
    """Whether a stored time is absent or no later than ``limit``."""
    when = aware(value)
    return when is None or when <= limit


# --- time: deadlines and timeouts --------------------------------------------------------------------------


def test_dripping_body_ends_at_the_deadline(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    """One byte every 50 ms: no read ever times out, the overall deadline (1.5 s) ends it."""
    started = time.monotonic()
    outcome = run_with_healthy(tight, corpus_server, {"drip": hostile.url + "/drip"})
    error = feed_error(outcome, "drip", "timeout")
    assert error == f"fetch: deadline of 1.5 s passed at {hostile.url}/drip"
    assert time.monotonic() - started < 30  # ends at the deadline, not when the server is done (minutes)


def test_stalled_headers_end_at_the_deadline(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    """A status line, then a header line that grows a byte every 50 ms and never ends."""
    outcome = run_with_healthy(tight, corpus_server, {"headers": hostile.url + "/drip-headers"})
    assert "deadline of 1.5 s passed" in feed_error(outcome, "headers", "timeout")


def test_silent_server_is_a_read_timeout(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    outcome = run_with_healthy(tight, corpus_server, {"stall": hostile.url + "/stall"})
    assert feed_error(outcome, "stall", "timeout") == f"fetch: timed out (ReadTimeout) at {hostile.url}/stall"


# --- size: bombs and bodies over the cap -------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compression_bomb_is_capped_on_the_decompressed_size(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer, encoding: str
) -> None:
    """64 MiB of zeros in a download of about 64 KiB; the cap is 1 MiB of decoded body."""
    outcome = run_with_healthy(tight, corpus_server, {"bomb": f"{hostile.url}/bomb?encoding={encoding}&mib=64"})
    assert feed_error(outcome, "bomb", "too-large").startswith("fetch: body over 1 MiB at ")


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress"])
def test_body_in_an_encoding_not_asked_for_is_refused(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer, encoding: str
) -> None:
    """No brotli (nor zstd) decoder is installed: such a body, a brotli bomb or not, is refused unread
    instead of being parsed as garbage, and wiredesk never asks for it."""
    outcome = run_with_healthy(tight, corpus_server, {"labelled": f"{hostile.url}/labelled?encoding={encoding}"})
    error = feed_error(outcome, "labelled", "encoding")
    assert error == (
        f"fetch: undecodable body (Content-Encoding {encoding} is not supported) at "
        f"{hostile.url}/labelled?encoding={encoding}"
    )
    assert hostile.request_headers["/labelled"]["Accept-Encoding"] == "gzip, deflate"


def test_a_stack_of_encodings_is_refused(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    """``Content-Encoding: gzip, gzip, gzip, gzip, gzip``: a decoder per layer is an attack on the decoder."""
    outcome = run_with_healthy(tight, corpus_server, {"chain": hostile.url + "/chain?n=5"})
    assert "Content-Encoding gzip, gzip, gzip, gzip, gzip is not supported" in feed_error(outcome, "chain", "encoding")


def test_corrupt_gzip_is_an_undecodable_body(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    outcome = run_with_healthy(tight, corpus_server, {"corrupt": hostile.url + "/corrupt-gzip"})
    assert feed_error(outcome, "corrupt", "encoding").startswith("fetch: undecodable body (")


def test_oversized_body_without_content_length(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    """4 MiB, delimited by the connection closing: the cap applies while streaming."""
    outcome = run_with_healthy(tight, corpus_server, {"unsized": hostile.url + "/unsized?mib=4"})
    assert feed_error(outcome, "unsized", "too-large") == f"fetch: body over 1 MiB at {hostile.url}/unsized?mib=4"


def test_declared_length_over_the_cap_is_refused_unread(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    url = hostile.add("/declared.xml", b"<rss>" + b" " * (2 * MIB), RSS)
    outcome = run_with_healthy(tight, corpus_server, {"declared": url})
    assert feed_error(outcome, "declared", "too-large") == f"fetch: body of 2 MiB over 1 MiB at {url}"
    assert outcome.entries("declared") == {}


# --- broken framing: lying lengths, resets ------------------------------------------------------------------


def test_content_length_longer_than_the_body(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    """Content-Length promises ten times what comes before the connection closes: an incomplete body is an
    error, not a feed (a truncated feed would be parsed as if it were whole)."""
    outcome = run_with_healthy(tight, corpus_server, {"liar": hostile.url + "/lying-length"})
    error = feed_error(outcome, "liar", "network")
    assert "peer closed connection without sending complete message body" in error
    assert outcome.entries("liar") == {}


def test_content_length_shorter_than_the_body(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    """Content-Length covers the first item only: what the length covers is read, the rest never; the items
    in it are kept and the damage reported."""
    first = item(hostile.url + "/page?id=short-1", "First")
    body = rss(first + item(hostile.url + "/page?id=short-2", "Second"))
    declared = body.index("</item>") + len("</item>")
    url = hostile.add("/short.xml", body.encode(), RSS, {"Content-Length": str(declared)})
    outcome = run_with_healthy(tight, corpus_server, {"short": url})
    report = outcome.feed("short")
    assert (report.status, report.entries, report.stored) == ("ok", 1, 1)
    assert one_line(outcome.stored_feed("short")["last_error"]).startswith("malformed feed, kept 1 entries")


def test_connection_reset_mid_body(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    outcome = run_with_healthy(tight, corpus_server, {"reset": hostile.url + "/reset"})
    error = feed_error(outcome, "reset", "network")
    assert error.startswith("fetch: ") and error.endswith(f" at {hostile.url}/reset")
    assert outcome.entries("reset") == {}


# --- redirects ------------------------------------------------------------------------------------------


def test_redirect_loop(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    """/loop-a -> /loop-b -> /loop-a?utm_source=loop: the same page once tracking is removed."""
    outcome = run_with_healthy(tight, corpus_server, {"loop": hostile.url + "/loop-a"})
    assert feed_error(outcome, "loop", "redirects") == f"fetch: redirect loop at {hostile.url}/loop-a"
    assert hostile.hits["/loop-a"] == 1


def test_redirect_chain_over_the_cap(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    outcome = run_with_healthy(tight, corpus_server, {"chain": hostile.url + "/hop?n=10"})
    assert feed_error(outcome, "chain", "redirects") == f"fetch: more than 3 redirects from {hostile.url}/hop?n=10"
    assert hostile.hits["/hop"] == 4


def test_redirect_to_a_loopback_address_not_allowed(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    """Only 127.0.0.1 is allowlisted; a server listening on 127.0.0.2 must never see a connection."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.2", 0))
        listener.listen(1)
        listener.setblocking(False)
        target = f"http://127.0.0.2:{listener.getsockname()[1]}/feed.xml"
        outcome = run_with_healthy(tight, corpus_server, {"other-loopback": redirect_url(hostile, target)})
        with pytest.raises(BlockingIOError):
            listener.accept()
    error = feed_error(outcome, "other-loopback", "blocked-address")
    assert error.startswith("fetch: 127.0.0.2 resolves to a non-public address (127.0.0.2)")


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("169.254.169.254", "169.254.169.254"),  # link-local: the cloud metadata service
        ("10.0.0.1", "10.0.0.1"),  # RFC 1918
        ("192.168.1.1", "192.168.1.1"),
        ("100.64.0.1", "100.64.0.1"),  # CGNAT
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),  # IPv4-mapped loopback (127.0.0.1 itself is allowed)
        ("[::ffff:169.254.169.254]", "::ffff:169.254.169.254"),
        ("0.0.0.0", "0.0.0.0"),  # unspecified: on Linux, a connection to it reaches this machine
        ("224.0.0.1", "224.0.0.1"),  # multicast
        ("2852039166", "169.254.169.254"),  # the metadata address written as one decimal number
        ("[::1]", "::1"),
        ("[64:ff9b::a9fe:a9fe]", "64:ff9b::a9fe:a9fe"),  # NAT64 of 169.254.169.254
        ("[2002:a9fe:a9fe::1]", "2002:a9fe:a9fe::1"),  # 6to4 of 169.254.169.254
    ],
)
def test_redirect_to_a_non_public_address_is_refused_before_connecting(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer, host: str, address: str
) -> None:
    outcome = run_with_healthy(tight, corpus_server, {"ssrf": redirect_url(hostile, f"http://{host}:8080/latest/")})
    error = feed_error(outcome, "ssrf", "blocked-address")
    assert f"resolves to a non-public address ({address})" in error
    assert "allow it with WIREDESK_FETCH_ALLOW" in error


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://127.0.0.1/feed.xml"])
def test_redirect_to_another_scheme(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer, target: str
) -> None:
    outcome = run_with_healthy(tight, corpus_server, {"scheme": redirect_url(hostile, target)})
    assert feed_error(outcome, "scheme", "invalid-url") == f"url: not an absolute http(s) URL: {target!r}"


@pytest.mark.parametrize("obey_robots", [True, False], ids=["robots-obeyed", "robots-ignored"])
def test_article_link_to_the_metadata_address(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer, obey_robots: bool
) -> None:
    """Neither the page nor its site's robots.txt is fetched: obeyed or not, the page fails as refused (a
    refused site is not an unreadable robots.txt that would leave the page pending for ever)."""
    metadata = "http://169.254.169.254/latest/meta-data/iam/"
    good = hostile.url + "/page?id=next-to-metadata"
    url = hostile.add("/metadata.xml", rss(item(metadata, "Keys") + item(good, "Fine")).encode(), RSS)
    outcome = run_with_healthy(replace(tight, obey_robots=obey_robots), corpus_server, {"metadata": url})
    refused = "169.254.169.254 resolves to a non-public address (169.254.169.254)"
    assert refused in entry_error(outcome, "metadata", metadata, "blocked-address")
    assert set(outcome.articles("metadata")) == {good}


# --- what the body is: an HTML page, a feed in disguise ------------------------------------------------------


def test_html_page_where_a_feed_was_expected(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    page = b"""<!DOCTYPE html><html><head><title>Hostile Wire</title>
<link rel="alternate" type="application/rss+xml" href="/feeds/all.xml"></head><body><p>News</p></body></html>"""
    url = hostile.add("/index.html", page, "text/html; charset=utf-8")
    outcome = run_with_healthy(tight, corpus_server, {"homepage": url})
    assert feed_error(outcome, "homepage", "parse") == (
        f"feed: expected a feed, got an HTML page (not a feed; the page names its feed: {hostile.url}/feeds/all.xml)"
        f" at {url}"
    )


def test_feed_served_as_text_html_is_still_parsed(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    links = [f"{hostile.url}/page?id=html-{i}" for i in range(2)]
    url = hostile.add("/feed.html", rss("".join(item(link) for link in links)).encode(), "text/html")
    outcome = run_with_healthy(tight, corpus_server, {"as-html": url})
    assert (outcome.feed("as-html").status, outcome.feed("as-html").warning) == ("ok", None)
    assert set(outcome.articles("as-html")) == set(links)


def test_body_naming_a_local_file_is_not_read(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer, tmp_path: Path
) -> None:
    """feedparser, handed bytes, first tries them as a file name: a body that is a path would make it read that
    file from this machine (and store the entries of a feed kept there)."""
    local = tmp_path / "private-feed.xml"
    local.write_text(rss(item("http://127.0.0.1:9/private-story", "PRIVATE-MARKER-7f3a"), title="PRIVATE FEED"))
    url = hostile.add("/path.xml", str(local).encode(), RSS)
    outcome = run_with_healthy(tight, corpus_server, {"path": url})
    assert feed_error(outcome, "path", "parse").startswith("feed: not a feed (")
    assert "PRIVATE" not in outcome.all_text()


# --- XML attacks: entity expansion, external entities ---------------------------------------------------------


BILLION_LAUGHS = '<!DOCTYPE rss [<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
)


def test_billion_laughs_is_not_expanded(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    """Nine levels of ten: 10^9 "lol"s if expanded (expat alone stops at a 100-fold amplification, which a
    megabyte of padding pushes to hundreds of megabytes: the memory test runs that one)."""
    link = hostile.url + "/page?id=laughs"
    body = f'<?xml version="1.0"?>{BILLION_LAUGHS}]>' + rss(item(link, "&lol9;"), title="&lol9;", prolog="")
    outcome = run_with_healthy(tight, corpus_server, {"laughs": hostile.add("/laughs.xml", body.encode(), RSS)})
    assert set(outcome.articles("laughs")) == {link}
    assert outcome.entries("laughs")[link]["title"] == "&lol9;"
    warning = one_line(outcome.stored_feed("laughs")["last_error"])
    assert warning.startswith("10 entity declarations ignored (a feed's DTD is never expanded or fetched)")
    assert "lollol" not in outcome.all_text()


def test_quadratic_blowup_is_not_expanded(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    """One 100 KB entity referenced 5,000 times: no nesting, 500 MB if expanded."""
    link = hostile.url + "/page?id=quadratic"
    body = f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{"A" * 100_000}">]>' + rss(
        item(link, "&a;" * 5000), prolog=""
    )
    outcome = run_with_healthy(tight, corpus_server, {"quadratic": hostile.add("/q.xml", body.encode(), RSS)})
    assert set(outcome.articles("quadratic")) == {link}
    assert "AAAA" not in outcome.all_text()
    assert "1 entity declarations ignored" in outcome.stored_feed("quadratic")["last_error"]


def test_external_entities_and_dtds_are_never_read(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer, tmp_path: Path
) -> None:
    """XXE: an entity naming a local file, a parameter entity and an external DTD on the hostile server."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT-91c2")
    link = hostile.url + "/page?id=xxe"
    doctype = (
        f'<!DOCTYPE rss SYSTEM "{hostile.url}/evil.dtd" [<!ENTITY xxe SYSTEM "file://{secret}">'
        f'<!ENTITY % remote SYSTEM "{hostile.url}/evil.dtd"> %remote;]>'
    )
    body = f'<?xml version="1.0"?>{doctype}' + rss(item(link, "&xxe; &leak;"), title="&xxe;", prolog="")
    outcome = run_with_healthy(tight, corpus_server, {"xxe": hostile.add("/xxe.xml", body.encode(), RSS)})
    assert set(outcome.articles("xxe")) == {link}
    text = outcome.all_text()
    assert "SECRET-CONTENT" not in text and "fetched-the-external-dtd" not in text
    assert hostile.hits["/evil.dtd"] == 0
    assert "2 entity declarations ignored" in outcome.stored_feed("xxe")["last_error"]


def test_character_entities_declared_in_the_dtd_still_work(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    """What feeds legitimately declare (HTML's names as character references) is kept: no warning."""
    link = hostile.url + "/page?id=nbsp"
    doctype = '<!DOCTYPE rss [<!ENTITY nbsp "&#160;"><!ENTITY mdash "&#x2014;">]>'
    body = f'<?xml version="1.0"?>{doctype}' + rss(item(link, "Herat&mdash;falls&nbsp;today"), prolog="")
    outcome = run_with_healthy(tight, corpus_server, {"nbsp": hostile.add("/nbsp.xml", body.encode(), RSS)})
    assert outcome.entries("nbsp")[link]["title"] == "Herat\u2014falls today"
    assert outcome.feed("nbsp").warning is None


# --- damaged XML, encodings, control characters ---------------------------------------------------------


def test_malformed_xml_keeps_the_usable_entries(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    links = [f"{hostile.url}/page?id=broken-{i}" for i in range(3)]
    body = rss("".join(item(link, "Ben & Jerry's <b>wire") for link in links)).removesuffix("</channel></rss>")
    url = hostile.add("/broken.xml", body.encode(), RSS)
    outcome = run_with_healthy(tight, corpus_server, {"broken": url})
    assert (outcome.feed("broken").status, outcome.feed("broken").stored) == ("ok", 3)
    assert set(outcome.articles("broken")) == set(links)
    warning = one_line(outcome.stored_feed("broken")["last_error"])
    assert warning.startswith("malformed feed, kept 3 entries (")
    assert outcome.stored_feed("broken")["last_error_class"] is None  # a warning: the poll succeeded


TITLE = "“Café” — Kabul’s naïve résumé"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(
            rss(item("LINK", TITLE), prolog='<?xml version="1.0" encoding="ISO-8859-1"?>').encode("utf-8"),
            RSS,
            id="utf8-under-a-latin1-prolog",
        ),
        pytest.param(
            rss(item("LINK", TITLE), prolog="").encode("cp1252"), f"{RSS}; charset=utf-8", id="cp1252-as-utf8"
        ),
        pytest.param(rss(item("LINK", TITLE), prolog="").encode("cp1252"), "text/xml", id="cp1252-undeclared"),
        pytest.param(rss(item("LINK", TITLE), prolog="").encode("utf-8"), None, id="utf8-undeclared-no-type"),
        pytest.param(
            rss(item("LINK", TITLE), prolog='<?xml version="1.0" encoding="utf-16"?>').encode("utf-16"),
            f"{RSS}; charset=utf-8",
            id="utf16-served-as-utf8",
        ),
        pytest.param(
            rss(item("LINK", TITLE), prolog="").encode("utf-16-be"), None, id="utf16-without-bom-or-declaration"
        ),
        pytest.param(
            rss(item("LINK", TITLE), prolog='<?xml version="1.0" encoding="x-no-such-codec"?>').encode(),
            RSS,
            id="unknown-encoding-declared",
        ),
    ],
)
def test_wrong_and_missing_encodings(
    tight: Settings,
    corpus_server: CorpusServer,
    hostile: HostileServer,
    body: bytes,
    content_type: str | None,
) -> None:
    link = hostile.url + "/page?id=encoding"
    codec = "utf-16-be" if body[:2] == b"\0<" else "utf-16" if body[:2] in (b"\xff\xfe", b"\xfe\xff") else None
    body = body.decode(codec).replace("LINK", link).encode(codec) if codec else body.replace(b"LINK", link.encode())
    url = hostile.add("/encoding.xml", body, content_type or "")
    if content_type is None:
        del hostile.resources["/encoding.xml"][2]["Content-Type"]
    outcome = run_with_healthy(tight, corpus_server, {"encoding": url})
    assert outcome.entries("encoding")[link]["title"] == TITLE
    assert set(outcome.articles("encoding")) == {link}


def test_control_characters(tight_on_backend: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    """NUL, BEL, VT, ESC, DEL in titles, GUIDs and authors: XML forbids most of them, PostgreSQL refuses NUL."""
    link = hostile.url + "/page?id=control"
    raw = (
        f"<item><title>Herat\x00 falls\x07 to\x0b the\x1b Taliban\x7f</title><link>{link}</link>"
        "<guid isPermaLink='false'>g\x00uid-1</guid><author>desk\x01@example.org</author></item>"
    )
    url = hostile.add("/control.xml", rss(raw).encode(), RSS)
    outcome = run_with_healthy(tight_on_backend, corpus_server, {"control": url})
    entry = outcome.entries("control")[link]
    assert (entry["title"], entry["guid"], entry["author"]) == (
        "Herat falls to the Taliban",
        "guid-1",
        "desk@example.org",
    )
    assert set(outcome.articles("control")) == {link}
    assert one_line(outcome.stored_feed("control")["last_error"]) == "6 control characters removed"


def test_json_feed_escapes_of_control_characters_and_surrogates(
    tight_on_backend: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    """JSON may spell a NUL, a lone surrogate or a noncharacter as an escape: no store takes them."""
    link = hostile.url + "/page?id=json-escapes"
    body = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "Esc\\u0000apes", "items": ['
        f'{{"id": "x\\u0000y", "url": "{link}", "title": "Half \\ud800 a pair\\uffff, a NUL\\u0000",'
        ' "authors": [{"name": "Desk\\u0007"}]}]}'
    )
    url = hostile.add("/escapes.json", body.encode(), "application/feed+json")
    outcome = run_with_healthy(tight_on_backend, corpus_server, {"escapes": url})
    entry = outcome.entries("escapes")[link]
    assert (entry["title"], entry["guid"], entry["author"]) == ("Half a pair, a NUL", "xy", "Desk")
    assert set(outcome.articles("escapes")) == {link}


def test_overlong_article_link_is_skipped(
    tight_on_backend: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    """A 100,000-character link: skipped (it could not be a PostgreSQL index key in any case)."""
    long_link = f"{hostile.url}/page?pad={'x' * 100_000}"
    good = hostile.url + "/page?id=short-link"
    url = hostile.add("/long.xml", rss(item(long_link) + item(good)).encode(), RSS)
    outcome = run_with_healthy(tight_on_backend, corpus_server, {"long": url})
    assert set(outcome.entries("long")) == {good}
    assert outcome.feed("long").warning == "1 entries without a usable link skipped"


# --- dates -----------------------------------------------------------------------------------------------


def test_invalid_dates_leave_entries_undated(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    dates = [
        "yesterday",
        "Thu, 45 Aug 2021 99:99:99 GMT",
        "Mon, 12 Aug 99999 14:20:00 GMT",
        "0000-00-00T00:00:00Z",
        "Thu, 12 Aug 0001 00:00:00 +2400",
        "",
    ]
    links = [f"{hostile.url}/page?id=date-{i}" for i in range(len(dates))]
    body = rss("".join(item(link, date=date) for link, date in zip(links, dates, strict=True)))
    outcome = run_with_healthy(tight, corpus_server, {"dates": hostile.add("/dates.xml", body.encode(), RSS)})
    entries = outcome.entries("dates")
    assert set(entries) == set(links)
    assert all(not_after(e["published_at"], T0) for e in entries.values())
    assert set(outcome.articles("dates")) == set(links)


def test_future_dates_are_dropped(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    """A date after the poll's time is not stored (neither on the entry nor, through it, on the article): the
    entry keeps no date, and the article takes its time from the page, or none."""
    future = [T0 + timedelta(hours=3), T0 + timedelta(days=400), datetime(2999, 1, 1, tzinfo=UTC)]
    past = T0 - timedelta(hours=1)
    links = [f"{hostile.url}/page?id=future-{i}" for i in range(4)]
    stamps = [*future, past]
    body = rss(
        "".join(
            item(link, date=stamp.strftime("%a, %d %b %Y %H:%M:%S +0000"))
            for link, stamp in zip(links, stamps, strict=True)
        )
    )
    outcome = run_with_healthy(tight, corpus_server, {"future": hostile.add("/future.xml", body.encode(), RSS)})
    entries, articles = outcome.entries("future"), outcome.articles("future")
    assert [aware(entries[link]["published_at"]) for link in links] == [None, None, None, past]
    assert all(not_after(a["published_at"], T0) for a in articles.values())
    assert set(articles) == set(links)
    assert one_line(outcome.stored_feed("future")["last_error"]) == (
        "3 entries dated after the poll time kept without a date"
    )


# --- identity: GUIDs ------------------------------------------------------------------------------------


def test_duplicate_guids_in_one_feed(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    """The GUID is a hint, the URL the identity: three stories under one GUID are three entries; one story
    listed twice is one."""
    links = [f"{hostile.url}/page?id=dup-{i}" for i in range(3)]
    items = [item(link, guid="same-guid") for link in links] + [item(links[0], "Again", guid="other")]
    url = hostile.add("/dup.xml", rss("".join(items)).encode(), RSS)
    outcome = run_with_healthy(tight, corpus_server, {"dup": url})
    assert outcome.feed("dup").entries == 3
    assert set(outcome.entries("dup")) == set(outcome.articles("dup")) == set(links)


def test_guids_changing_on_every_poll_store_nothing_twice(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    first = run_with_healthy(tight, corpus_server, {"shifty": hostile.url + "/changing-guids"})
    assert first.feed("shifty").stored == 3
    later = T0 + timedelta(minutes=15)
    second = Outcome(run_cycle(tight, later), tight)
    report = second.feed("shifty")
    assert (report.status, report.entries, report.new_entries, report.stored) == ("ok", 3, 0, 0)
    assert hostile.hits["/changing-guids"] == 2
    assert len(second.articles("shifty")) == 3
    assert_healthy_after(second, corpus_server)


# --- empty, huge, deep ----------------------------------------------------------------------------------


def test_empty_feed(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    outcome = run_with_healthy(tight, corpus_server, {"empty": hostile.add("/empty.xml", rss("").encode(), RSS)})
    report = outcome.feed("empty")
    assert (report.status, report.entries, report.warning) == ("ok", 0, None)


@pytest.mark.parametrize("body", [b"", b"   \n\t  ", b"\0\0\0\0"], ids=["zero-bytes", "blank", "nuls"])
def test_empty_body(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer, body: bytes) -> None:
    outcome = run_with_healthy(tight, corpus_server, {"blank": hostile.add("/blank.xml", body, RSS)})
    assert feed_error(outcome, "blank", "parse").startswith("feed: not a feed (")


def test_ten_thousand_entries(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    """Every entry is recorded (a batch insert), but only ``max_articles_per_poll`` pages are fetched."""
    settings = replace(tight, max_articles_per_poll=20, fetch=replace(tight.fetch, max_feed_bytes=8 * MIB))
    started = time.monotonic()
    outcome = run_with_healthy(settings, corpus_server, {"big": hostile.url + "/big-feed?n=10000"})
    elapsed = time.monotonic() - started
    report = outcome.feed("big")
    assert (report.status, report.entries, report.new_entries, report.stored) == ("ok", 10_000, 10_000, 20)
    assert hostile.hits["/page"] == 20
    assert len(outcome.entries("big")) == 10_000
    print(f"a cycle with a 10,000-entry feed: {elapsed:.1f} s")


def test_deeply_nested_json_feed(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    """100,000 nested arrays: Python's JSON parser recurses, and would raise RecursionError out of the run."""
    body = '{"version": "https://jsonfeed.org/version/1.1", "items": [], "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    url = hostile.add("/deep.json", body.encode(), "application/feed+json")
    outcome = run_with_healthy(tight, corpus_server, {"deep": url})
    assert feed_error(outcome, "deep", "parse") == f"feed: JSON nested too deeply at {url}"


def test_deeply_nested_markup_in_a_feed(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    link = hostile.url + "/page?id=deep-markup"
    summary = "&lt;div&gt;" * 40_000 + "deep" + "&lt;/div&gt;" * 40_000
    body = rss(f"<item><title>Deep</title><link>{link}</link><description>{summary}</description></item>")
    outcome = run_with_healthy(tight, corpus_server, {"deep": hostile.add("/deep.xml", body.encode(), RSS)})
    assert set(outcome.articles("deep")) == {link}


def test_json_feed_with_wrong_types(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    """Links that are lists or numbers are no links (not relative paths); odd authors and titles are ignored."""
    good = hostile.url + "/page?id=json-good"
    items: list[Any] = [
        {"id": 1, "url": ["http://127.0.0.1/list"], "title": 7},
        {"id": 2, "url": 12345, "authors": 5},
        {"id": 3, "url": good, "title": {"x": 1}, "authors": "Desk", "date_published": 2021},
        "not an item",
        None,
    ]
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": ["T"], "items": items}
    url = hostile.add("/types.json", json.dumps(doc).encode(), "application/feed+json")
    outcome = run_with_healthy(tight, corpus_server, {"types": url})
    assert set(outcome.entries("types")) == {good}
    assert outcome.feed("types").warning == "4 items without a usable link skipped"


def test_unsafe_link_schemes_are_skipped(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    good = hostile.url + "/page?id=safe"
    unsafe = [
        "javascript:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "file:///etc/passwd",
        "ftp://127.0.0.1/story",
        "mailto:desk@example.org",
        "JaVaScRiPt:alert(1)",
    ]
    body = rss("".join(item(link.replace("&", "&amp;")) for link in [*unsafe, good]))
    outcome = run_with_healthy(tight, corpus_server, {"schemes": hostile.add("/schemes.xml", body.encode(), RSS)})
    assert set(outcome.entries("schemes")) == set(outcome.articles("schemes")) == {good}
    assert outcome.feed("schemes").warning == "6 entries without a usable link skipped"


# --- hostile article pages behind a healthy-looking feed ----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "error_class", "message"),
    [
        ("/bomb?encoding=gzip&mib=64&type=text/html", "too-large", "fetch: body over 1 MiB at "),
        ("/bomb?encoding=deflate&mib=64&type=text/html", "too-large", "fetch: body over 1 MiB at "),
        ("/huge-page?mib=8", "too-large", "fetch: body over 1 MiB at "),
        ("/drip?type=text/html", "timeout", "fetch: deadline of 1.5 s passed at "),
        ("/stall", "timeout", "fetch: timed out (ReadTimeout) at "),
        ("/labelled?encoding=br", "encoding", "fetch: undecodable body (Content-Encoding br is not supported) at "),
        ("/reset", "network", "fetch: "),
    ],
    ids=["gzip-bomb", "deflate-bomb", "huge", "slow", "silent", "brotli", "reset"],
)
def test_hostile_article_page(
    tight: Settings,
    corpus_server: CorpusServer,
    hostile: HostileServer,
    path: str,
    error_class: str,
    message: str,
) -> None:
    """The feed is fine; one of its pages is not. The page's error is recorded against its entry, the other
    page of the feed is stored."""
    bad, good = canonical_url(hostile.url + path), hostile.url + "/page?id=beside-the-bad-one"
    body = rss(item(bad.replace("&", "&amp;"), "Bad page") + item(good, "Good page"))
    outcome = run_with_healthy(tight, corpus_server, {"pages": hostile.add("/pages.xml", body.encode(), RSS)})
    assert (outcome.feed("pages").stored, outcome.feed("pages").failed) == (1, 1)
    assert entry_error(outcome, "pages", bad, error_class).startswith(message)
    assert set(outcome.articles("pages")) == {good}


def test_a_large_page_under_the_cap_is_read_once(
    tight: Settings, corpus_server: CorpusServer, hostile: HostileServer
) -> None:
    """Under the cap, a big page (about 0.9 MiB of paragraphs) is just a page: fetched once and stored."""
    html = article_html("Big", paragraphs=4000)
    assert 768 * KIB < len(html) < MIB
    page = hostile.add("/big.html", html, "text/html")
    outcome = run_with_healthy(tight, corpus_server, {"big": hostile.add("/big.xml", rss(item(page)).encode(), RSS)})
    assert hostile.hits["/big.html"] == 1
    assert set(outcome.articles("big")) == {page}


def test_gzip_article_page_is_decoded(tight: Settings, corpus_server: CorpusServer, hostile: HostileServer) -> None:
    """The other side of the bomb cases: an honest gzip page is stored."""
    page = hostile.add("/gz.html", gzip.compress(article_html("Compressed")), "text/html", {"Content-Encoding": "gzip"})
    body = rss(item(page))
    outcome = run_with_healthy(tight, corpus_server, {"gz": hostile.add("/gz.xml", body.encode(), RSS)})
    assert set(outcome.articles("gz")) == {page}
