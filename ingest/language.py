"""The language of a text from its most common words, for pages that do not declare theirs.

Small on purpose: no model, no download. Each language is known by its commonest function words; the
language whose words make the largest share of the text wins, if that share is clear (at least 8 % of the
words, and half again as many hits as the runner-up). Short or mixed texts give None rather than a guess.
"""

from __future__ import annotations

import re
from collections import Counter


def _words(text: str) -> list[str]:
    return text.split(" ")


STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_words("the of and to in a is that for on with as was by it at from be has have are said this")),
    "fr": frozenset(_words("le la les de des du et un une est dans pour que qui sur au aux par pas a été ont ce")),
    "de": frozenset(_words("der die das und ist nicht ein eine den dem des mit von zu im auf für sich wird auch")),
    "es": frozenset(_words("el la los las de del y en un una es que por para con se al lo su fue como más")),
    "it": frozenset(_words("il lo la gli le di del della e che un una per con non sono è nel alla dei ha")),
    "pt": frozenset(_words("o a os as de do da dos das e em um uma que para com não por no na foi ao")),
    "nl": frozenset(_words("de het een en van in is dat op te met voor niet zijn aan er ook als bij")),
}
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(text: str, min_words: int = 30) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is too short or unclear."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < min_words:
        return None
    counts = Counter(words)
    hits = sorted(
        ((sum(counts[w] for w in stop), lang) for lang, stop in STOPWORDS.items()),
        reverse=True,
    )
    (best, lang), (second, _) = hits[0], hits[1]
    if best < 0.08 * len(words) or best < 1.5 * second:
        return None
    return lang
