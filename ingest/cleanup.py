"""Residual boilerplate removal after trafilatura: what it lets through on real news pages.

Each filter holds for any site. A line is only dropped when it is short (real paragraphs that happen to
mention "subscribe" survive): comment-form text, share and subscribe prompts, "Read more" and "Related"
lines, follow-us lines, photo credits (alone or stuck to the end of a paragraph), and a leading headline,
section label, date line or truncated standfirst repeated from the page header.
"""

from __future__ import annotations

import re

_SHORT = 30  # words
_BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^leave a (reply|comment)\b",
        r"your email address will not be published",
        r"required fields are marked",
        r"^save my name, email,? and website",
        r"^(post|submit) (a )?comment\.?$",
        r"^cancel reply$",
        r"^\d+\s+(comments?|thoughts?|responses?|replies)\b",
        r"^(you must be )?logged in to (post a )?comment",
        r"^(share|share this|share this (article|story|post))\s*[:!]?\s*((on )?(facebook|twitter|x|email|whatsapp|"
        r"linkedin|reddit|telegram|pinterest|print|copy link)[\s,|/·•]*)*$",
        r"^(subscribe|sign up|get (the|our) .{0,40}(newsletter|briefing|inbox)|newsletter)\b",
        r"\bsubscribe (now|today|for|to our)\b",
        r"^(read more|read also|also read|see also|more on this|recommended|related)\s*[:\-–—]",
        r"^(read|see) more\s*[»›>…]*$",
        r"^(related|related (coverage|stories|articles|content)|you may also like|most read|more stories|"
        r"trending( now)?|topics)\s*:?$",
        r"^follow us on\b",
        r"^(photo|photograph|image|picture|file photo|photo credit|photos)\s*(credit)?\s*[:|/]",
        r"^\(?(photo|image|picture)s? (by|courtesy of)\b",
        r"^(source|credit)\s*:\s*[\w .,&-]{1,40}$",
        r"^(advertisement|sponsored( content)?|ad)$",
        r"^(this website uses cookies|we use cookies)\b",
        r"^(click|tap) here to\b",
    )
]
_TRAILING_CREDIT = re.compile(
    r"\s*(\((AP|AFP|Reuters|Getty Images)( Photo)?[/ ][^)]{0,60}\)|(Photo|Image|Picture)( credit)?\s*:\s*[^.]{0,60})$",
    re.IGNORECASE,
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_DATE_LINE = re.compile(
    rf"^((published|updated|posted)( on)?\s*:?\s*)?({_MONTHS})\.? \d{{1,2}},? \d{{4}}\b.{{0,30}}$", re.IGNORECASE
)


def _norm(line: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", line.lower()).split())


def _is_boilerplate(line: str) -> bool:
    if len(line.split()) > _SHORT:
        return False
    return any(p.search(line) for p in _BOILERPLATE)


def _is_header_echo(line: str, following: str | None, echoes: set[str]) -> bool:
    """A header element repeated at the top of the body: the headline, a date line, a section label, or a
    standfirst that merely repeats (truncated) the opening of the next paragraph."""
    if _norm(line) in echoes or _DATE_LINE.match(line):
        return True
    if len(line.split()) <= 2 and line.isupper():
        return True
    opening = _norm(line.rstrip(" .…"))
    return following is not None and len(opening) > 40 and _norm(following).startswith(opening) and line != following


def clean_body(text: str, *, title: str | None = None) -> tuple[str, int]:
    """Return the cleaned body (paragraphs joined by blank lines) and how many lines were dropped."""
    echoes = {_norm(title)} if title else set()
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    kept: list[str] = []
    dropped = 0
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else None
        if not kept and _is_header_echo(line, following, echoes):
            dropped += 1
            continue
        if _is_boilerplate(line):
            dropped += 1
            continue
        stripped = _TRAILING_CREDIT.sub("", line)
        if stripped != line and len(stripped.split()) >= 3:
            line = stripped
        kept.append(line)
    while kept and _is_boilerplate(kept[-1]):
        kept.pop()
        dropped += 1
    return "\n\n".join(kept), dropped
