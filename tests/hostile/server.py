"""A hostile web server on 127.0.0.1: named endpoints that misbehave the way servers on the open web do.

Each endpoint's docstring says what it does; the tests say what wiredesk must make of it. Some misbehave at
the HTTP level (redirect loops, compression bombs, a Content-Length that lies), some below it, on the raw
socket (a status line and then silence, headers dripping a byte at a time, a connection reset mid-body).
Static resources can be added too (``add``), for feeds whose hostility is in their content.

Stalling endpoints wait on ``release`` (set when the server stops), so no handler thread outlives a test.
"""

from __future__ import annotations

import functools
import gzip
import itertools
import socket
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, quote, urlsplit

KIB = 1024
MIB = 1024 * KIB
STALL_S = 10.0  # the longest a stalling handler waits; the fetcher gives up long before

Route = Callable[["Handler", dict[str, str]], None]


class Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"  # a connection per request: what one endpoint does cannot leak into the next

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        owner = self.server.owner
        owner.record(parts.path, dict(self.headers.items()))
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            resource = owner.resources.get(parts.path)
            route = ROUTES.get(parts.path)
            if resource is not None:
                self.reply(*resource)
            elif route is not None:
                route(self, query)
            else:
                self.reply(404, b"not here", {"Content-Type": "text/plain"})
        except OSError:  # the client gave up (deadline, size cap): nothing left to do
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

    def raw(self, data: bytes) -> None:
        """Bytes straight onto the socket, no HTTP framing added."""
        self.connection.sendall(data)

    def stall(self, seconds: float) -> bool:
        """Wait ``seconds``; True when the server is stopping (the handler should end)."""
        return self.server.owner.release.wait(seconds)

    @property
    def base(self) -> str:
        return self.server.owner.url


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileServer


class HostileServer:
    """Serve the hostile endpoints (and any added resources) on a free port of ``host``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._httpd = _HTTPServer((host, 0), Handler)
        self._httpd.owner = self
        self.url = f"http://{host}:{self._httpd.server_address[1]}"
        self.release = threading.Event()
        self.resources: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.hits: Counter[str] = Counter()
        self.request_headers: dict[str, dict[str, str]] = {}  # path -> the last request's headers
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def add(self, path: str, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> str:
        """Serve ``body`` at ``path`` (200); returns its URL."""
        self.resources[path] = (200, body, {"Content-Type": content_type, **(headers or {})})
        return self.url + path

    def record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.hits[path] += 1
            self.request_headers[path] = headers

    def start(self) -> HostileServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="hostile-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


# --- feeds, as the endpoints below serve them -----------------------------------------------------------


def rss(items: str, title: str = "Hostile Wire", prolog: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return f'{prolog}<rss version="2.0"><channel><title>{title}</title><link>http://x/</link>{items}</channel></rss>'


def item(link: str, title: str = "A story", guid: str | None = None, date: str | None = None) -> str:
    parts = [f"<title>{title}</title>", f"<link>{link}</link>"]
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


PARAGRAPH = (
    "The provincial council met on Tuesday to discuss the new water rules, which farmers in the valley say "
    "will cut the supply to their fields by a third during the dry months of the coming summer season. "
)


def article_html(title: str, paragraphs: int = 6) -> bytes:
    """A plain article page with enough words to be stored."""
    body = "".join(f"<p>{PARAGRAPH} Paragraph {i} of {title}.</p>" for i in range(paragraphs))
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}"
        "</article></body></html>"
    ).encode()


# --- the endpoints ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def compressed_zeros(encoding: str, size: int) -> bytes:
    """``size`` zero bytes, compressed (a small download, a large body), made a MiB at a time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    zeros = bytes(MIB)
    parts = [compressor.compress(zeros[: min(MIB, size - done)]) for done in range(0, size, MIB)]
    return b"".join([*parts, compressor.flush()])


def _bomb(h: Handler, q: dict[str, str]) -> None:
    """``/bomb?encoding=gzip|deflate&mib=64``: a compression bomb, with an honest Content-Length."""
    encoding = q.get("encoding", "gzip")
    body = compressed_zeros(encoding, int(q.get("mib", "64")) * MIB)
    h.reply(200, body, {"Content-Type": q.get("type", "application/rss+xml"), "Content-Encoding": encoding})


