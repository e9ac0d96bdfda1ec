"""The fetcher against real loopback servers: the corpus server for ordinary exchanges, and a small server of
our own for what the corpus cannot produce (redirects, compressed and unsized bodies, slow and dripping
responses)."""

from __future__ import annotations

import gzip
import json
import re
import socket
import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ingest.config import USER_AGENT, FetchLimits
from ingest.errors import (
    BadStatus,
    BlockedAddress,
    FetchError,
    FetchTimeout,
    ResponseTooLarge,
    TooManyRedirects,
    UndecodableBody,
)
from ingest.fetch import ACCEPT_ENCODING, PIECE, Fetcher, decoded
from wiredesk.corpus import CorpusServer

LOOPBACK = ("127.0.0.1",)
KIB = 1024
BOMB_SIZE = 1024 * KIB  # decompressed size of the compressed bodies
HANDLER_WAIT_S = 5.0  # how long a stalling handler would stall; teardown releases it early


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        route = ROUTES.get(parts.path)
        try:
            if route is None:
                self.send_error(404)
            else:
                route(self, {k: v[0] for k, v in parse_qs(parts.query).items()})
        except OSError:  # the client gave up (timeouts, size cap): nothing left to do
            pass

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = headers or {}
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, status: int, location: str) -> None:
        self.reply(status, headers={"Location": location})


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def _hop(h: _Handler, q: dict[str, str]) -> None:
    """``/hop?n=3`` redirects to ``/hop?n=2`` ... ``/hop?n=0`` answers 200 (status from ``code``, default 302)."""
    n = int(q.get("n", "0"))
    if n <= 0:
        h.reply(200, b"arrived", {"Content-Type": "text/plain"})
        return
    code = q.get("code", "302")
    h.redirect(int(code), f"/hop?n={n - 1}&code={code}")


def _tracked(h: _Handler, q: dict[str, str]) -> None:
    h.redirect(302, "/hop?n=0&utm_source=newsletter&utm_medium=email")


def _to_missing(h: _Handler, q: dict[str, str]) -> None:
    h.redirect(302, "/missing")


def _loop_a(h: _Handler, q: dict[str, str]) -> None:
    h.redirect(301, "/loop-b")


def _loop_b(h: _Handler, q: dict[str, str]) -> None:
    h.redirect(302, f"http://127.0.0.1:{h.server.port}/loop-a")


def _self(h: _Handler, q: dict[str, str]) -> None:
    h.redirect(307, "/self")


def _no_location(h: _Handler, q: dict[str, str]) -> None:
    h.reply(302)


def _to_ip(h: _Handler, q: dict[str, str]) -> None:
    h.redirect(302, f"http://127.0.0.1:{h.server.port}/echo")


def _echo(h: _Handler, q: dict[str, str]) -> None:
    h.reply(200, json.dumps(dict(h.headers.items())).encode(), {"Content-Type": "application/json"})


ENCODERS: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.compress, "deflate": zlib.compress}


def _compressed(h: _Handler, q: dict[str, str]) -> None:
    """A compressed body of ``size`` zero bytes (a small download, a large body)."""
    encoding = q.get("encoding", "gzip")
    body = ENCODERS[encoding](b"\0" * int(q.get("size", str(BOMB_SIZE))))
    h.reply(200, body, {"Content-Type": "text/plain", "Content-Encoding": encoding, "Content-Length": str(len(body))})


def _small_gzip(h: _Handler, q: dict[str, str]) -> None:
    body = gzip.compress(b"hello wire " * 100)
    h.reply(200, body, {"Content-Type": "text/plain", "Content-Encoding": "gzip"})


def _bad_gzip(h: _Handler, q: dict[str, str]) -> None:
    h.reply(200, b"this is not gzip data at all", {"Content-Type": "text/plain", "Content-Encoding": "gzip"})


def _unsized(h: _Handler, q: dict[str, str]) -> None:
    """A body without Content-Length, delimited by the connection closing (HTTP/1.0)."""
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.end_headers()
    for _ in range(int(q.get("kib", "256"))):
        h.wfile.write(b"x" * KIB)


def _stall(h: _Handler, q: dict[str, str]) -> None:
    """Accept the request, then say nothing until released."""
    h.server.release.wait(HANDLER_WAIT_S)
    h.reply(200, b"too late")


