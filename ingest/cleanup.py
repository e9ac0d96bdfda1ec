"""Residual boilerplate removal after trafilatura: what it lets through on real news pages, in English,
French, German and Spanish.

Every filter holds for any site (what one site repeats is learned per site, :mod:`ingest.boilerplate`).
They are anchored patterns on *short* lines (at most 30 words), so a real paragraph that happens to mention
"subscribe" or "newsletter" survives. What goes, and why it is safe:

- **Line patterns** (:data:`_PATTERNS`, each with its own comment): comment-form text, share, follow,
  subscribe and newsletter prompts, "Read more"/"Lire aussi"/"Le puede interesar"/"Mehr zum Thema"
  cross-links and related-box headings, "Story continues below advertisement", ad labels, copyright
  lines, photo credits, listen/reading-time widgets, cookie notices. A line must *start* with (or wholly
  be) the phrase; the phrases are ones no reporter writes as a sentence of a story.
- **Related lists**: the list items (``- …``) right after a related-box heading go with it.
- **Agency labels**: a line that is nothing but an agency's name ("Associated Press", "Reuters") is a
  label, never prose; the credit stays in the dateline.
- **Header echoes** at the top of the body: the headline, a date line, a section label in capitals, and a
  dek or standfirst that repeats (whole or truncated) the opening of the lede, dateline or not.
- **Headline and "Updated" anywhere**: a line equal to the headline (of five words or more), and a bare
  "Updated"/"Mis à jour"/"Aktualisiert"/"Actualizado" stamp (at most a time after it).
- **Author box** in the last lines: a bio line "<Name> writes about/schreibt über/écrit sur/escribe sobre
  …", "<Name> covers …", "<Name> is a reporter …" (a role right after a capitalised name), the name line
  just above it, and "All articles"-style links.
- **Photo credits stuck to the end of a paragraph** are cut from it when enough of it remains.
- Boilerplate left at the very end after all that is popped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ingest.credits import AGENCIES

_SHORT = 30  # words: only lines this short are ever matched by the line patterns
_I = re.IGNORECASE
_PATTERNS = (
    # comment forms and comment sections: WordPress's and the French/German/Spanish equivalents
    r"^leave a (reply|comment)\b",
    r"your email address will not be published",
    r"required fields are marked",
    r"^save my name, email,? and website",
    r"^(post|submit) (a )?comment\.?$",
    r"^cancel reply$",
    r"^\d+\s+(comments?|thoughts?|responses?|replies|commentaires?|kommentare?|comentarios?)\b",
    r"^(you must be )?logged in to (post a )?comment",
    r"^(comments|commentaires|kommentare|comentarios|réactions|reactions)\s*(\(\d+\))?\s*:?$",
    r"^(laisser|écrire|ajouter|publier) un commentaire\b",
    r"^(deja|escribe|añade|agrega) (un|tu|su) comentario\b",
    r"^(kommentar (schreiben|verfassen)|schreiben sie einen kommentar)\b",
    r"\babonnez-vous pour (réagir|commenter)\b",
    r"^(réservé aux abonnés|contenu réservé aux abonnés|nur für abonnenten|exclusivo para suscriptores|"
    r"(this (article|story|content) is )?(for|available to) subscribers( only)?)\b",
    # share bars: a verb and network names, nothing else
    r"^(share|share this|share this (article|story|post)|partager|partagez|partager (cet|l') ?article|teilen|"
    r"artikel teilen|compartir|compartir (esta|la) noticia)\s*(on|sur|en|auf|via|:|!)?\s*"
    r"((facebook|twitter|x|e-?mail|whatsapp|linkedin|reddit|telegram|pinterest|print|copy link|messenger|"
    r"imprimer|drucken|imprimir)[\s,|/·•]*)*$",
    r"^(envoyer par (e-)?mail|per e-mail (senden|teilen)|enviar por (correo|e-?mail)|copy link|copier le lien)$",
    # subscribe and newsletter prompts, at the start of a line
    r"^(subscribe|sign up|get (the|our) .{0,40}(newsletter|briefing|inbox)|newsletter)\b",
    r"\bsubscribe (now|today|for|to our)\b",
    r"^(suscríbase|suscríbete|suscribirse|suscribirme|abonnez-vous|abonnez vous|je m'abonne|je m’abonne|"
    r"inscrivez-vous|abonnieren sie|jetzt abonnieren|newsletter abonnieren|jetzt anmelden|"
    r"melden sie sich .{0,30}newsletter)\b",
    # a newsletter pitch ending in its call to action: "... every Friday. Sign up for our free newsletter."
    r"(^|[.!?]\s+)(sign up|subscribe)( (now|today|here|for free|free))?[.!]?$",
    r"(^|[.!?]\s+)(sign up|subscribe) (for|to) (our|the|a) [^.]{0,60}\b(newsletter|briefing|bulletin)\b",
    # cross-links to other stories: a lead-in phrase, a separator, a headline
    r"^(read more|read also|also read|see also|more on this|recommended|related|lire aussi|à lire aussi|"
    r"a lire aussi|à lire également|lire également|voir aussi|à voir aussi|le puede interesar|"
    r"te puede interesar|puede interesarle|lea también|lee también|vea también|ver también|le recomendamos|"
    r"te recomendamos|mehr zum thema|lesen sie auch|lesen sie mehr|auch interessant|siehe auch)\s*[:\-–—]",
    r"^(read|see) more\s*[»›>…]*$",
    # related-box headings standing alone
    r"^(related|related (coverage|stories|articles|content)|you may also like|most read|more stories|"
    r"more news|read next|up next|trending( now)?|topics|à lire aussi|lire aussi|à lire également|"
    r"sur le même sujet|dans la même rubrique|les plus lus|les plus lues|más noticias|noticias relacionadas|"
    r"lo más leído|temas relacionados|le puede interesar|mehr zum thema|lesen sie auch|meistgelesen|"
    r"weitere nachrichten|das könnte sie auch interessieren)\s*:?$",
    # follow-us lines
    r"^(follow us on|síganos en|síguenos en|suivez-nous sur|suivez-nous|folgen sie uns (auf|bei)|folge uns auf)\b",
    # photo credits standing alone
    r"^(photo|photograph|image|picture|file photo|photo credit|photos|foto|fotos|bild|crédit photo|"
    r"crédits photo|illustration)\s*(credit)?\s*[:|/]",
    r"^\(?(photo|image|picture)s? (by|courtesy of)\b",
    r"^(source|credit)\s*:\s*[\w .,&-]{1,40}$",
    # ad labels and "continues below" lines between paragraphs
    r"^(advertisement|advertising|sponsored( content)?|paid content|ad|publicité|annonce|contenu sponsorisé|"
    r"anzeige|werbung|gesponsert|publicidad|anuncio|contenido patrocinado)$",
    r"^((the )?(story|article) continues below( this)? (advertisement|ad)|continue reading below|"
    r"(la )?suite (de l['’]article )?après (cette |la )?publicité|l['’]article continue (après|sous) "
    r"(la|cette) publicité|(weiterlesen|lesen sie weiter) nach der anzeige|(der )?artikel (geht|wird) "
    r"(unter|nach) der anzeige weiter|(la (nota|noticia) )?(continúa|sigue) (abajo|(después|debajo) de "
    r"(la publicidad|el anuncio)))\.?$",
    # copyright lines: a year right after the mark, or the reservation of rights
    r"^(copyright\s*(©|\(c\))?|©|\(c\))\s*\d{4}\b",
    r"^(copyright|©).{0,120}(all rights reserved|tous droits réservés|alle rechte vorbehalten|"
    r"todos los derechos reservados)",
    r"\bmay not be (published|reproduced), broadcast, rewritten or redistributed\b",
    # audio and reading-time widgets
    r"^(listen to this (article|story)|écouter (cet|l['’]) ?article|artikel (anhören|vorlesen)|"
    r"escuchar (este artículo|la noticia))\b.{0,20}$",
    r"^((reading time|temps de lecture|lesezeit|tiempo de lectura)\s*:?\s*\d+\s*(min|minutes?|minuten|"
    r"minutos)\.?|\d+\s*-?\s*min(ute)?s?\.? read)$",
    # cookie notices and click prompts
    r"^(this website uses cookies|we use cookies|nous utilisons des cookies|wir verwenden cookies|"
    r"utilizamos cookies)\b",
    r"^(click|tap) here to\b",
)
# Anchored patterns are tried together at the line's start, in one match; the few others are searched one by one.
_ANCHORED = re.compile("|".join(f"(?:{p[1:]})" for p in _PATTERNS if p.startswith("^")), _I)
_UNANCHORED = [re.compile(p, _I) for p in _PATTERNS if not p.startswith("^")]
_RELATED_HEADING = re.compile(
    r"^(related|related (coverage|stories|articles|content)|you may also like|more stories|more news|read next|"
    r"à lire aussi|lire aussi|à lire également|sur le même sujet|dans la même rubrique|más noticias|"
    r"noticias relacionadas|mehr zum thema|lesen sie auch|weitere nachrichten|das könnte sie auch interessieren)"
    r"\s*:?$",
    _I,
)
_LIST_ITEM = re.compile(r"^[-•*·]\s")
_AGENCY_LABEL = re.compile(
    r"^(the\s+)?(" + "|".join(re.escape(a) for names in AGENCIES.values() for a in names) + r")\.?$", _I
)
_UPDATED = re.compile(
    r"^(updated|last updated|mis à jour|mise à jour|actualizado|actualización|aktualisiert|zuletzt aktualisiert)"
    r"(\s*:?\s*(on |le |am |el )?\d[\w .:,/-]{0,40})?$",
    _I,
)
_NAME = r"[A-ZÀ-Þ][\w'’.-]+(?: [A-ZÀ-Þ][\w'’.-]+){1,3}"
_BIO = re.compile(  # a name, then a role: "writes about", "covers", "is a reporter", "schreibt im Ressort" ...
    rf"^(?P<name>{_NAME}) (?i:writes (about|for|on)|covers|reports on|is an? (staff |senior )?(reporter|"
    r"correspondent|journalist|writer|editor)|schreibt (über|für|im|in der|seit)|berichtet (über|für|aus)|"
    r"ist (redakteur|redakteurin|korrespondent|korrespondentin|reporter|reporterin)|est (journaliste|rédacteur|"
    r"rédactrice|correspondant|correspondante|reporter)|couvre|écrit (sur|pour|dans)|escribe (sobre|para|en)|"
    r"cubre|es (periodista|redactor|redactora|corresponsal|reportero|reportera))\b"
)
_AUTHOR_LINK = re.compile(
    r"^(alle artikel|alle beiträge|all (articles|posts|stories)|more (articles|stories) (by|from) .{1,40}|"
    r"view all (posts|articles) by .{1,40}|tous (ses|les) articles( de .{1,40})?|voir tous (ses|les) articles|"
    r"todos (sus|los) artículos|más artículos de .{1,40}|mehr von .{1,40}|weitere artikel von .{1,40})$",
    _I,
)
_AUTHOR_BOX_DEPTH = 4  # an author box is among the last blocks of the body
_TRAILING_CREDIT = re.compile(
    r"\s*(\((AP|AFP|Reuters|Getty Images)( Photo)?[/ ][^)]{0,60}\)|(Photo|Image|Picture)( credit)?\s*:\s*[^.]{0,60}"
    r"|\((Photo|Foto|Bild|Image)\s*:\s*[^)]{0,60}\))$",
    _I,
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_DATE_LINE = re.compile(
    rf"^((published|updated|posted)( on)?\s*:?\s*)?({_MONTHS})\.? \d{{1,2}},? \d{{4}}\b.{{0,30}}$", _I
)
_DEK_MAX = 80  # words: a dek or standfirst is shorter than this
_DATELINE_ROOM = 80  # characters of dateline allowed before a repeated dek inside the lede
_TITLE_ECHO_MIN = 5  # words: a headline this long repeated inside the body is an echo, not prose


def _norm(line: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", line.lower()).split())


def _is_boilerplate(line: str) -> bool:
    """A short line that one of the line patterns matches, or that is an agency label or an "Updated" stamp."""
    return len(line.split()) <= _SHORT and _is_short_boilerplate(line)


def _is_short_boilerplate(line: str) -> bool:
    return (
        _ANCHORED.match(line) is not None
        or any(p.search(line) for p in _UNANCHORED)
        or _AGENCY_LABEL.match(line) is not None
        or _UPDATED.match(line) is not None
    )


def _repeats_lede(line: str, following: str | None) -> bool:
    """A dek or standfirst repeating the lede: its text (trailing ellipsis cut) opens the next paragraph, after
    at most a dateline ("HERAT (AFP) - …", "BUENAVENTURA.- …"). Safe: a paragraph never restates the next."""
    if following is None or line == following or len(line.split()) > _DEK_MAX:
        return False
    opening = _norm(line.rstrip(" .…").removesuffix("..."))
    if len(opening) <= 40:
        return False
    at = _norm(following).find(opening)
    return 0 <= at <= _DATELINE_ROOM


def _is_header_echo(line: str, following: str | None, echoes: set[str]) -> bool:
    """A header element repeated at the top of the body: the headline, a date line, a section label, or a
    standfirst that merely repeats (truncated) the opening of the next paragraph."""
    if _norm(line) in echoes or _DATE_LINE.match(line):
        return True
    if len(line.split()) <= 2 and line.isupper():
        return True
    return _repeats_lede(line, following)


def _author_box(lines: Sequence[str]) -> set[int]:
    """Indexes of an author box among the last lines: a bio ("<Name> schreibt über …"), the bare name line
    just above it, and "All articles" links. Only at the tail, only with a role verb after the name."""
    found: set[int] = set()
    start = max(0, len(lines) - _AUTHOR_BOX_DEPTH)
    for i in range(start, len(lines)):
        line = lines[i]
        if _AUTHOR_LINK.match(line):
            found.add(i)
            continue
        bio = _BIO.match(line)
        if bio and len(line.split()) <= _SHORT:
            found.add(i)
            if i > 0 and lines[i - 1] == bio["name"]:
                found.add(i - 1)
    return found


def clean_blocks(
    blocks: Iterable[str], *, title: str | None = None, titles: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """Split a body's blocks into those kept and those dropped as boilerplate, both in order.

    ``title`` (and any other ``titles`` the page is known by) are the headline, dropped where the body
    repeats it. Blocks are whitespace-normalised and empty ones dropped first."""
    lines = [b for b in (" ".join(block.split()) for block in blocks) if b]
    kept, dropped = clean_lines(lines, titles=(title, *titles))
    return kept, [lines[i] for i in dropped]


def clean_lines(lines: Sequence[str], *, titles: Iterable[str | None] = ()) -> tuple[list[str], list[int]]:
    """:func:`clean_blocks` on normalised, non-empty lines: the kept lines (a trailing photo credit cut from
    some) and the indexes of the dropped ones, ascending."""
    echoes = {_norm(t) for t in titles if t and _norm(t)}
    long_echoes = {e for e in echoes if len(e.split()) >= _TITLE_ECHO_MIN}
    longest_echo = max((len(e.split()) for e in long_echoes), default=0)
    dropped_at = _author_box(lines)
    kept: list[tuple[int, str]] = []
    dropped: list[int] = []
    in_related = False
    for i, line in enumerate(lines):
        if in_related and _LIST_ITEM.match(line):
            dropped.append(i)
            continue
        in_related = False
        words = line.count(" ") + 1
        if (
            (not kept and _is_header_echo(line, lines[i + 1] if i + 1 < len(lines) else None, echoes))
            or i in dropped_at
            or (words <= _SHORT and _is_short_boilerplate(line))
            or (words <= longest_echo and _norm(line) in long_echoes)
        ):
            dropped.append(i)
            in_related = bool(_RELATED_HEADING.match(line))
            continue
        if line.endswith(")") or ":" in line[-80:]:  # cheap guard: a trailing credit needs one of these
            stripped = _TRAILING_CREDIT.sub("", line)
            if stripped != line and len(stripped.split()) >= 3:
                line = stripped
        kept.append((i, line))
    while kept and _is_boilerplate(kept[-1][1]):
        dropped.append(kept.pop()[0])
    return [line for _, line in kept], sorted(dropped)


def clean_body(text: str, *, title: str | None = None) -> tuple[str, int]:
    """Return the cleaned body (paragraphs joined by blank lines) and how many lines were dropped."""
    kept, removed = clean_blocks(text.splitlines(), title=title)
    return "\n\n".join(kept), len(removed)


__all__ = ["clean_blocks", "clean_body", "clean_lines"]
