"""Wire-agency credits and bylines."""

from __future__ import annotations

import pytest

from ingest.credits import agency_code, clean_byline, credited_agencies


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("AP", "AP"),
        ("The Associated Press", "AP"),
        ("associated press", "AP"),
        ("AFP", "AFP"),
        ("Agence France-Presse", "AFP"),
        ("Agence France Presse", "AFP"),
        ("Reuters", "Reuters"),
        ("Thomson Reuters", "Reuters"),
        ("  reuters ", "Reuters"),
        ("Bloomberg", None),
        ("", None),
    ],
)
def test_agency_code(name: str, code: str | None) -> None:
    assert agency_code(name) == code


@pytest.mark.parametrize(
    ("text", "agencies"),
    [
        ("KABUL, Afghanistan (AP) — The Taliban seized Herat.", ("AP",)),
        ("Herat (Afghanistan) (AFP) - The Taliban have taken over Herat.", ("AFP",)),
        ("TOKYO, Aug 19 (Reuters) - Toyota will cut output.", ("Reuters",)),
        ("WASHINGTON ( The Associated Press ) — Officials said.", ("AP",)),
        ("“We had to leave the city,” the security source told AFP on Thursday.", ("AFP",)),
        ("The deal was on the table, according to Reuters.", ("Reuters",)),
        ("The figures were reported by Agence France-Presse.", ("AFP",)),
        ("The ministry said so.\nSource: AP", ("AP",)),
        ("The ministry said so.\n  source : Reuters", ("Reuters",)),
        ("The ministry said so.\nVia: AFP", ("AFP",)),
    ],
)
def test_credits(text: str, agencies: tuple[str, ...]) -> None:
    assert credited_agencies(text) == agencies


@pytest.mark.parametrize(
    "text",
    [
        "Reuters reported that the city fell.",
        "The Associated Press reported heavy fighting.",
        "An AFP photographer saw smoke over the city.",
        "He said the AP story was accurate.",
        "A spokesman declined to comment to reporters, citing Reuters and AFP coverage.",
        "The ministry cited a source: AP reporting was wrong.",  # "Source:" only counts at a line start
        "(AP Photo/Rahmat Gul)",
        "",
    ],
)
def test_mentions_are_not_credits(text: str) -> None:
    assert credited_agencies(text) == ()


def test_credits_in_order_of_first_credit() -> None:
    text = (
        "Taliban have taken Herat. (AP)\n\nThe security source told AFP on Thursday.\n\n"
        "Later, government sources told AFP more. (AP)\n\nThe envoy told Reuters."
    )
    assert credited_agencies(text) == ("AP", "AFP", "Reuters")


def test_order_follows_position_not_agency() -> None:
    assert credited_agencies("He told AFP. KABUL (AP) — more.") == ("AFP", "AP")


def test_metadata_names_come_after_the_text() -> None:
    assert credited_agencies("Herat (AFP) - text", extra=("Reuters", None, "")) == ("AFP", "Reuters")


@pytest.mark.parametrize(
    ("byline", "agencies"),
    [
        ("By Daniel Okafor, The Associated Press", ("AP",)),
        ("Samir Wardak | AP", ("AP",)),
        ("By Agence France-Presse", ("AFP",)),
        ("Staff and agencies", ()),
        ("By Reuters staff", ()),  # "Reuters staff" is not the bare agency name
    ],
)
def test_credits_from_metadata(byline: str, agencies: tuple[str, ...]) -> None:
    assert credited_agencies("An unattributed story.", extra=(byline,)) == agencies


def test_duplicate_credits_once() -> None:
    assert credited_agencies("(AP) x (AP) y", extra=("The Associated Press",)) == ("AP",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("By Rahim Faiez and Kathy Gannon", "Rahim Faiez, Kathy Gannon"),
        ("by Rahim Faiez & Kathy Gannon", "Rahim Faiez, Kathy Gannon"),
        ("By Rahim Faiez; Kathy Gannon Source AP", "Rahim Faiez, Kathy Gannon"),
        ("Rahim Faiez, Kathy Gannon", "Rahim Faiez, Kathy Gannon"),
        ("Samir Wardak | AP", "Samir Wardak"),
        ("Daniel Okafor The Associated Press", "Daniel Okafor"),
        ("Daniel Okafor, Associated Press", "Daniel Okafor"),
        ("Jane Doe, Agence France-Presse", "Jane Doe"),
        ("Jane Doe AFP", "Jane Doe"),
        ("Jane Doe via Reuters", "Jane Doe"),
        ("Hiroshi Tanabe Thomson Reuters", "Hiroshi Tanabe"),
        ("  By  Caroline Mercer  ", "Caroline Mercer"),
        ("By Samir Wardak and Samir Wardak", "Samir Wardak"),
        ("Marie-Claude Fénelon", "Marie-Claude Fénelon"),
    ],
)
def test_clean_byline(raw: str, expected: str) -> None:
    assert clean_byline(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "The Associated Press", "AFP", "Reuters", "Reuters Staff", "Staff", "Wire desk", "Source AP"],
)
def test_clean_byline_without_names(raw: str | None) -> None:
    assert clean_byline(raw) is None


def test_clean_byline_drops_overlong_parts() -> None:
    """A sentence is not a name."""
    assert clean_byline("Compiled from reports by our correspondents across the region today") is None


def test_clean_byline_of_a_bare_by() -> None:
    assert clean_byline("By ") is None


def test_clean_byline_keeps_a_name_with_a_location() -> None:
    assert clean_byline("By Shoaib Rahimi with Claire Dufour in Kabul") == "Shoaib Rahimi, Claire Dufour"