def _drip(h: _Handler, q: dict[str, str]) -> None:
    """Headers at once, then the body one byte every 50 ms: each read is quick, the whole is slow."""
    size = 200
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.send_header("Content-Length", str(size))
    h.end_headers()
    for _ in range(size):
        h.wfile.write(b"x")
        if h.server.release.wait(0.05):
            return


def _drip_headers(h: _Handler, q: dict[str, str]) -> None:
    """The status line at once, then the header block one byte every 50 ms (about 1.3 s in all), no body."""
    h.wfile.write(b"HTTP/1.0 200 OK\r\n")
    for byte in b"X-Padding: " + b"a" * 15 + b"\r\n":
        h.wfile.write(bytes([byte]))
        if h.server.release.wait(0.05):
            return
    h.wfile.write(b"Content-Type: text/plain\r\nContent-Length: 0\r\n\r\n")


ROUTES: dict[str, Callable[[_Handler, dict[str, str]], None]] = {
    "/hop": _hop,
    "/tracked": _tracked,
    "/to-missing": _to_missing,
    "/loop-a": _loop_a,
    "/loop-b": _loop_b,
    "/self": _self,
    "/no-location": _no_location,
    "/to-ip": _to_ip,
    "/echo": _echo,
    "/compressed": _compressed,
    "/small-gzip": _small_gzip,
    "/bad-gzip": _bad_gzip,
    "/unsized": _unsized,
    "/stall": _stall,
    "/drip": _drip,
    "/drip-headers": _drip_headers,
}


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    httpd = LoopbackServer()
    thread = threading.Thread(target=httpd.serve_forever, name="fetch-test-server", daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchLimits(allow=LOOPBACK)) as f:
        yield f


def _first_page(corpus_server: CorpusServer) -> str:
    return corpus_server.page_url(corpus_server.corpus.pages[0].path)


# --- ordinary exchanges and conditional GET (corpus server) ---


def test_get_returns_body_and_validators(corpus_server: CorpusServer, fetcher: Fetcher) -> None:
    url = _first_page(corpus_server)
    response = fetcher.get(url, max_bytes=1024 * KIB)
    assert response.status == 200
    assert response.url == url
    assert not response.not_modified
    assert b"<html" in response.body
    assert response.content_type == "text/html; charset=utf-8"
    assert response.etag and response.etag.startswith('"')
    assert response.last_modified and response.last_modified.endswith("GMT")


def test_conditional_get_with_etag(fresh_server: CorpusServer, fetcher: Fetcher) -> None:
    path = fresh_server.corpus.outlets[0].feed_path
    first = fetcher.get(fresh_server.url + path, max_bytes=1024 * KIB)
    assert first.status == 200 and first.body

    again = fetcher.get(fresh_server.url + path, max_bytes=1024 * KIB, etag=first.etag)

    assert again.not_modified
    assert again.status == 304
    assert again.body == b""
    assert fresh_server.hits[path] == 1
    assert fresh_server.not_modified[path] == 1


def test_conditional_get_with_last_modified_only(fresh_server: CorpusServer, fetcher: Fetcher) -> None:
    path = fresh_server.corpus.pages[0].path
    first = fetcher.get(fresh_server.url + path, max_bytes=1024 * KIB)
    assert first.last_modified is not None

    again = fetcher.get(fresh_server.url + path, max_bytes=1024 * KIB, last_modified=first.last_modified)

    assert again.not_modified
    assert again.body == b""
    assert fresh_server.not_modified[path] == 1


def test_stale_etag_gets_the_full_body(corpus_server: CorpusServer, fetcher: Fetcher) -> None:
    response = fetcher.get(_first_page(corpus_server), max_bytes=1024 * KIB, etag='"not-the-current-etag"')
    assert response.status == 200
    assert not response.not_modified
    assert response.body


# --- status codes ---


def test_404_is_bad_status(corpus_server: CorpusServer, fetcher: Fetcher) -> None:
    with pytest.raises(BadStatus) as caught:
        fetcher.get(corpus_server.url + "/no/such/page", max_bytes=KIB)
    assert caught.value.status == 404
    assert "404" in str(caught.value)


