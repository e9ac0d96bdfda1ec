"""Residual boilerplate removal, filter by filter."""

from __future__ import annotations

import pytest

from ingest.cleanup import clean_body

LEDE = (
    "KABUL, Afghanistan (AP) — The Taliban seized Herat, Afghanistan’s third-largest city, on Thursday after "
    "pushing into its center from three directions, officials said."
)
SECOND = "Fighters raised the Taliban’s white flag over the governor’s office, a provincial council member said."
LAST = "The U.S. Embassy in Kabul on Thursday renewed its call for Americans to leave the country immediately."


def _between(line: str) -> str:
    return f"{LEDE}\n\n{line}\n\n{SECOND}\n\n{LAST}"


def _assert_dropped(line: str) -> None:
    text, dropped = clean_body(_between(line))
    assert text == f"{LEDE}\n\n{SECOND}\n\n{LAST}"
    assert dropped == 1


COMMENT_FORM = [
    "Leave a Reply",
    "Leave a comment",
    "Leave a Reply Cancel reply",
    "Your email address will not be published.",
    "Your email address will not be published. Required fields are marked *",
    "Required fields are marked *",
    "Save my name, email, and website in this browser for the next time I comment.",
    "Post Comment",
    "Submit a comment.",
    "Cancel reply",
    "2 thoughts on “After Ghazni, Taliban takes control of Herat”",
    "12 comments",
    "You must be logged in to post a comment.",
]
SHARE = [
    "Share this:",
    "Share this article",
    "Share this story!",
    "Share",
    "Share: Facebook Twitter Email Print",
    "Share on Facebook",
    "Share this: Twitter, Facebook, WhatsApp",
]
SUBSCRIBE = [
    "Subscribe",
    "Subscribe Now",
    "Subscribe — 50% off",
    "Support local journalism. Subscribe for $1 a week and get unlimited access to Harbor City Times.",
    "Sign up for our daily newsletter",
    "Newsletter",
    "Get the Morning Briefing in your inbox",
    "Get our weekly newsletter",
]
READ_MORE = [
    "READ MORE: Taliban take Herat, Afghanistan's third city",
    "Read more: Taliban take Kandahar",
    "Also read - Ghazni falls",
    "See also: Kabul airport",
    "Related",
    "Related coverage",
    "Related stories:",
    "You may also like",
    "Most read",
    "Trending now",
]
FOLLOW = ["Follow us on Facebook and Twitter for the latest updates.", "Follow us on Instagram"]
PHOTO_CREDIT = [
    "Photo credit: AP / File photo",
    "Photo: AFP / Getty Images",
    "Photo | Reuters",
    "Image credit: Reuters",
    "File photo: AP",
    "(Photo by Rahmat Gul/AP)",
    "Photos courtesy of the Herat governor's office",
]
OTHER = [
    "Advertisement",
    "Sponsored content",
    "We use cookies to personalize content and ads and to analyze our traffic.",
    "This website uses cookies to improve your experience.",
    "Click here to read the full report",
    "Source: AP",
    "Credit: Reuters",
]


@pytest.mark.parametrize("line", COMMENT_FORM)
def test_comment_form_lines(line: str) -> None:
    _assert_dropped(line)


@pytest.mark.parametrize("line", SHARE)
def test_share_lines(line: str) -> None:
    _assert_dropped(line)


@pytest.mark.parametrize("line", SUBSCRIBE)
def test_subscribe_prompts(line: str) -> None:
    _assert_dropped(line)


@pytest.mark.parametrize("line", READ_MORE)
def test_read_more_and_related(line: str) -> None:
    _assert_dropped(line)


@pytest.mark.parametrize("line", ["Read more", "READ MORE", "Read more »"])
def test_bare_read_more(line: str) -> None:
    _assert_dropped(line)


@pytest.mark.parametrize("line", FOLLOW)
def test_follow_us(line: str) -> None:
    _assert_dropped(line)


@pytest.mark.parametrize("line", PHOTO_CREDIT)
def test_photo_credit_lines(line: str) -> None:
    _assert_dropped(line)


@pytest.mark.parametrize("line", OTHER)
def test_other_boilerplate(line: str) -> None:
    _assert_dropped(line)


