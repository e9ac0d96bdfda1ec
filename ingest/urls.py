"""URL canonicalisation: one spelling per article, whatever tracking the feed added."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from ingest.errors import InvalidURL

TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_")
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wickedid",
        "cmpid",
        "ocid",
        "icid",
        "ncid",
        "sr_share",
        "at_medium",
        "at_campaign",
        "smid",
        "ref_src",
        "s_cid",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"  # RFC 3986 pchar and "/": everything else is percent-encoded


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str, base: str | None = None) -> str:
    """Absolute http(s) URL without fragment, default port or tracking parameters.

    The scheme and host are lower-cased, the path is percent-encoded where it must be (an empty path becomes
    ``/``), and the remaining query parameters keep their order (some sites depend on it). Raises
    :class:`InvalidURL` for anything else.
    """
    raw = url.strip()
    if base:
        raw = urljoin(base, raw)
    try:
        parts = urlsplit(raw)
        path = quote(parts.path.strip(), safe=_PATH_SAFE) or "/"
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"url: {exc}: {url!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidURL(f"url: not an absolute http(s) URL: {url!r}")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)])
    return urlunsplit((scheme, netloc, path, query, ""))