@pytest.mark.parametrize("status", [500, 503])
def test_error_status_is_bad_status(fresh_server: CorpusServer, fetcher: Fetcher, status: int) -> None:
    path = fresh_server.corpus.pages[0].path
    fresh_server.fail(path, status)
    with pytest.raises(BadStatus) as caught:
        fetcher.get(fresh_server.url + path, max_bytes=1024 * KIB)
    assert caught.value.status == status


# --- size cap ---


def test_declared_length_over_cap(corpus_server: CorpusServer, fetcher: Fetcher) -> None:
    with pytest.raises(ResponseTooLarge, match="over 100 bytes"):
        fetcher.get(_first_page(corpus_server), max_bytes=100)


def test_body_within_cap_is_read_whole(corpus_server: CorpusServer, fetcher: Fetcher) -> None:
    url = _first_page(corpus_server)
    size = len(fetcher.get(url, max_bytes=1024 * KIB).body)
    assert len(fetcher.get(url, max_bytes=size).body) == size


def test_unsized_body_over_cap(server: LoopbackServer, fetcher: Fetcher) -> None:
    """No Content-Length to refuse early: the cap applies while streaming."""
    with pytest.raises(ResponseTooLarge):
        fetcher.get(server.url + "/unsized?kib=256", max_bytes=64 * KIB)


def test_unsized_body_under_cap(server: LoopbackServer, fetcher: Fetcher) -> None:
    response = fetcher.get(server.url + "/unsized?kib=4", max_bytes=64 * KIB)
    assert response.body == b"x" * 4 * KIB


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_compressed_body_capped_on_decompressed_size(server: LoopbackServer, fetcher: Fetcher, encoding: str) -> None:
    """A small download that inflates past the cap (a compression bomb) is refused."""
    cap = 64 * KIB
    assert len(ENCODERS[encoding](b"\0" * BOMB_SIZE)) < cap
    with pytest.raises(ResponseTooLarge):
        fetcher.get(f"{server.url}/compressed?encoding={encoding}", max_bytes=cap)


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_compressed_body_under_cap_is_decoded(server: LoopbackServer, fetcher: Fetcher, encoding: str) -> None:
    response = fetcher.get(f"{server.url}/compressed?encoding={encoding}&size=5000", max_bytes=64 * KIB)
    assert response.body == b"\0" * 5000


def test_gzip_body_is_decoded(server: LoopbackServer, fetcher: Fetcher) -> None:
    response = fetcher.get(server.url + "/small-gzip", max_bytes=64 * KIB)
    assert response.body == b"hello wire " * 100


def test_undecodable_body_is_fetch_error(server: LoopbackServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="undecodable"):
        fetcher.get(server.url + "/bad-gzip", max_bytes=64 * KIB)


# --- redirects ---


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_follows_one_redirect(server: LoopbackServer, fetcher: Fetcher, code: int) -> None:
    response = fetcher.get(f"{server.url}/hop?n=1&code={code}", max_bytes=KIB)
    assert response.status == 200
    assert response.body == b"arrived"
    assert response.url == f"{server.url}/hop?n=0&code={code}"


def test_follows_a_chain_up_to_the_cap(server: LoopbackServer) -> None:
    with Fetcher(FetchLimits(allow=LOOPBACK, max_redirects=3)) as fetcher:
        response = fetcher.get(server.url + "/hop?n=3", max_bytes=KIB)
    assert response.body == b"arrived"


def test_too_many_redirects(server: LoopbackServer) -> None:
    with Fetcher(FetchLimits(allow=LOOPBACK, max_redirects=3)) as fetcher, pytest.raises(TooManyRedirects):
        fetcher.get(server.url + "/hop?n=4", max_bytes=KIB)


def test_default_redirect_cap(server: LoopbackServer, fetcher: Fetcher) -> None:
    assert fetcher.get(server.url + "/hop?n=5", max_bytes=KIB).body == b"arrived"
    with pytest.raises(TooManyRedirects, match="more than 5 redirects"):
        fetcher.get(server.url + "/hop?n=6", max_bytes=KIB)


@pytest.mark.parametrize("path", ["/loop-a", "/self"])
def test_redirect_loop(server: LoopbackServer, fetcher: Fetcher, path: str) -> None:
    with pytest.raises(TooManyRedirects, match="loop"):
        fetcher.get(server.url + path, max_bytes=KIB)


