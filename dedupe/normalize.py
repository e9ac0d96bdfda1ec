"""Text normalisation before shingling.

Republications differ in what surrounds the copy, not in the copy: datelines (``KABUL, Afghanistan (AP) —``),
agency credits, curly or straight quotes, thousands separators, case. All of that is folded away so the
shingles see only the wording.
"""

from __future__ import annotations

import re
import unicodedata

from dedupe.records import Features

_AGENCY = r"(?:AP|AFP|Reuters|dpa|ANSA|EFE|Xinhua|PTI|ANI|IANS|UPI|CP|AAP)"
_DATELINE = re.compile(
    rf"^\s*[A-Z][\w.'’ -]{{0,40}}(?:,\s*[\w.'’ -]{{1,30}})?\s*(?:\(\s*[\w.'’ -]{{1,30}}\s*\)\s*)?"
    rf"(?:\(\s*{_AGENCY}\s*\))\s*[—–-]+\s*"
)
_STAFF_DATELINE = re.compile(r"^\s*[A-Z][A-Z.'’ -]{2,40}(?:,\s*[A-Z][\w.'’ -]{1,30})?\s+[—–]\s+")
_CREDIT = re.compile(rf"\(\s*{_AGENCY}\s*\)")
_COPYRIGHT = re.compile(r"(©|\bcopyright\b).{0,80}?\ball rights reserved\.?", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u00a0](?=\d{3}\b)")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+")
_DIGIT = re.compile(rb"\d")
_WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


def strip_dateline(text: str) -> str:
    """Drop a leading dateline with its agency credit, or a staff dateline (``MILLBROOK —``)."""
    stripped = _DATELINE.sub("", text, count=1)
    if stripped == text:
        stripped = _STAFF_DATELINE.sub("", text, count=1)
    return stripped


def tokens(text: str) -> list[str]:
    """Lower-cased word and number tokens of the copy, without dateline, credits or copyright lines."""
    # Separators first: NFKC would turn a no-break-space separator ("1\u00a0297") into a plain space.
    text = unicodedata.normalize("NFKC", _THOUSANDS.sub("", text))
    text = strip_dateline(text)
    text = _COPYRIGHT.sub(" ", _CREDIT.sub(" ", text)).replace("’", "'")
    return _TOKEN.findall(text.lower())


def _shingle_list(words: list[str], size: int) -> list[bytes]:
    """Word ``size``-grams as bytes, in order (the ``i``-th starts at word ``i``); a text shorter than ``size``
    words is one shingle."""
    if len(words) <= size:
        return [" ".join(words).encode()] if words else []
    return [" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)]


def shingles(words: list[str], size: int) -> frozenset[bytes]:
    """Word ``size``-grams as bytes; a text shorter than ``size`` words is one shingle."""
    return frozenset(_shingle_list(words, size))


def _numeric(words: list[str], ordered: list[bytes], size: int) -> frozenset[bytes]:
    """The shingles holding an ASCII digit (what ``_DIGIT`` finds), from the words that hold one: only number
    tokens can (letters and numbers are separate tokens), and a shingle holds the words it starts at and the
    ``size - 1`` after. A regex over every shingle costs a quarter of :func:`features`."""
    if not ordered:
        return frozenset()
    last = len(ordered) - 1
    starts: set[int] = set()
    for position, word in enumerate(words):
        if word[0].isdigit() and _DIGIT.search(word.encode()):
            starts.update(range(max(position - size + 1, 0), min(position, last) + 1))
    return frozenset(ordered[i] for i in starts)


def features(text: str, shingle_size: int) -> Features:
    return features_of(tokens(text), shingle_size)


def features_of(words: list[str], shingle_size: int) -> Features:
    """:func:`features` of a text from its :func:`tokens` (when the caller needs those too)."""
    ordered = _shingle_list(words, shingle_size)
    shingled = frozenset(ordered)
    return Features(
        shingles=shingled,
        numeric=_numeric(words, ordered, shingle_size),
        numbers=frozenset(w for w in words if w[0].isdigit()),
        weekdays=frozenset(w for w in words if w in _WEEKDAYS),
        word_count=len(words),
    )
