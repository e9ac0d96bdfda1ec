"""URL canonicalisation: one spelling per article, whatever tracking the feed added."""

from __future__ import annotations

import re
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
MAX_URL_LENGTH = 2048  # the sitemaps protocol's limit; a longer link is refused (a database index has limits too)
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"  # RFC 3986 pchar and "/": everything else is percent-encoded
# WHATWG's forbidden domain code points, C1 controls, other white space, surrogates and noncharacters.
_FORBIDDEN_IN_HOST = re.compile(
    r"[\x00-\x20\x7f-\xa0#%/<>?@\\^|\[\]\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ud800-\udfff\ufeff\ufffe\uffff]"
)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str, base: str | None = None) -> str:
    """Absolute http(s) URL without fragment, default port or tracking parameters.

    The scheme and host are lower-cased, the path is percent-encoded where it must be (an empty path becomes
    ``/``), and the remaining query parameters keep their order (some sites depend on it). Raises
    :class:`InvalidURL` for anything else, a host with characters no host name may hold included.
    """
    raw = url.strip()
    try:
        if base:
            raw = urljoin(base, raw)
        parts = urlsplit(raw)
        path = quote(parts.path.strip(), safe=_PATH_SAFE) or "/"
        port = parts.port
        pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
        query = urlencode(pairs)
    except (ValueError, UnicodeError) as exc:  # a bad port or IPv6 literal; unpaired surrogates
        raise InvalidURL(f"url: {exc}: {_shown(url)}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidURL(f"url: not an absolute http(s) URL: {_shown(url)}")
    host = parts.hostname.lower()
    if _FORBIDDEN_IN_HOST.search(host):
        raise InvalidURL(f"url: a character no host name may hold: {_shown(url)}")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    canonical = urlunsplit((scheme, netloc, path, query, ""))
    if len(canonical) > MAX_URL_LENGTH:
        raise InvalidURL(f"url: longer than {MAX_URL_LENGTH} characters: {_shown(url)}")
    return canonical


def _shown(url: str) -> str:
    """``url`` for a message: quoted, on one line, at most 120 characters of it."""
    return repr(url[:120]) + ("..." if len(url) > 120 else "")
