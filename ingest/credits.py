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
    "dpa": ("dpa", "Deutsche Presse-Agentur"),
    "EFE": ("EFE", "Agencia EFE"),
    "ANSA": ("ANSA",),
    "Kyodo": ("Kyodo", "Kyodo News"),
    "Xinhua": ("Xinhua",),
    "PA": ("PA", "PA Media", "Press Association"),
    "AAP": ("AAP", "Australian Associated Press"),
    "UPI": ("UPI", "United Press International"),
    "CP": ("CP", "The Canadian Press", "Canadian Press"),
}
_ALIASES = {alias.lower(): code for code, aliases in AGENCIES.items() for alias in aliases}
_ALT = "|".join(sorted((re.escape(a) for a in _ALIASES), key=len, reverse=True))
_CREDIT = re.compile(
    rf"\(\s*(?P<paren>{_ALT})\s*\)"  # (AP), (AFP)
    rf"|\b(?:told|according to|said to|reported by|contributed to this report\W+)\s+(?P<told>{_ALT})\b"
    rf"|^\s*(?:source|credit|via)\s*:\s*(?P<source>{_ALT})\b",
    re.IGNORECASE | re.MULTILINE,
)
_BY = re.compile(r"^\s*(?:by|par|von|por|di)\b\s*:?\s*", re.IGNORECASE)
_PLACE = re.compile(r"\s+in\s+[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*$")  # "Claire Dufour in Kabul"
_SPLIT = re.compile(
    r"\s*(?:;|\||,|\band\b|\bund\b|\bet\b|\by\b|\be\b|&|\bwith\b|\bavec\b|\bmit\b|\bcon\b)\s*",
    re.IGNORECASE,
)
_AGENCY_IN_NAME = re.compile(
    r"\b(the\s+)?(associated press|agence france[- ]presse|thomson reuters|reuters|deutsche presse-agentur|"
    r"agencia efe)\b",
    re.IGNORECASE,
)
_AGENCY_CODE_IN_NAME = re.compile(r"\b(AP|AFP|dpa|EFE)\b|\(\s*\)")
_ORGANISATION = re.compile(r"^(the|le|la|les|el|der|die|das|il)\s", re.IGNORECASE)
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


def person_names(raw: str | None) -> list[str]:
    """The people a byline names: ``"By LARS EVENSEN Associated Press"`` -> ``["Lars Evensen"]``,
    ``"Von Jonas Reuter und Petra Hahn, dpa"`` -> ``["Jonas Reuter", "Petra Hahn"]``. Agencies, outlets
    ("Par Le Courrier Rhodanien avec AFP"), places ("in Kabul") and job titles are not names."""
    if not raw:
        return []
    names: list[str] = []
    for part in _SPLIT.split(_BY.sub("", " ".join(raw.split()))):
        part = re.sub(r"\s+(source|via)\b.*$", "", part, flags=re.IGNORECASE).strip(" .:-–—")
        part = _AGENCY_CODE_IN_NAME.sub("", _AGENCY_IN_NAME.sub("", _BY.sub("", part))).strip(" .:-–—()")
        part = _PLACE.sub("", part).strip()
        if (
            not part
            or agency_code(part)
            or _NOT_A_NAME.search(part)
            or _ORGANISATION.match(part)
            or len(part.split()) > 5
            or re.search(r"[\d@/]", part)
        ):
            continue
        if part.isupper() and len(part) > 3:
            part = " ".join(w.capitalize() if w.isupper() else w for w in re.split(r"(\s+|-)", part))
            part = re.sub(r"\s+", " ", part)
        if part not in names:
            names.append(part)
    return names


def clean_byline(raw: str | None) -> str | None:
    """Names only: ``"By Rahim Faiez; Kathy Gannon Source AP"`` -> ``"Rahim Faiez, Kathy Gannon"``."""
    return ", ".join(person_names(raw)) or None


_AGENCY_PAREN = rf"\(\s*(?:{_ALT})\s*\)"
_MONTH_DAY = r"(?:,\s*(?:[A-Za-zé]{3,9}\.?\s+\d{1,2}|\d{1,2}\s+[A-Za-zé]{3,9}\.?))"
_CREDITED_DATELINE = re.compile(
    rf"^\s*(?P<place>[A-ZÀ-Ý][^\n()]{{0,50}}?(?:\s*\([A-ZÀ-Ý][^()\n]{{1,30}}\))?)\s*{_MONTH_DAY}?\s*"
    rf"{_AGENCY_PAREN}\s*\.?\s*[—–-]",
    re.IGNORECASE,
)
_STAFF_DATELINE = re.compile(
    r"^\s*(?P<place>[A-ZÀ-Ý][A-ZÀ-Ý.'’/ -]{1,40}?(?:,\s*[A-ZÀ-Ý][\w.'’ -]{1,30})?)\s*(?:—|–|\.-|\s-)\s"
)


def dateline_of(text: str) -> str | None:
    """The place a dateline names: ``"HERAT, Afghanistan (AP) —"`` -> ``"HERAT, Afghanistan"``, ``"PHOENIX,
    May 16 (Reuters) -"`` -> ``"PHOENIX"``, ``"Bogotá, 22 mar (EFE).-"`` -> ``"Bogotá"``, ``"MILLBROOK —"``
    -> ``"MILLBROOK"``. None when the copy opens without one."""
    first = text.lstrip().split("\n", 1)[0][:160]
    m = _CREDITED_DATELINE.match(first) or _STAFF_DATELINE.match(first)
    if not m:
        return None
    place = m.group("place").strip(" ,.")
    words = place.split()
    if not words or len(words) > 6 or not words[0][0].isupper():
        return None
    return place
