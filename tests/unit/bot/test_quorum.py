"""The quorum rule for showing a confidential reporter's name (bot.quorum), as properties.

Members are small integers; the committee is 0..9. A case keeps some of them away (not in
`allowed`); votes are cast by anyone, allowed or not, at any time around the request's window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.quorum import MINIMUM, WINDOW, Outcome, Vote, effective_quorum, tally

ASKED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
committee = st.frozensets(st.integers(0, 9), max_size=10)
offsets = st.integers(-2 * 24 * 3600, 10 * 24 * 3600).map(lambda s: ASKED + timedelta(seconds=s))
votes = st.lists(st.builds(Vote, st.integers(0, 9), st.booleans(), offsets), max_size=25)
setting = st.integers(MINIMUM, 12)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, object]:
    allowed = draw(committee)
    requester = draw(st.sampled_from(sorted(allowed)) if allowed else st.integers(0, 9))
    return {"allowed": allowed, "requester": requester, "votes": draw(votes),
            "requested_at": ASKED, "now": draw(offsets), "setting": draw(setting)}


@given(requests())
@settings(max_examples=400)
def test_the_quorum_is_never_fewer_than_two_nor_more_than_the_members_allowed(
        request: dict[str, object]) -> None:
    result = tally(**request)  # type: ignore[arg-type]
    allowed = request["allowed"]
    assert isinstance(allowed, frozenset)
    if len(allowed) < MINIMUM:
        assert result.outcome is Outcome.IMPOSSIBLE and result.quorum is None
        assert not result.revealed
    else:
        assert result.quorum is not None
        assert MINIMUM <= result.quorum <= len(allowed)
    if result.revealed:
        assert len(result.agreed) >= MINIMUM


@given(requests())
@settings(max_examples=400)
def test_an_excluded_member_is_never_counted(request: dict[str, object]) -> None:
    result = tally(**request)  # type: ignore[arg-type]
    allowed = request["allowed"]
    assert isinstance(allowed, frozenset)
    assert result.agreed <= allowed and result.declined <= allowed


@given(requests())
@settings(max_examples=400)
def test_a_member_is_never_counted_twice(request: dict[str, object]) -> None:
    # Given the same votes cast again (a member voting many times)
    vote_list = request["votes"]
    assert isinstance(vote_list, list)
    doubled = {**request, "votes": vote_list + vote_list}
    # Then nothing changes: agreement is a set of distinct members
    assert tally(**request) == tally(**doubled)  # type: ignore[arg-type]
    result = tally(**request)  # type: ignore[arg-type]
    assert not result.agreed & result.declined


@given(requests())
@settings(max_examples=400)
def test_a_vote_outside_the_seven_days_reveals_nothing(request: dict[str, object]) -> None:
    vote_list = request["votes"]
    assert isinstance(vote_list, list)
    late = [v for v in vote_list if not ASKED <= v.at < ASKED + WINDOW]
    without_late = tally(**{**request, "votes": [v for v in vote_list if v not in late]})  # type: ignore[arg-type]
    assert tally(**request) == without_late  # type: ignore[arg-type]


@given(requests(), st.integers(0, 3 * 24 * 3600))
@settings(max_examples=400)
def test_past_seven_days_without_a_quorum_the_request_lapsed_and_reveals_nothing(
        request: dict[str, object], after: int) -> None:
    at_end = tally(**{**request, "now": ASKED + WINDOW - timedelta(microseconds=1)})  # type: ignore[arg-type]
    later = tally(**{**request, "now": ASKED + WINDOW + timedelta(seconds=after)})  # type: ignore[arg-type]
    if not at_end.revealed:
        assert not later.revealed
        assert later.outcome in {Outcome.LAPSED, Outcome.DECLINED, Outcome.IMPOSSIBLE}
    else:
        assert later.revealed  # once reached in time, it stays reached


@given(requests(), st.builds(Vote, st.integers(0, 9), st.booleans(), offsets))
@settings(max_examples=600)
def test_adding_a_vote_never_turns_revealed_into_not_revealed(
        request: dict[str, object], vote: Vote) -> None:
    vote_list = request["votes"]
    assert isinstance(vote_list, list)
    before = tally(**request)  # type: ignore[arg-type]
    for position in (0, len(vote_list)):
        more = [*vote_list[:position], vote, *vote_list[position:]]
        after = tally(**{**request, "votes": more})  # type: ignore[arg-type]
        if before.revealed:
            assert after.revealed
        assert before.agreed <= after.agreed


@given(committee, setting)
def test_the_one_who_asks_alone_never_reveals(allowed: frozenset[int], quorum: int) -> None:
    for requester in allowed:
        result = tally(allowed=allowed, requester=requester, votes=[], requested_at=ASKED,
                       now=ASKED + timedelta(hours=1), setting=quorum)
        assert not result.revealed


def test_a_second_allowed_member_agreeing_reveals_with_the_default_quorum() -> None:
    agreed = [Vote(2, True, ASKED + timedelta(days=1))]
    result = tally(allowed={1, 2, 3}, requester=1, votes=agreed, requested_at=ASKED,
                   now=ASKED + timedelta(days=1), setting=2)
    assert result.outcome is Outcome.REVEALED and result.agreed == {1, 2}


def test_an_excluded_members_agreement_does_not_reveal() -> None:
    agreed = [Vote(4, True, ASKED + timedelta(days=1))]  # 4 is kept away from the case
    result = tally(allowed={1, 2, 3}, requester=1, votes=agreed, requested_at=ASKED,
                   now=ASKED + timedelta(days=1), setting=2)
    assert result.outcome is Outcome.WAITING and result.needed == 1


def test_declines_beyond_reach_close_the_request() -> None:
    declines = [Vote(2, False, ASKED + timedelta(hours=1)), Vote(3, False, ASKED)]
    result = tally(allowed={1, 2, 3}, requester=1, votes=declines, requested_at=ASKED,
                   now=ASKED + timedelta(hours=2), setting=2)
    assert result.outcome is Outcome.DECLINED


def test_the_setting_is_bounded_by_the_members_allowed() -> None:
    assert effective_quorum(5, 3) == 3
    assert effective_quorum(2, 9) == 2
    assert effective_quorum(3, 1) is None
    assert effective_quorum(2, 0) is None
    result = tally(allowed={1}, requester=1, votes=[], requested_at=ASKED, now=ASKED, setting=2)
    assert result.outcome is Outcome.IMPOSSIBLE


def test_a_vote_after_seven_days_does_not_count() -> None:
    late = [Vote(2, True, ASKED + WINDOW)]
    result = tally(allowed={1, 2}, requester=1, votes=late, requested_at=ASKED,
                   now=ASKED + WINDOW + timedelta(hours=1), setting=2)
    assert result.outcome is Outcome.LAPSED and not result.revealed


# --- a request keeps the quorum in force when it was made ---------------------------------------


@st.composite
def kept_away_after(draw: st.DrawFn) -> tuple[dict[str, object], frozenset[int]]:
    """A request, and the members still allowed after the chair kept some away."""
    request = draw(requests())
    allowed = request["allowed"]
    assert isinstance(allowed, frozenset)
    still = draw(st.frozensets(st.sampled_from(sorted(allowed)))) if allowed else frozenset()
    return request, still


@given(kept_away_after())
@settings(max_examples=400)
def test_keeping_members_away_after_a_request_never_lowers_its_quorum(
        case: tuple[dict[str, object], frozenset[int]]) -> None:
    request, still = case
    allowed, setting = request["allowed"], request["setting"]
    assert isinstance(allowed, frozenset) and isinstance(setting, int)
    floor = effective_quorum(setting, len(allowed))
    later = tally(**{**request, "allowed": still, "floor": floor})  # type: ignore[arg-type]
    if later.quorum is not None and floor is not None:
        assert later.quorum >= floor
    if later.revealed:
        # revealed only by at least the quorum in force when it was made, every one still allowed
        assert floor is not None and len(later.agreed) >= floor and later.agreed <= still
    # nobody kept away: the floor changes nothing
    assert tally(**{**request, "floor": floor}) == tally(**request)  # type: ignore[arg-type]
