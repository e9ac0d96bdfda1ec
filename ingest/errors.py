"""Errors raised while polling feeds and fetching and extracting pages.

IngestError
 ├── InvalidURL            not an absolute http(s) URL
 ├── FetchError            the HTTP exchange failed
 │    ├── BlockedAddress   the host resolves to a private, loopback or otherwise refused address
 │    ├── FetchTimeout     connect, read or overall deadline exceeded
 │    ├── ResponseTooLarge the (decompressed) body passed the size cap
 │    ├── TooManyRedirects redirect cap reached or a redirect loop
 │    ├── UndecodableBody  a Content-Encoding wiredesk does not decode (br, zstd), or corrupt compressed data
 │    └── BadStatus        a status other than 200 or 304 (with the server's Retry-After, if any)
 ├── RobotsDisallowed      the site's robots.txt disallows the page (or could not be read: RFC 9309)
 ├── FeedParseError        the body is not a feed we can read
 └── ExtractError          no article body could be extracted from a page

Messages say what failed and where, in one line: ``fetch: body over 10 MiB at https://...``.
"""

from __future__ import annotations


class IngestError(Exception):
    """Base class for every error raised by :mod:`ingest`."""


class InvalidURL(IngestError):
    """The URL is not an absolute http(s) URL."""


class FetchError(IngestError):
    """An HTTP fetch failed."""


class BlockedAddress(FetchError):
    """The host resolves only to addresses the fetch policy refuses."""


class FetchTimeout(FetchError):
    """The server did not answer (or finish answering) in time."""


class ResponseTooLarge(FetchError):
    """The response body is larger than the configured cap."""


class TooManyRedirects(FetchError):
    """Too many redirects, or a redirect loop."""


class UndecodableBody(FetchError):
    """The body is in a Content-Encoding wiredesk does not decode, or its compressed data is corrupt."""


class BadStatus(FetchError):
    """The server answered with an unexpected status."""

    def __init__(self, message: str, status: int, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class RobotsDisallowed(IngestError):
    """The site's robots.txt does not allow wiredesk to fetch the page. ``definite`` is false when the
    robots.txt could not be read (a 5xx or no answer): the page is disallowed for now, not for good."""

    def __init__(self, message: str, *, definite: bool = True) -> None:
        super().__init__(message)
        self.definite = definite


class FeedParseError(IngestError):
    """The body is not a readable RSS, Atom or JSON feed."""


class ExtractError(IngestError):
    """No article body could be extracted."""