def _labelled(h: Handler, q: dict[str, str]) -> None:
    """``/labelled?encoding=br``: a body declared in an encoding wiredesk never asked for (and, for ``br``,
    cannot decode: no brotli module is installed). What the bytes hold does not matter: they are never read
    as a feed. ``\\x1b\\xff\\xff...`` is the start of a brotli stream of a large window."""
    body = b"\x1b\xff\xff\x7f" + b"\x00" * 4096
    h.reply(200, body, {"Content-Type": "application/rss+xml", "Content-Encoding": q.get("encoding", "br")})


def _encoded_chain(h: Handler, q: dict[str, str]) -> None:
    """``/chain?n=5``: gzip applied ``n`` times, declared as ``gzip, gzip, ...`` (a decoder-stack attack)."""
    body = rss(item(h.base + "/page?id=chain"), title="Chained").encode()
    n = int(q.get("n", "5"))
    for _ in range(n):
        body = gzip.compress(body)
    h.reply(200, body, {"Content-Type": "application/rss+xml", "Content-Encoding": ", ".join(["gzip"] * n)})


def _corrupt_gzip(h: Handler, q: dict[str, str]) -> None:
    """``/corrupt-gzip``: declared gzip, the data cut in half and its middle flipped."""
    good = gzip.compress(rss(item(h.base + "/page?id=1")).encode() * 20)
    body = good[: len(good) // 2] + bytes(b ^ 0xFF for b in good[len(good) // 2 : len(good) // 2 + 64])
    h.reply(200, body, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})


def _unsized(h: Handler, q: dict[str, str]) -> None:
    """``/unsized?mib=4``: a body without Content-Length, ended by closing the connection."""
    h.send_response(200)
    h.send_header("Content-Type", q.get("type", "application/rss+xml"))
    h.end_headers()
    h.wfile.write(b"<rss><channel><title>Endless</title>")
    chunk = b"<!-- " + b"x" * (64 * KIB - 9) + b" -->"
    for _ in range(int(q.get("mib", "4")) * 16):
        h.wfile.write(chunk)


def _lying_length(h: Handler, q: dict[str, str]) -> None:
    """``/lying-length?declared=N``: says Content-Length N, sends a short feed (fewer bytes), then closes."""
    body = rss(item(h.base + "/page?id=lie")).encode()
    declared = int(q.get("declared", str(len(body) * 10)))
    h.raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
        + f"Content-Length: {declared}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    h.connection.shutdown(socket.SHUT_WR)


def _reset(h: Handler, q: dict[str, str]) -> None:
    """``/reset``: headers and half a feed, then a TCP reset (SO_LINGER 0) instead of the rest."""
    body = rss("".join(item(f"{h.base}/page?id={i}") for i in range(200))).encode()
    h.raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[: len(body) // 2]
    )
    h.stall(0.1)  # let the client read the first half
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()


def _drip(h: Handler, q: dict[str, str]) -> None:
    """``/drip``: headers at once, then a feed one byte every 50 ms: every read is quick, the whole takes
    minutes."""
    body = rss(item(h.base + "/page?id=drip")).encode()
    h.send_response(200)
    h.send_header("Content-Type", q.get("type", "application/rss+xml"))
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    for byte in body:
        h.wfile.write(bytes([byte]))
        if h.stall(0.05):
            return


def _drip_headers(h: Handler, q: dict[str, str]) -> None:
    """``/drip-headers``: the status line, then one header byte every 50 ms; the header block never ends."""
    h.raw(b"HTTP/1.1 200 OK\r\nX-Padding: ")
    while not h.stall(0.05):
        h.raw(b"a")


def _stall(h: Handler, q: dict[str, str]) -> None:
    """``/stall``: read the request, then say nothing at all."""
    h.stall(STALL_S)


def _redirect(h: Handler, q: dict[str, str]) -> None:
    """``/redirect?to=URL&code=302``: one redirect to anywhere."""
    h.reply(int(q.get("code", "302")), headers={"Location": q["to"]})


