"""HTTP fetching with timeouts, an overall deadline, a size cap on the decompressed body, manual redirects
(each hop checked) and conditional GET. Connections go through the address guard (:mod:`ingest.guard`).

Compressed bodies are decoded here, not by httpx: httpx inflates each network chunk whole, so one 64 KiB
chunk of a gzip bomb becomes 64 MiB in memory before any cap can look at it. Here every step of the
decoding yields at most :data:`PIECE` bytes, and reading stops as soon as the decoded size passes the cap.
Only gzip and deflate are asked for and decoded; a body in any other encoding (``br``, ``zstd``: no decoder
is installed) is refused rather than parsed as garbage.
"""

from __future__ import annotations

import functools
import ssl
import zlib
from collections.abc import Iterable, Iterator
from types import TracebackType

import httpcore
import httpx

from ingest.config import FetchLimits
from ingest.deadline import deadline
from ingest.deadline import passed as deadline_passed
from ingest.errors import (
    BadStatus,
    FetchError,
    FetchTimeout,
    ResponseTooLarge,
    TooManyRedirects,
    UndecodableBody,
)
from ingest.guard import AddressPolicy, GuardedBackend
from ingest.records import Response
from ingest.urls import canonical_url

_REDIRECTS = {301, 302, 303, 307, 308}
_MIB = 1024 * 1024
PIECE = 64 * 1024  # the most one decoding step produces
ACCEPT_ENCODING = "gzip, deflate"  # exactly what decoded() inflates under the cap
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ENCODINGS = {"gzip": _GZIP_WBITS, "x-gzip": _GZIP_WBITS, "deflate": zlib.MAX_WBITS}
MAX_ENCODINGS = 2  # "gzip, gzip" is legal and seen; a longer chain is an attack on the decoder


def _size(n: int) -> str:
    return f"{n / _MIB:.3g} MiB" if n >= _MIB else f"{n} bytes"


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context per process, shared by every fetcher (building one loads the CA bundle: 40 ms of CPU,
    which a fetcher per feed paid 200 times a cycle)."""
    return httpx.create_ssl_context()


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: AddressPolicy) -> None:
        super().__init__(retries=0, verify=_ssl_context())  # its own pool, replaced below
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=20,
            network_backend=GuardedBackend(policy),
        )


class Fetcher:
    """Fetches URLs under :class:`FetchLimits`. Reuse one per run; close it (or use ``with``) at the end.

    ``transport`` replaces the network for tests that cannot be served by a real server.
    """

    def __init__(self, limits: FetchLimits, transport: httpx.BaseTransport | None = None) -> None:
        self._limits = limits
        timeout = httpx.Timeout(limits.read_timeout_s, connect=limits.connect_timeout_s)
        self._client = httpx.Client(
            transport=transport or _GuardedTransport(AddressPolicy.from_allowlist(limits.allow)),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": limits.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
    ) -> Response:
        """GET ``url`` following redirects; a 304 to the conditional headers returns ``not_modified``."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen = {url}
        current = url
        for _ in range(self._limits.max_redirects + 1):
            with deadline(self._limits.deadline_s):
                response = self._exchange(current, headers, max_bytes)
            if response.status not in _REDIRECTS:
                return response
            location = response.headers.get("location")
            if not location:
                raise BadStatus(f"fetch: redirect without Location at {current}", response.status)
            current = canonical_url(location, base=current)
            if current in seen:
                raise TooManyRedirects(f"fetch: redirect loop at {current}")
            seen.add(current)
        raise TooManyRedirects(f"fetch: more than {self._limits.max_redirects} redirects from {url}")

    def _exchange(self, url: str, headers: dict[str, str], max_bytes: int) -> Response:
        try:
            with self._client.stream("GET", url, headers=headers) as r:
                status = r.status_code
                if status == 304:
                    return Response(url, status, dict(r.headers), b"", not_modified=True)
                if status in _REDIRECTS:
                    return Response(url, status, dict(r.headers), b"")
                if status != 200:
                    raise BadStatus(f"fetch: HTTP {status} at {url}", status, r.headers.get("retry-after"))
                encodings = content_encodings(r.headers.get_list("content-encoding", split_commas=True))
                unsupported = [e for e in encodings if e not in _ENCODINGS]
                if unsupported or len(encodings) > MAX_ENCODINGS:
                    raise UndecodableBody(
                        f"fetch: undecodable body (Content-Encoding {', '.join(encodings)} is not supported) at {url}"
                    )
                declared = r.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes and not encodings:
                    raise ResponseTooLarge(f"fetch: body of {_size(int(declared))} over {_size(max_bytes)} at {url}")
                chunks, size = [], 0
                for chunk in decoded(r.iter_raw(), encodings, url):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ResponseTooLarge(f"fetch: body over {_size(max_bytes)} at {url}")
                    chunks.append(chunk)
                return Response(str(r.url), status, dict(r.headers), b"".join(chunks))
        except httpx.TimeoutException as exc:
            if deadline_passed():
                raise FetchTimeout(f"fetch: deadline of {self._limits.deadline_s:g} s passed at {url}") from exc
            raise FetchTimeout(f"fetch: timed out ({type(exc).__name__}) at {url}") from exc
        except httpx.TransportError as exc:
            raise FetchError(f"fetch: {exc or type(exc).__name__} at {url}") from exc


def content_encodings(values: Iterable[str]) -> list[str]:
    """The codings of a Content-Encoding header, in the order they were applied (``identity`` dropped)."""
    return [v for v in (value.strip().lower() for value in values) if v and v != "identity"]


def decoded(raw: Iterable[bytes], encodings: list[str], url: str) -> Iterator[bytes]:
    """The body ``raw`` with ``encodings`` undone (the last applied first), in pieces of at most
    :data:`PIECE` bytes, so the caller's cap sees every piece before the next is made."""
    stream: Iterable[bytes] = raw
    for encoding in reversed(encodings):
        stream = _inflate(stream, _ENCODINGS[encoding], url)
    return iter(stream)


def _inflate(chunks: Iterable[bytes], wbits: int, url: str) -> Iterator[bytes]:
    """Inflate a gzip (every member) or deflate stream; deflate is zlib-wrapped or, as some servers send it,
    raw. Bytes after the end of the stream that start no further gzip member are ignored."""
    inflater: zlib._Decompress | None = None
    try:
        for chunk in chunks:
            data = chunk
            while data:
                if inflater is None:
                    raw_deflate = wbits == zlib.MAX_WBITS and not _zlib_header(data)
                    inflater = zlib.decompressobj(-zlib.MAX_WBITS if raw_deflate else wbits)
                out = inflater.decompress(data, PIECE)
                if out:
                    yield out
                data = inflater.unconsumed_tail
                while not data and not inflater.eof and len(out) == PIECE:
                    out = inflater.decompress(b"", PIECE)  # output zlib still holds for the input it took
                    if out:
                        yield out
                if inflater.eof:
                    data = inflater.unused_data
                    inflater = None
                    if not (wbits == _GZIP_WBITS and data.startswith(b"\x1f\x8b")):
                        return
        if inflater is not None:
            rest = inflater.flush()
            if rest:
                yield rest
            if not inflater.eof:
                raise UndecodableBody(f"fetch: undecodable body (compressed data ends early) at {url}")
    except zlib.error as exc:
        raise UndecodableBody(f"fetch: undecodable body ({exc}) at {url}") from exc


def _zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