@pytest.mark.parametrize(
    "credit",
    [
        " (AP Photo/Rahmat Gul)",
        " (AFP/Getty Images)",
        " (Reuters/Stringer)",
        " (Getty Images/Paula Bronstein)",
        " Photo: Reuters",
        " Photo credit: AP / File",
        " Image: AFP",
    ],
)
def test_trailing_photo_credit_stuck_to_a_paragraph(credit: str) -> None:
    text, dropped = clean_body(f"{LEDE}\n\n{SECOND}{credit}\n\n{LAST}")
    assert text == f"{LEDE}\n\n{SECOND}\n\n{LAST}"
    assert dropped == 0  # the paragraph stays, only its tail goes


def test_trailing_credit_kept_when_little_would_remain() -> None:
    text, _ = clean_body(f"{LEDE}\n\nHerat. (AP Photo/Rahmat Gul)")
    assert text.endswith("Herat. (AP Photo/Rahmat Gul)")


@pytest.mark.parametrize("ending", [" (AFP)", " the official told AFP.", " (Reuters) -"])
def test_agency_credit_in_prose_is_not_a_photo_credit(ending: str) -> None:
    text, _ = clean_body(f"{LEDE}\n\n{SECOND}{ending}")
    assert text.endswith(ending.strip())


def test_leading_headline_echo() -> None:
    title = "Taliban seize Herat, Afghanistan’s 3rd-largest city"
    text, dropped = clean_body(f"{title}\n\n{LEDE}\n\n{SECOND}", title=title)
    assert text == f"{LEDE}\n\n{SECOND}"
    assert dropped == 1


def test_headline_echo_ignores_case_and_punctuation() -> None:
    text, _ = clean_body(f"TALIBAN SEIZE HERAT!\n\n{LEDE}", title="Taliban seize Herat")
    assert text == LEDE


def test_headline_only_dropped_at_the_top() -> None:
    title = "Taliban seize Herat"
    text, dropped = clean_body(f"{LEDE}\n\n{title}\n\n{SECOND}", title=title)
    assert text == f"{LEDE}\n\n{title}\n\n{SECOND}"
    assert dropped == 0


def test_no_title_no_echo() -> None:
    text, _ = clean_body(f"Taliban seize Herat\n\n{LEDE}")
    assert text.startswith("Taliban seize Herat")


@pytest.mark.parametrize(
    "line",
    [
        "August 12, 2021",
        "August 12, 2021 3:10 pm",
        "Published August 12, 2021 at 4:30 pm",
        "Posted: August 12, 2021 3:40 pm",
        "Updated on August 12, 2021 9:05 pm EDT",
        "WORLD",
        "NATION WORLD",
    ],
)
def test_leading_date_line_and_section_label(line: str) -> None:
    text, dropped = clean_body(f"{line}\n\n{LEDE}\n\n{SECOND}")
    assert text == f"{LEDE}\n\n{SECOND}"
    assert dropped == 1


@pytest.mark.parametrize("line", ["Aug. 12, 2021 3:10 p.m.", "Published Sept. 1, 2021"])
def test_leading_abbreviated_date_line(line: str) -> None:
    text, _ = clean_body(f"{line}\n\n{LEDE}")
    assert text == LEDE


def test_several_header_echoes_in_a_row() -> None:
    title = "Taliban seize Herat"
    text, dropped = clean_body(f"WORLD\n\n{title}\n\nAugust 12, 2021 3:10 pm\n\n{LEDE}", title=title)
    assert text == LEDE
    assert dropped == 3


def test_date_line_later_in_the_body_is_kept() -> None:
    text, _ = clean_body(f"{LEDE}\n\nAugust 12, 2021\n\n{SECOND}")
    assert "August 12, 2021" in text


def test_long_paragraph_mentioning_subscribe_survives() -> None:
    paragraph = (
        "Subscribe now, the council was told, or lose the service: residents who do not subscribe to the new "
        "emergency text alerts by the end of the month will no longer receive warnings about wildfires, floods "
        "and road closures, the county's emergency manager said on Tuesday, adding that the old phone tree "
        "would be retired."
    )
    assert len(paragraph.split()) > 30
    text, dropped = clean_body(f"{LEDE}\n\n{paragraph}\n\n{SECOND}")
    assert text == f"{LEDE}\n\n{paragraph}\n\n{SECOND}"
    assert dropped == 0