def test_redirect_without_location(server: LoopbackServer, fetcher: Fetcher) -> None:
    with pytest.raises(BadStatus) as caught:
        fetcher.get(server.url + "/no-location", max_bytes=KIB)
    assert caught.value.status == 302


def test_redirect_to_a_missing_page(server: LoopbackServer, fetcher: Fetcher) -> None:
    with pytest.raises(BadStatus) as caught:
        fetcher.get(server.url + "/to-missing", max_bytes=KIB)
    assert caught.value.status == 404


def test_redirect_target_is_canonicalised(server: LoopbackServer, fetcher: Fetcher) -> None:
    response = fetcher.get(server.url + "/tracked", max_bytes=KIB)
    assert response.body == b"arrived"
    assert response.url == server.url + "/hop?n=0"


def test_every_redirect_hop_is_guarded(server: LoopbackServer) -> None:
    """``localhost`` is allowed by name; its redirect to the bare loopback address is not."""
    with Fetcher(FetchLimits(allow=("localhost",))) as fetcher:
        assert fetcher.get(f"http://localhost:{server.port}/echo", max_bytes=64 * KIB).status == 200
        with pytest.raises(BlockedAddress, match=re.escape("127.0.0.1")):
            fetcher.get(f"http://localhost:{server.port}/to-ip", max_bytes=64 * KIB)


# --- timeouts ---


def test_read_timeout(server: LoopbackServer) -> None:
    limits = FetchLimits(allow=LOOPBACK, connect_timeout_s=1.0, read_timeout_s=0.3, deadline_s=5.0)
    with Fetcher(limits) as fetcher, pytest.raises(FetchTimeout, match="timed out"):
        fetcher.get(server.url + "/stall", max_bytes=KIB)


def test_overall_deadline_on_a_dripping_body(server: LoopbackServer) -> None:
    """Every byte comes well within the read timeout, but the whole body would take 10 s."""
    limits = FetchLimits(allow=LOOPBACK, read_timeout_s=1.0, deadline_s=0.4)
    with Fetcher(limits) as fetcher, pytest.raises(FetchTimeout, match="deadline"):
        fetcher.get(server.url + "/drip", max_bytes=KIB)


def test_overall_deadline_on_dripping_headers(server: LoopbackServer) -> None:
    limits = FetchLimits(allow=LOOPBACK, read_timeout_s=1.0, deadline_s=0.3)
    with Fetcher(limits) as fetcher, pytest.raises(FetchTimeout):
        fetcher.get(server.url + "/drip-headers", max_bytes=KIB)


