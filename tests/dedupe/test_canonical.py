"""dedupe.canonical.choose_canonical: each step of the policy, and the reason it gives."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from dedupe import Canonical, Member, choose_canonical
from dedupe.canonical import parse_policy

T0 = datetime(2021, 8, 12, 15, 0, tzinfo=UTC)


def member(
    id_: str, words: int = 500, minutes: int | None = 0, *, own: bool = False, when: datetime | None = None
) -> Member:
    published = when if when is not None else (None if minutes is None else T0 + timedelta(minutes=minutes))
    return Member(id_, words, published, own_copy=own)


def test_no_members_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one member"):
        choose_canonical([])


@pytest.mark.parametrize("published", [T0, None])
def test_only_version(published: datetime | None) -> None:
    assert choose_canonical([Member("a", 10, published)]) == Canonical("a", "only version")


def test_most_complete_wins() -> None:
    members = [member("a", 500, 0), member("b", 812, 60), member("c", 300, -30)]
    assert choose_canonical(members) == Canonical("b", "most complete: 812 words (next 500)")


def test_most_complete_beats_own_copy_and_earliest() -> None:
    members = [member("a", 500, 0, own=True), member("b", 600, 60)]
    assert choose_canonical(members) == Canonical("b", "most complete: 600 words (next 500)")


@pytest.mark.parametrize(
    ("other_words", "equally_complete"),
    [(950, True), (951, True), (1000, True), (949, False), (500, False)],
)
def test_completeness_tolerance(other_words: int, equally_complete: bool) -> None:
    """Within 5 % of the longest counts as equally complete; the earlier one then wins."""
    members = [member("late-long", 1000, 60), member("early", other_words, 0)]
    got = choose_canonical(members, tolerance=0.05)
    if equally_complete:
        assert got.id == "early"
        assert got.reason.startswith("earliest published")
    else:
        assert got == Canonical("late-long", f"most complete: 1000 words (next {other_words})")


def test_tolerance_is_a_parameter() -> None:
    members = [member("late-long", 1000, 60), member("early", 900, 0)]
    assert choose_canonical(members, tolerance=0.05).id == "late-long"
    assert choose_canonical(members, tolerance=0.10).id == "early"
    assert choose_canonical(members, tolerance=0.0).id == "late-long"


def test_stray_caption_does_not_outweigh_an_earlier_copy() -> None:
    members = [member("agency", 546, 0), member("outlet", 552, 30)]  # six words of caption more
    assert choose_canonical(members).id == "agency"


def test_agency_own_copy_among_equally_complete() -> None:
    members = [member("outlet", 546, 0), member("agency", 540, 30, own=True), member("other", 546, 10)]
    assert choose_canonical(members) == Canonical("agency", "agency's own copy among 3 equally complete versions")


def test_own_copy_that_is_not_complete_does_not_count() -> None:
    members = [member("outlet", 800, 10), member("agency", 500, 0, own=True), member("other", 800, 20)]
    got = choose_canonical(members)
    assert got.id == "outlet"
    assert got.reason == "earliest published (2021-08-12 15:10 UTC) among 2 equally complete versions"


def test_several_own_copies_fall_back_to_earliest_among_them() -> None:
    members = [
        member("outlet", 500, 0),
        member("own-late", 500, 30, own=True),
        member("own-early", 500, 20, own=True),
    ]
    assert choose_canonical(members) == Canonical(
        "own-early", "earliest published (2021-08-12 15:20 UTC) among 2 equally complete versions"
    )


def test_earliest_published_among_equally_complete() -> None:
    members = [member("b", 500, 40), member("a", 500, 50), member("c", 500, 5)]
    assert choose_canonical(members) == Canonical(
        "c", "earliest published (2021-08-12 15:05 UTC) among 3 equally complete versions"
    )


def test_undated_versions_come_last() -> None:
    members = [member("a-undated", 500, None), member("z-dated", 500, 600)]
    assert choose_canonical(members) == Canonical(
        "z-dated", "earliest published (2021-08-13 01:00 UTC) among 2 equally complete versions"
    )


def test_lowest_id_breaks_a_tie_of_publication_time() -> None:
    members = [member("b", 500, 0), member("c", 500, 0), member("a", 500, 0), member("d", 500, 30)]
    assert choose_canonical(members) == Canonical("a", "lowest id among 3 equally complete versions published together")


def test_lowest_id_breaks_a_tie_of_undated_versions() -> None:
    members = [member("b", 500, None), member("a", 500, None)]
    got = choose_canonical(members)
    assert got.id == "a"
    assert got.reason.startswith("lowest id among 2 equally complete versions")


def test_choice_does_not_depend_on_member_order() -> None:
    members = [
        member("d", 500, 30),
        member("b", 497, 0),
        member("a", 499, 0),
        member("c", 300, -60, own=True),
        member("e", 501, None),
    ]
    choices = {choose_canonical(list(order)) for order in itertools.permutations(members)}
    assert choices == {Canonical("a", "lowest id among 2 equally complete versions published together")}


def test_naive_and_aware_times_compare() -> None:
    members = [Member("aware", 500, T0), Member("naive", 500, datetime(2021, 8, 12, 14, 0))]
    assert choose_canonical(members).id == "naive"


def test_earliest_compares_instants_not_wall_clocks() -> None:
    kabul = timezone(timedelta(hours=4, minutes=30))
    members = [
        Member("utc", 500, datetime(2021, 8, 12, 8, 0, tzinfo=UTC)),
        Member("kabul", 500, datetime(2021, 8, 12, 12, 0, tzinfo=kabul)),  # 07:30 UTC
    ]
    assert choose_canonical(members) == Canonical(
        "kabul", "earliest published (2021-08-12 07:30 UTC) among 2 equally complete versions"
    )


# -- configurable policies -------------------------------------------------------------------------


def test_latest_policy_prefers_the_newest_version() -> None:
    members = [member("first", 500, 0), member("update", 510, 90), member("trim", 200, 120)]
    got = choose_canonical(members, policy=("latest",))
    assert got == Canonical("trim", "latest published (2021-08-12 17:00 UTC) among 3 versions")
    got = choose_canonical(members, policy=("complete", "latest"))
    assert got == Canonical("update", "latest published (2021-08-12 16:30 UTC) among 2 equally complete versions")


def test_agency_first_policy() -> None:
    members = [member("outlet", 900, 0), member("agency", 500, 30, own=True)]
    assert choose_canonical(members).id == "outlet"
    got = choose_canonical(members, policy=("agency", "complete"))
    assert got == Canonical("agency", "agency's own copy among 2 versions")


def test_widest_picks_the_copy_carried_most() -> None:
    members = [
        Member("ap", 700, T0, versions=6),
        Member("afp", 650, T0, versions=3),
        Member("blend", 900, T0 + timedelta(hours=3), versions=1),
    ]
    assert choose_canonical(members, policy=("widest", "complete")) == Canonical(
        "ap", "most widely carried: 6 versions (next 3)"
    )
    assert choose_canonical(members, policy=("complete", "widest")).id == "blend"


def test_ties_on_every_criterion_name_them_all() -> None:
    members = [Member("b", 500, T0, versions=2), Member("a", 500, T0, versions=2)]
    got = choose_canonical(members, policy=("widest", "complete", "earliest"))
    assert got == Canonical(
        "a", "lowest id among 2 equally widely carried and equally complete versions published together"
    )


@pytest.mark.parametrize(
    ("text", "policy"),
    [("complete,agency,earliest", ("complete", "agency", "earliest")), (" Latest , complete ", ("latest", "complete"))],
)
def test_parse_policy(text: str, policy: tuple[str, ...]) -> None:
    assert parse_policy(text) == policy


@pytest.mark.parametrize(
    ("text", "message"), [("", "comma-separated"), ("newest", "unknown: newest"), ("complete,complete", "twice")]
)
def test_parse_policy_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_policy(text)
