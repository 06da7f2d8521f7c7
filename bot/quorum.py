"""The quorum rule for showing a confidential reporter's name (issue 24), as a pure function.

Given the members allowed on the case (those a case keeps away are not), the votes cast on a
request, the request's time, `now` and the configured quorum (`CANDOR_REVEAL_QUORUM`), `tally`
says whether the name is to be shown, is still waiting, can no longer be (too many declined), or
the request lapsed. The quorum is never fewer than 2 (no one member alone can reveal) and never
more than the members allowed on the case when the request was made, nor lower than the quorum in
force then (`floor`: members kept away afterwards do not lower it); with fewer than 2 allowed, no
quorum is possible.

Agreement counts only distinct allowed members (the member who asked counts as agreeing), never
one kept away, never one twice, only within `WINDOW` of the request. A member who agreed stays
counted whatever they cast after (a vote is never taken back), so adding a vote never turns a
revealed outcome into another one.

Pure: takes `now`, touches nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

MINIMUM = 2  # one member alone is never enough
WINDOW = timedelta(days=7)  # agreement counts only within this long of the request


class Outcome(StrEnum):
    REVEALED = "revealed"  # enough distinct allowed members agreed in time
    WAITING = "waiting"  # not yet enough; still reachable, still in time
    DECLINED = "declined"  # so many declined that the quorum can no longer be reached
    LAPSED = "lapsed"  # the window ended without a quorum
    IMPOSSIBLE = "impossible"  # fewer than MINIMUM members are allowed on the case


@dataclass(frozen=True)
class Vote:
    member: int
    agree: bool
    at: datetime


@dataclass(frozen=True)
class Tally:
    outcome: Outcome
    quorum: int | None  # None when no quorum is possible
    agreed: frozenset[int]  # the allowed members counted as agreeing (the one who asked included)
    declined: frozenset[int]  # the allowed members who declined and never agreed
    lapses_at: datetime

    @property
    def revealed(self) -> bool:
        return self.outcome is Outcome.REVEALED

    @property
    def needed(self) -> int:
        """How many more agreements the quorum needs (0 once reached or impossible)."""
        return 0 if self.quorum is None else max(0, self.quorum - len(self.agreed))


def effective_quorum(setting: int, allowed: int) -> int | None:
    """max(MINIMUM, min(setting, allowed)); None when fewer than MINIMUM members are allowed."""
    if allowed < MINIMUM:
        return None
    return max(MINIMUM, min(setting, allowed))


def lapses_at(requested_at: datetime) -> datetime:
    return requested_at + WINDOW


def in_window(at: datetime, requested_at: datetime) -> bool:
    return requested_at <= at < lapses_at(requested_at)


def tally(*, allowed: Collection[int], requester: int, votes: Iterable[Vote],
          requested_at: datetime, now: datetime, setting: int,
          floor: int | None = None) -> Tally:
    """Where a request to reveal stands at `now`. `floor` is the quorum in force when the request
    was made: the quorum never falls below it (keeping members away after a request cannot lower
    the bar for the agreements it already has; if too few are left to reach it, the request can
    no longer succeed, and a new one starts from nothing)."""
    members = frozenset(allowed)
    end = lapses_at(requested_at)
    counted = [v for v in votes
               if v.member in members and in_window(v.at, requested_at) and v.at <= now]
    agreed = frozenset({v.member for v in counted if v.agree}
                       | ({requester} if requester in members else set()))
    declined = frozenset(v.member for v in counted if not v.agree) - agreed
    quorum = effective_quorum(setting, len(members))
    if quorum is None:
        return Tally(Outcome.IMPOSSIBLE, None, agreed, declined, end)
    quorum = max(quorum, floor or 0)
    if len(agreed) >= quorum:
        outcome = Outcome.REVEALED
    elif len(members - declined) < quorum:
        outcome = Outcome.DECLINED
    elif now >= end:
        outcome = Outcome.LAPSED
    else:
        outcome = Outcome.WAITING
    return Tally(outcome, quorum, agreed, declined, end)
