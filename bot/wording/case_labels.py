"""The labels and headings of a case as a reader sees it: the committee's details, the case file
an export writes and the reporter's own view (bot/views/case.py renders all three from these, so
their wording cannot drift apart). The channel alert names a case's plain facts with the same
labels.
"""

from __future__ import annotations

from datetime import date, datetime

CASE, STATUS, CATEGORY, RECEIVED, REPORTER = "Case", "Status", "Category", "Received", "Reporter"
NOT_GIVEN = "Not given"
ANONYMOUS = "Anonymous"
KEPT_AWAY = "Kept away from this case (visible to the chair only)"
NO_ONE = "No one"
HISTORY = "History"
DETERMINATION_RECORDED = "Board determination recorded"
UNKNOWN = "unknown"  # a person no longer on the roster
QUESTIONS = "Questions"
ACKNOWLEDGED = "Acknowledged"
ACKNOWLEDGED_BY_COMMITTEE = "Acknowledged by the committee"
NOT_YET = "Not yet"
YES, NO = "Yes", "No"

# The case file's sections and the labels only it has.
SUMMARY, THE_REPORT = "Summary", "The report"
LEGAL_HOLD = "Legal hold"
MEMBERS = "Members"
ACKNOWLEDGEMENT = "Acknowledgement"
FOLLOW_UP, MESSAGES, NONE = "Follow-up", "Messages", "None"
CHANGES = "Changes"

# A recorded determination's lines.
OFFICER = "Officer"
MATERIAL_VIOLATION = "Material violation"
ACTION = "Action"
ADVISED = "Advised beforehand of the proper course"
REASONING = "Reasoning"


def case_title(code: str) -> str:
    return f"Case {code}"


def case_file_title(code: str) -> str:
    return f"Case file {code}"


def named_reporter(name: object, email: object) -> str:
    return f"{name} ({email})"


def message_heading(what: str, at: datetime) -> str:
    """How every view heads a message: what it is and when."""
    return f"{what}, {at:%Y-%m-%d %H:%M}"


def asked_by(heading: str, member: str) -> str:
    """The committee's heading of a question adds who asked it."""
    return f"{heading} ({member})"


def step_label(at: datetime, by: str | None) -> str:
    """A step of the history: when, and by whom (no one for a step the system took)."""
    return f"{at:%Y-%m-%d %H:%M}" + (f", {by}" if by else "")


def step_text(what: str, reason: str | None) -> str:
    return what + (f": {reason}" if reason else "")


def status_step(came_from: str, went_to: str) -> str:
    return f"{came_from} -> {went_to}"


def acknowledged_when(at: datetime, by: str) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC by {by}"


def yes_no(value: object) -> str:
    """A determination's lowercase answer."""
    return "yes" if value else "no"


def determination_heading(decided_on: date) -> str:
    return f"Board determination, {decided_on.isoformat()}"


def determination_decided(decider: str | None, decided_on: date, recorded_by: str) -> str:
    """The one sentence of a determination that has no label: who decided, when, who recorded."""
    decided = f"by {decider} " if decider else ""
    return f"Decided {decided}on {decided_on.isoformat()} (recorded by {recorded_by})"
