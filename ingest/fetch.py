"""HTTP fetching with timeouts, an overall deadline, a size cap on the decompressed body, manual redirects
(each hop checked) and conditional GET. Connections go through the address guard (:mod:`ingest.guard`).
"""

from __future__ import annotations

from types import TracebackType

import httpcore
import httpx

from ingest.config import FetchLimits
from ingest.deadline import deadline
from ingest.deadline import passed as deadline_passed
from ingest.errors import BadStatus, FetchError, FetchTimeout, ResponseTooLarge, TooManyRedirects
from ingest.guard import AddressPolicy, GuardedBackend
from ingest.records import Response
from ingest.urls import canonical_url

_REDIRECTS = {301, 302, 303, 307, 308}
_MIB = 1024 * 1024


def _size(n: int) -> str:
    return f"{n / _MIB:g} MiB" if n >= _MIB else f"{n} bytes"


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: AddressPolicy) -> None:
        super().__init__(retries=0)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
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
            headers={"User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate"},
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
                declared = r.headers.get("content-length")
                if (
                    declared
                    and declared.isdigit()
                    and int(declared) > max_bytes
                    and "content-encoding" not in r.headers
                ):
                    raise ResponseTooLarge(f"fetch: body of {_size(int(declared))} over {_size(max_bytes)} at {url}")
                chunks, size = [], 0
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise ResponseTooLarge(f"fetch: body over {_size(max_bytes)} at {url}")
                    chunks.append(chunk)
                return Response(str(r.url), status, dict(r.headers), b"".join(chunks))
        except httpx.TimeoutException as exc:
            if deadline_passed():
                raise FetchTimeout(f"fetch: deadline of {self._limits.deadline_s:g} s passed at {url}") from exc
            raise FetchTimeout(f"fetch: timed out ({type(exc).__name__}) at {url}") from exc
        except httpx.DecodingError as exc:
            raise FetchError(f"fetch: undecodable body ({exc}) at {url}") from exc
        except httpx.TransportError as exc:
            raise FetchError(f"fetch: {exc or type(exc).__name__} at {url}") from exc