@pytest.mark.parametrize(
    "line",
    [
        "Residents can subscribe to text alerts from the county.",
        "Share prices fell 3% in Karachi.",
        "Related talks in Doha stalled on Thursday.",
        "Follow-up talks are planned for next week.",
        "Sources said the deal had collapsed.",
    ],
)
def test_short_real_sentences_survive(line: str) -> None:
    text, dropped = clean_body(_between(line))
    assert line in text
    assert dropped == 0


def test_normalises_whitespace_and_blank_lines() -> None:
    text, dropped = clean_body(f"  {LEDE}  \n\n\n   \n{SECOND.replace(' ', '   ')}\n\t\n{LAST}\n")
    assert text == f"{LEDE}\n\n{SECOND}\n\n{LAST}"
    assert dropped == 0


def test_trailing_boilerplate_block() -> None:
    tail = "\n\n".join(["Share this:", "Leave a Reply", "Your email address will not be published.", "Subscribe"])
    text, dropped = clean_body(f"{LEDE}\n\n{SECOND}\n\n{tail}")
    assert text == f"{LEDE}\n\n{SECOND}"
    assert dropped == 4


def test_empty() -> None:
    assert clean_body("") == ("", 0)
    assert clean_body("\n\n  \n") == ("", 0)


# --- residue in French, German and Spanish, and the newer filters: each with prose it must leave alone ---


def _assert_kept(line: str) -> None:
    text, dropped = clean_body(_between(line))
    assert text == _between(line)
    assert dropped == 0


CROSS_LINKS = [
    "Lire aussi : Grève dans les transports lyonnais : métros à l’arrêt",
    "À lire aussi - Sécheresse dans la Drôme",
    "Le puede interesar: Transportadores bloquean el acceso al puerto de Buenaventura",
    "Lea también: Un sismo de magnitud 5,9 sacude el suroeste de Colombia",
    "Mehr zum Thema: Marode Mainbrücke gesperrt",
    "Lesen Sie auch: Warnstreik im Nahverkehr",
]
CROSS_LINK_PROSE = [
    "Lire aussi les conclusions du rapport permet de comprendre la colère des conducteurs, estime le syndicat.",
    "Le puede interesar a los inversores que el banco baje las tasas otra vez en octubre, dijo el analista.",
    "Mehr zum Thema Verkehr wollte der Sprecher der Stadt am Dienstag nicht sagen.",
]


@pytest.mark.parametrize("line", CROSS_LINKS)
def test_cross_links_in_other_languages(line: str) -> None:
    _assert_dropped(line)


@pytest.mark.parametrize("line", CROSS_LINK_PROSE)
def test_cross_link_phrases_in_prose_survive(line: str) -> None:
    _assert_kept(line)


@pytest.mark.parametrize(
    "line",
    [
        "Story continues below advertisement",
        "Article continues below advertisement",
        "La suite après la publicité",
        "Weiterlesen nach der Anzeige",
        "La nota continúa abajo",
    ],
)
def test_continues_below_advertisement(line: str) -> None:
    _assert_dropped(line)


def test_a_story_continuing_in_prose_survives() -> None:
    _assert_kept("The story continues below the surface, investigators said, where the mine shafts flooded in 1998.")


@pytest.mark.parametrize("line", ["Publicité", "Anzeige", "Werbung", "Publicidad", "Advertising"])
def test_ad_labels_in_other_languages(line: str) -> None:
    _assert_dropped(line)


def test_ad_words_in_prose_survive() -> None:
    _assert_kept("Anzeige gegen den Bürgermeister erstattet, teilte die Polizei am Montag mit.")
    _assert_kept("Publicidad engañosa: la superintendencia multó a la empresa por sus anuncios.")


@pytest.mark.parametrize(
    "line",
    [
        "Partager sur Facebook",
        "Partager : Facebook X WhatsApp",
        "Teilen",
        "Compartir en WhatsApp",
        "Envoyer par e-mail",
        "Copy link",
    ],
)
def test_share_bars_in_other_languages(line: str) -> None:
    _assert_dropped(line)


def test_share_verbs_in_prose_survive() -> None:
    _assert_kept("Partager les coûts entre les communes reste la priorité, a-t-il dit.")
    _assert_kept("Compartir la información con la Fiscalía fue la condición del acuerdo, dijo el ministro.")


