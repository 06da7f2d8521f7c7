"""What a sweep reads and what it returns, as data: the state of the world the reminder rules
read (`OfficerState`, `OpenCase`, `WaiverState`, `CommitteeMember`, `DraftState`) and the notices
they find due (`Due`, its `DueKind` and `Audience`; `Plan`, a whole sweep's).

Plain frozen values, no rules: the rules are `bot.schedule.reminders`'; `bot.sweep` fills the
states from the database and writes each `Due` to the outbox under its key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

# --- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficerState:
    person_id: int
    name: str
    due: date | None  # the next attestation due and not yet made; None when none is scheduled


@dataclass(frozen=True)
class OpenCase:
    report_id: str
    code: str
    category: str
    received_at: datetime
    acknowledged_at: datetime | None  # the committee's acknowledgement, sent on to the reporter
    last_feedback_at: datetime | None
    excluded_member_ids: frozenset[int] = frozenset()
    lead_id: int | None = None  # the member who leads it (bot.lead), never one kept away


@dataclass(frozen=True)
class WaiverState:
    waiver_id: str
    person_name: str
    granted_on: date
    disclosed_on: date | None


@dataclass(frozen=True)
class CommitteeMember:
    person_id: int
    chair: bool


@dataclass(frozen=True)
class DraftState:
    key: str
    updated_at: datetime


# --- outputs ---------------------------------------------------------------------------------


class DueKind(StrEnum):
    """What a notice is; the value is also the first part of its key."""

    ATTEST_REMIND = "attest-remind"
    ATTEST_OVERDUE = "attest-overdue"
    ATTEST_ESCALATE = "attest-escalate"
    UNACKED = "unacked"
    RECEIPT_DEADLINE = "receipt-deadline"
    FEEDBACK_DEADLINE = "feedback-deadline"
    WAIVER_DISCLOSE = "waiver-disclose"


class Recipient(StrEnum):
    CHANNEL = "channel"  # the private committee channel
    CHAIR = "chair"  # the committee chair, by direct message
    MEMBER = "member"  # one committee member, by direct message
    # Committee members by direct message, one notice for them all: whom it reaches is sealed in
    # it, so which members a case keeps away cannot be read from which notices exist.
    MEMBERS = "members"
    OFFICER = "officer"  # one Senior Financial Officer, by direct message


@dataclass(frozen=True)
class Audience:
    """Who reads a notice: the committee channel, one person (with their roster id), or some
    committee members (their roster ids, perhaps none)."""

    recipient: Recipient
    person_id: int | None = None
    person_ids: tuple[int, ...] = ()  # MEMBERS only

    def __post_init__(self) -> None:
        one = self.recipient not in (Recipient.CHANNEL, Recipient.MEMBERS)
        if one != (self.person_id is not None):
            raise ValueError("a direct message to one person has their id; no other audience has")
        if self.person_ids and self.recipient is not Recipient.MEMBERS:
            raise ValueError("only a notice to several members lists them")

    @property
    def channel(self) -> bool:
        return self.recipient is Recipient.CHANNEL

    @classmethod
    def committee_channel(cls) -> Audience:
        return cls(Recipient.CHANNEL)

    @classmethod
    def chair(cls, person_id: int) -> Audience:
        return cls(Recipient.CHAIR, person_id)

    @classmethod
    def member(cls, person_id: int) -> Audience:
        return cls(Recipient.MEMBER, person_id)

    @classmethod
    def members(cls, person_ids: Iterable[int]) -> Audience:
        return cls(Recipient.MEMBERS, person_ids=tuple(sorted(set(person_ids))))

    @classmethod
    def officer(cls, person_id: int) -> Audience:
        return cls(Recipient.OFFICER, person_id)


Facts = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Due:
    """One notice whose moment has come. `facts` are never confidential (no report content)."""

    key: str
    audience: Audience
    subject_id: str
    kind: DueKind
    facts: Facts = field(default=())


class Plan(NamedTuple):
    """What one sweep must do: the notices due, and the drafts to delete."""

    dues: list[Due]
    expired_drafts: list[str]
