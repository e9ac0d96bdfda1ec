"""A small HTTP server on 127.0.0.1 that serves the corpus site with conditional GET.

It honours ``If-None-Match`` (strong or weak ETags) and ``If-Modified-Since``, counts what it served so
tests can assert that a second cycle only got 304s, and takes extra resources (a broken feed, a 500)
for tests.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from wiredesk.corpus.model import Corpus, load_corpus
from wiredesk.corpus.render import Resource, render_site


class CorpusServer:
    """Serve a corpus on a free loopback port. Use as a context manager or call start()/stop()."""

    def __init__(self, corpus: Corpus | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self._corpus = corpus or load_corpus()
        self._resources: dict[str, Resource] = {}
        self._errors: dict[str, tuple[int, dict[str, str]]] = {}
        self.hits: Counter[str] = Counter()  # path -> 200 responses
        self.not_modified: Counter[str] = Counter()  # path -> 304 responses
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.url = f"http://{host}:{self._httpd.server_address[1]}"
        self._resources = render_site(self._corpus, self.url)

    @property
    def corpus(self) -> Corpus:
        return self._corpus

    def feed_urls(self) -> list[tuple[str, str]]:
        """(name, URL) of every outlet's feed."""
        return [(o.name, self.url + o.feed_path) for o in self._corpus.outlets]

    def page_url(self, path: str) -> str:
        return self.url + path

    def add(self, path: str, body: bytes, content_type: str, last_modified: datetime | None = None) -> None:
        """Serve an extra resource (tests use it for broken or changing feeds)."""
        with self._lock:
            self._resources[path] = Resource(body, content_type, last_modified or datetime(2021, 8, 12, tzinfo=UTC))

    def fail(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        """Answer ``path`` with an error status (and ``headers``, e.g. Retry-After) from now on."""
        with self._lock:
            self._errors[path] = (status, dict(headers or {}))

    def heal(self, path: str) -> None:
        """Serve ``path`` normally again after :meth:`fail`."""
        with self._lock:
            self._errors.pop(path, None)

    def start(self) -> CorpusServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="corpus-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> CorpusServer:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _lookup(self, path: str) -> tuple[Resource | None, tuple[int, dict[str, str]] | None]:
        with self._lock:
            return self._resources.get(path), self._errors.get(path)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "wiredesk-corpus/1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
                pass

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def do_GET(self) -> None:
                self._serve(head=False)

            def _serve(self, head: bool) -> None:
                path = self.path.split("?", 1)[0].split("#", 1)[0]
                resource, error = server._lookup(path)
                if error is not None:
                    self.send_response(error[0])
                    for name, value in error[1].items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if resource is None:
                    self.send_error(404)
                    return
                if self._not_modified(resource):
                    with server._lock:
                        server.not_modified[path] += 1
                    self.send_response(304)
                    self.send_header("ETag", resource.etag)
                    self.end_headers()
                    return
                with server._lock:
                    server.hits[path] += 1
                self.send_response(200)
                self.send_header("Content-Type", resource.content_type)
                self.send_header("Content-Length", str(len(resource.body)))
                self.send_header("ETag", resource.etag)
                self.send_header("Last-Modified", format_datetime(resource.last_modified, usegmt=True))
                self.end_headers()
                if not head:
                    self.wfile.write(resource.body)

            def _not_modified(self, resource: Resource) -> bool:
                if_none_match = self.headers.get("If-None-Match")
                if if_none_match is not None:
                    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
                    return "*" in tags or resource.etag in tags
                since = self.headers.get("If-Modified-Since")
                if since:
                    try:
                        return resource.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
                    except (TypeError, ValueError):
                        return False
                return False

        return Handler