def test_connection_refused_is_fetch_error(fetcher: Fetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        fetcher.get(f"http://127.0.0.1:{port}/", max_bytes=KIB)
    assert not isinstance(caught.value, FetchTimeout | BlockedAddress)


# --- request headers ---


def test_sends_default_user_agent_and_accept(server: LoopbackServer, fetcher: Fetcher) -> None:
    response = fetcher.get(server.url + "/echo", max_bytes=64 * KIB, accept="application/rss+xml")
    sent = {k.lower(): v for k, v in json.loads(response.body).items()}
    assert sent["user-agent"] == USER_AGENT
    assert sent["accept"] == "application/rss+xml"
    assert "gzip" in sent["accept-encoding"]
    assert "if-none-match" not in sent
    assert "if-modified-since" not in sent


def test_sends_configured_user_agent_and_validators(server: LoopbackServer) -> None:
    with Fetcher(FetchLimits(allow=LOOPBACK, user_agent="wiredesk-test/9")) as fetcher:
        response = fetcher.get(
            server.url + "/echo",
            max_bytes=64 * KIB,
            etag='"abc"',
            last_modified="Thu, 12 Aug 2021 14:20:00 GMT",
        )
    sent = {k.lower(): v for k, v in json.loads(response.body).items()}
    assert sent["user-agent"] == "wiredesk-test/9"
    assert sent["if-none-match"] == '"abc"'
    assert sent["if-modified-since"] == "Thu, 12 Aug 2021 14:20:00 GMT"


# --- decoding: only what was asked for, a bounded piece at a time ---


def _labelled(h: _Handler, q: dict[str, str]) -> None:
    """A body declared in ``encoding`` (default br), which wiredesk never asks for."""
    h.reply(200, b"\x1b\xff\xff\x7f" + b"\0" * 64, {"Content-Encoding": q.get("encoding", "br")})


def _truncated_gzip(h: _Handler, q: dict[str, str]) -> None:
    """A gzip stream cut short (its Content-Length honest about the cut)."""
    h.reply(200, gzip.compress(b"hello wire " * 1000)[:-40], {"Content-Encoding": "gzip"})


def _gzip_chain(h: _Handler, q: dict[str, str]) -> None:
    n = int(q.get("n", "2"))
    body = b"layered"
    for _ in range(n):
        body = gzip.compress(body)
    h.reply(200, body, {"Content-Encoding": ", ".join(["gzip"] * n)})


def _raw_deflate(h: _Handler, q: dict[str, str]) -> None:
    """``deflate`` as some servers send it: a raw deflate stream, without the zlib wrapper."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    h.reply(200, compressor.compress(b"raw deflate " * 50) + compressor.flush(), {"Content-Encoding": "deflate"})


def _gzip_members(h: _Handler, q: dict[str, str]) -> None:
    """Two gzip members back to back, then bytes that start no third one."""
    h.reply(200, gzip.compress(b"first ") + gzip.compress(b"second") + b"trailing", {"Content-Encoding": "gzip"})


ROUTES.update(
    {
        "/labelled": _labelled,
        "/truncated-gzip": _truncated_gzip,
        "/gzip-chain": _gzip_chain,
        "/raw-deflate": _raw_deflate,
        "/gzip-members": _gzip_members,
    }
)


def test_accept_encoding_is_exactly_what_is_decoded(server: LoopbackServer, fetcher: Fetcher) -> None:
    sent = {k.lower(): v for k, v in json.loads(fetcher.get(server.url + "/echo", max_bytes=64 * KIB).body).items()}
    assert sent["accept-encoding"] == ACCEPT_ENCODING == "gzip, deflate"


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br"])
def test_encoding_not_asked_for_is_refused(server: LoopbackServer, fetcher: Fetcher, encoding: str) -> None:
    """No brotli or zstd decoder is installed: such a body is refused, never handed on as garbage."""
    url = f"{server.url}/labelled?encoding={encoding.replace(' ', '%20')}"
    with pytest.raises(UndecodableBody, match=f"Content-Encoding {re.escape(encoding)} is not supported"):
        fetcher.get(url, max_bytes=64 * KIB)


def test_two_gzip_layers_are_decoded_three_refused(server: LoopbackServer, fetcher: Fetcher) -> None:
    assert fetcher.get(server.url + "/gzip-chain?n=2", max_bytes=KIB).body == b"layered"
    with pytest.raises(UndecodableBody):
        fetcher.get(server.url + "/gzip-chain?n=3", max_bytes=KIB)


def test_truncated_gzip_is_undecodable(server: LoopbackServer, fetcher: Fetcher) -> None:
    with pytest.raises(UndecodableBody, match="compressed data ends early"):
        fetcher.get(server.url + "/truncated-gzip", max_bytes=64 * KIB)


def test_raw_deflate_is_decoded(server: LoopbackServer, fetcher: Fetcher) -> None:
    assert fetcher.get(server.url + "/raw-deflate", max_bytes=64 * KIB).body == b"raw deflate " * 50


def test_every_gzip_member_is_decoded_trailing_bytes_ignored(server: LoopbackServer, fetcher: Fetcher) -> None:
    assert fetcher.get(server.url + "/gzip-members", max_bytes=64 * KIB).body == b"first second"


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_a_bomb_never_inflates_more_than_a_piece_at_once(encoding: str) -> None:
    """64 MiB of zeros compress to about 64 KiB: one network chunk, which httpx would inflate whole."""
    bomb = ENCODERS[encoding](b"\0" * (64 * 1024 * KIB))
    pieces = decoded([bomb], [encoding], "http://example.org/")
    tracemalloc.start()
    try:
        sizes = [len(next(pieces)) for _ in range(32)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert max(sizes) <= PIECE
    assert peak < 1024 * KIB  # about 360 KiB (pieces, the unconsumed input, zlib's window); whole: 64 MiB


def test_decoding_a_stream_fed_in_tiny_chunks() -> None:
    data = bytes(range(256)) * 4000
    body = gzip.compress(data)
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    assert b"".join(decoded(chunks, ["gzip"], "http://example.org/")) == data