@pytest.mark.parametrize(
    "line",
    [
        "Suscríbase a nuestro boletín",
        "Abonnez-vous",
        "Je m’abonne",
        "Jetzt abonnieren",
        "Newsletter Le Courrier du matin",
        "News from the territories and beyond, every Friday. Sign up for our free newsletter.",
        "Our climate team’s weekly guide to the science and politics of a warming planet. Sign up",
        "The best of the week, every Sunday. Subscribe now.",
    ],
)
def test_subscribe_prompts_and_newsletter_pitches(line: str) -> None:
    _assert_dropped(line)


@pytest.mark.parametrize(
    "line",
    [
        "Residents were told to sign up for the county's newsletter to receive alerts about road closures.",
        "Hundreds of volunteers lined up on Saturday to sign up.",
        "The mayor urged residents to subscribe.",
        "Los suscriptores del boletín recibirán la alerta por correo, dijo el ministerio.",
        "The newsletter, which the council mails every Friday, first reported the closure.",
    ],
)
def test_newsletter_words_in_prose_survive(line: str) -> None:
    _assert_kept(line)


@pytest.mark.parametrize(
    "line",
    [
        "Síganos en Google News y reciba las noticias más importantes del Pacífico.",
        "Suivez-nous sur Twitter",
        "Folgen Sie uns auf Instagram",
    ],
)
def test_follow_us_in_other_languages(line: str) -> None:
    _assert_dropped(line)


def test_follow_in_prose_survives() -> None:
    _assert_kept("Síganos, gritaban los manifestantes frente a la Gobernación del Valle.")


@pytest.mark.parametrize(
    "line",
    [
        "Copyright 2021 The Associated Press. All rights reserved. This material may not be published, broadcast, "
        "rewritten or redistributed without permission.",
        "© 2024 Le Courrier Rhodanien - Tous droits réservés",
        "Copyright © 2023 Reuters",
        "(c) 2022 dpa",
    ],
)
def test_copyright_lines(line: str) -> None:
    _assert_dropped(line)


def test_copyright_in_prose_survives() -> None:
    _assert_kept("Copyright lawyers said the ruling, issued in 2021, would reshape the music industry.")


@pytest.mark.parametrize("line", ["Foto: dpa", "Fotos: EFE / Archivo", "Crédit photo : AFP", "Bild: Stadt Frankfurt"])
def test_photo_credits_in_other_languages(line: str) -> None:
    _assert_dropped(line)


def test_photo_words_in_prose_survive() -> None:
    _assert_kept("Foto-Ausstellung im Römer eröffnet am Sonntag, sagte die Stadt.")


@pytest.mark.parametrize(
    "line",
    [
        "Commentaires",
        "Réservé aux abonnés. Abonnez-vous pour réagir.",
        "Kommentare (12)",
        "Comentarios",
        "Laisser un commentaire",
        "Deja un comentario",
        "Kommentar schreiben",
        "3 commentaires",
    ],
)
def test_comment_sections_in_other_languages(line: str) -> None:
    _assert_dropped(line)


def test_comments_in_prose_survive() -> None:
    _assert_kept("Comments by the minister drew criticism from the opposition on Wednesday.")
    _assert_kept("Commentaires et critiques se sont multipliés après la réunion, selon la préfecture.")


@pytest.mark.parametrize(
    "line", ["Listen to this article 3 min", "Écouter cet article", "Temps de lecture : 2 min", "5 min read"]
)
def test_listen_and_reading_time_widgets(line: str) -> None:
    _assert_dropped(line)


def test_listen_in_prose_survives() -> None:
    _assert_kept("Listen to this: the minister said the plan was dead before it reached parliament.")


@pytest.mark.parametrize("line", ["Associated Press", "Reuters", "Agence France-Presse", "The Associated Press", "dpa"])
def test_agency_label_lines(line: str) -> None:
    _assert_dropped(line)


def test_agency_in_prose_survives() -> None:
    _assert_kept("Reuters reported the deal on Tuesday.")


@pytest.mark.parametrize(
    "line", ["Updated", "Updated 10:30 a.m. EDT Oct. 15, 2023", "Mis à jour", "Aktualisiert", "Actualizado: 12/06/2024"]
)
def test_bare_updated_stamps(line: str) -> None:
    _assert_dropped(line)