def _hop(h: Handler, q: dict[str, str]) -> None:
    """``/hop?n=N``: a chain of N redirects, then a small feed."""
    n = int(q.get("n", "0"))
    if n > 0:
        h.reply(302, headers={"Location": f"/hop?n={n - 1}"})
    else:
        h.reply(200, rss(item(h.base + "/page?id=hop")).encode(), {"Content-Type": "application/rss+xml"})


def _loop_a(h: Handler, q: dict[str, str]) -> None:
    """``/loop-a`` -> ``/loop-b`` -> ``/loop-a`` ..."""
    h.reply(301, headers={"Location": "/loop-b"})


def _loop_b(h: Handler, q: dict[str, str]) -> None:
    h.reply(302, headers={"Location": f"{h.base}/loop-a?utm_source=loop"})  # tracking removed: the same URL


def _page(h: Handler, q: dict[str, str]) -> None:
    """``/page?id=X``: an ordinary article page."""
    h.reply(200, article_html(f"Hostile wire story {q.get('id', '0')}"), {"Content-Type": "text/html"})


def _huge_page(h: Handler, q: dict[str, str]) -> None:
    """``/huge-page?mib=8``: an article page of ``mib`` MiB of paragraphs, without Content-Length."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()
    h.wfile.write(b"<html><head><title>Huge</title></head><body><article>")
    paragraph = f"<p>{PARAGRAPH}</p>".encode()
    block = paragraph * (64 * KIB // len(paragraph))
    for _ in range(int(q.get("mib", "8")) * MIB // len(block)):
        h.wfile.write(block)
    h.wfile.write(b"</article></body></html>")


def _big_feed(h: Handler, q: dict[str, str]) -> None:
    """``/big-feed?n=10000``: an RSS feed of ``n`` items, each linking to its own page here."""
    n = int(q.get("n", "10000"))
    items = "".join(
        item(f"{h.base}/page?id={i}", f"Story {i} of the big feed", f"big-{i}", "Thu, 12 Aug 2021 14:20:00 GMT")
        for i in range(n)
    )
    h.reply(200, rss(items, title="Ten thousand").encode(), {"Content-Type": "application/rss+xml"})


_polls = itertools.count()


def _changing_guids(h: Handler, q: dict[str, str]) -> None:
    """``/changing-guids``: the same three stories on every poll, under new GUIDs each time (and no ETag or
    Last-Modified, so every poll gets the whole feed)."""
    poll = next(_polls)
    items = "".join(item(f"{h.base}/page?id=g{i}", f"Story g{i}", guid=f"poll-{poll}-item-{i}") for i in range(3))
    h.reply(200, rss(items, title="Shifting GUIDs").encode(), {"Content-Type": "application/rss+xml"})


def _evil_dtd(h: Handler, q: dict[str, str]) -> None:
    """``/evil.dtd``: an external DTD; fetching it at all is the failure (the hits counter tells)."""
    h.reply(200, b'<!ENTITY leak "fetched-the-external-dtd">', {"Content-Type": "application/xml-dtd"})


ROUTES: dict[str, Route] = {
    "/bomb": _bomb,
    "/labelled": _labelled,
    "/chain": _encoded_chain,
    "/corrupt-gzip": _corrupt_gzip,
    "/unsized": _unsized,
    "/lying-length": _lying_length,
    "/reset": _reset,
    "/drip": _drip,
    "/drip-headers": _drip_headers,
    "/stall": _stall,
    "/redirect": _redirect,
    "/hop": _hop,
    "/loop-a": _loop_a,
    "/loop-b": _loop_b,
    "/page": _page,
    "/huge-page": _huge_page,
    "/big-feed": _big_feed,
    "/changing-guids": _changing_guids,
    "/evil.dtd": _evil_dtd,
}


def redirect_url(server: HostileServer, target: str, code: int = 302) -> str:
    """The URL of a redirect to ``target``."""
    return f"{server.url}/redirect?code={code}&to={quote(target, safe='')}"
