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