def test_updated_in_prose_survives() -> None:
    _assert_kept("Updated figures released on Monday showed the toll had risen to 42.")


def test_headline_repeated_inside_the_body() -> None:
    title = "Riverside Marathon live: Kenya’s Koech breaks course record"
    text, dropped = clean_body(f"{LEDE}\n\n{title}\n\nUpdated\n\n{SECOND}", title=title)
    assert text == f"{LEDE}\n\n{SECOND}"
    assert dropped == 2


def test_dek_repeating_the_lede_after_its_dateline() -> None:
    dek = "The Taliban seized Herat, Afghanistan’s third-largest city, on Thursday after pushing into its center"
    text, dropped = clean_body(f"{dek}\n\n{LEDE}\n\n{SECOND}")
    assert text == f"{LEDE}\n\n{SECOND}"
    assert dropped == 1
    truncated = "The Taliban seized Herat, Afghanistan’s third-largest city, on Thursday after pushing into…"
    assert clean_body(f"{truncated}\n\n{LEDE}")[0] == LEDE


def test_a_lede_followed_by_another_paragraph_is_no_dek() -> None:
    opening = "The Taliban seized Herat on Thursday."
    _, dropped = clean_body(f"{opening}\n\n{LEDE}\n\n{SECOND}")  # too short to be taken for a dek
    assert dropped == 0
    _, dropped = clean_body(f"{SECOND}\n\n{LEDE}")
    assert dropped == 0


def test_related_list_after_its_heading() -> None:
    items = "\n\n".join(["- Transportadores bloquean el puerto", "- Un sismo sacude el suroeste de Colombia"])
    text, dropped = clean_body(f"{LEDE}\n\n{SECOND}\n\nMás noticias\n\n{items}")
    assert text == f"{LEDE}\n\n{SECOND}"
    assert dropped == 3


def test_a_list_in_the_story_survives() -> None:
    items = "- 12 people were killed\n\n- 40 were injured"
    text, dropped = clean_body(f"{LEDE}\n\nThe toll so far:\n\n{items}\n\n{SECOND}")
    assert text == f"{LEDE}\n\nThe toll so far:\n\n{items}\n\n{SECOND}"
    assert dropped == 0


def test_author_box_at_the_end() -> None:
    box = "Anna Kessler\n\nAnna Kessler schreibt im Ressort Frankfurt über Verkehr und den Römer.\n\nAlle Artikel"
    text, dropped = clean_body(f"{LEDE}\n\n{SECOND}\n\n{box}")
    assert text == f"{LEDE}\n\n{SECOND}"
    assert dropped == 3


@pytest.mark.parametrize(
    "bio",
    [
        "Ellen Markham is a staff reporter covering South Asia.",
        "Julien Morel est journaliste au service Transports.",
        "Andrés Mosquera escribe sobre el puerto y la economía del Pacífico.",
    ],
)
def test_author_bios_in_other_languages(bio: str) -> None:
    text, _ = clean_body(f"{LEDE}\n\n{SECOND}\n\n{bio}")
    assert text == f"{LEDE}\n\n{SECOND}"


def test_people_named_in_the_story_survive() -> None:
    profile = "Maria Lopez\n\nMaria Lopez, 34, lost her home in the flood and now sleeps at her sister's."
    text, dropped = clean_body(f"{LEDE}\n\n{SECOND}\n\n{profile}")
    assert text.endswith(profile)
    assert dropped == 0
    quoted = "Anna Kessler writes that the council ignored the warnings for years."
    text, dropped = clean_body(f"{LEDE}\n\n{SECOND}\n\n{quoted}")
    assert text.endswith(quoted)
    assert dropped == 0  # a name and a verb, but no role
    bio = "Anna Kessler writes about transport and the city hall."
    _, dropped = clean_body(f"{LEDE}\n\n{bio}\n\n{SECOND}\n\n{LAST}\n\n{LAST}\n\n{LAST}")
    assert dropped == 0  # not among the last lines: no author box


def test_clean_blocks_returns_what_it_dropped_in_order() -> None:
    from ingest.cleanup import clean_blocks

    kept, removed = clean_blocks(["Reuters", LEDE, "Advertisement", SECOND, "  ", "Share this:"], title=None)
    assert kept == [LEDE, SECOND]
    assert removed == ["Reuters", "Advertisement", "Share this:"]
