"""Wire-agency credits and bylines.

A credit is evidence that copy came from an agency: a dateline credit ``KABUL, Afghanistan (AP) —``, a
parenthesised ``(AFP)``, attribution such as ``told AFP``, or a ``Source: Reuters`` line. A mere mention of an
agency in the prose ("Reuters reported") is not a credit.
"""

from __future__ import annotations

import re

AGENCIES: dict[str, tuple[str, ...]] = {
    "AP": ("AP", "Associated Press", "The Associated Press"),
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "Reuters": ("Reuters", "Thomson Reuters"),
}
_ALIASES = {alias.lower(): code for code, aliases in AGENCIES.items() for alias in aliases}
_ALT = "|".join(sorted((re.escape(a) for a in _ALIASES), key=len, reverse=True))
_CREDIT = re.compile(
    rf"\(\s*(?P<paren>{_ALT})\s*\)"  # (AP), (AFP)
    rf"|\b(?:told|according to|said to|reported by|contributed to this report\W+)\s+(?P<told>{_ALT})\b"
    rf"|^\s*(?:source|credit|via)\s*:\s*(?P<source>{_ALT})\b",
    re.IGNORECASE | re.MULTILINE,
)
_BY = re.compile(r"^\s*by\b\s*", re.IGNORECASE)
_PLACE = re.compile(r"\s+in\s+[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*$")  # "Claire Dufour in Kabul"
_SPLIT = re.compile(r"\s*(?:;|\||,|\band\b|&|\bwith\b)\s*", re.IGNORECASE)
_AGENCY_IN_NAME = re.compile(
    r"\b(the\s+)?(associated press|agence france[- ]presse|thomson reuters|reuters)\b", re.IGNORECASE
)
_AGENCY_CODE_IN_NAME = re.compile(r"\b(AP|AFP)\b")
_NOT_A_NAME = re.compile(r"\b(source|staff|desk|wire|reporters?|correspondents?|editors?)\b", re.IGNORECASE)


def agency_code(name: str) -> str | None:
    """``"Agence France-Presse"`` -> ``"AFP"``; None for anything that is not an agency."""
    return _ALIASES.get(name.strip().lower())


def credited_agencies(text: str, extra: tuple[str | None, ...] = ()) -> tuple[str, ...]:
    """Agencies the copy credits, in order of first credit. ``extra`` are names from page metadata."""
    found: list[tuple[int, str]] = []
    for m in _CREDIT.finditer(text):
        name = m.group("paren") or m.group("told") or m.group("source")
        code = agency_code(name)
        if code:
            found.append((m.start(), code))
    offset = len(text)
    for name in extra:
        for part in _SPLIT.split(name or ""):
            code = agency_code(_BY.sub("", part))
            if code:
                found.append((offset, code))
                offset += 1
    ordered: list[str] = []
    for _, code in sorted(found):
        if code not in ordered:
            ordered.append(code)
    return tuple(ordered)


def clean_byline(raw: str | None) -> str | None:
    """Names only: ``"By Rahim Faiez; Kathy Gannon Source AP"`` -> ``"Rahim Faiez, Kathy Gannon"``."""
    if not raw:
        return None
    names: list[str] = []
    for part in _SPLIT.split(_BY.sub("", raw.strip())):
        part = re.sub(r"\s+(source|via)\b.*$", "", part, flags=re.IGNORECASE).strip(" .:-–—")
        part = _AGENCY_CODE_IN_NAME.sub("", _AGENCY_IN_NAME.sub("", _BY.sub("", part))).strip(" .:-–—")
        part = _PLACE.sub("", part)
        if not part or agency_code(part) or _NOT_A_NAME.search(part) or len(part.split()) > 5:
            continue
        if part not in names:
            names.append(part)
    return ", ".join(names) or None
