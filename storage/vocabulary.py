"""The closed sets Candor records: roles, report categories, case statuses, the Board's actions.

Each enum carries its human label beside it, once. The categories and the actions come from the
Supplemental Code of Ethics (its numbered obligations and its "Administration" section).
"""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A string enum whose members carry a label for people."""

    @property
    def label(self) -> str:
        return _LABELS[self]


class Role(Labelled):
    CHAIRMAN = "chairman"
    CEO = "ceo"
    PRESIDENT = "president"
    CFO = "cfo"
    GENERAL_MANAGER = "general_manager"
    CONTROLLER = "controller"
    OTHER = "other_sfo"

    @classmethod
    def parse(cls, text: str) -> Role:
        """Accept the Code's titles and their usual short forms ("CFO", "GM", ...)."""
        key = " ".join(text.replace("_", " ").replace("-", " ").lower().split())
        found = _ROLE_ALIASES.get(key)
        if found is None:
            choices = ", ".join(r.label for r in cls)
            raise ValueError(f"unknown role {text!r}; expected one of: {choices}")
        return found


class PersonKind(Labelled):
    OFFICER = "officer"
    COMMITTEE = "committee"


class Platform(Labelled):
    SLACK = "slack"
    TEAMS = "teams"
    CONSOLE = "console"


class Category(Labelled):
    """What a report is about: the Code's numbered obligations, and "other"."""

    DISCLOSURE = "disclosure"  # obligation 1
    CONTROL_DEFICIENCY = "control_deficiency"  # obligation 2(a)
    FRAUD = "fraud"  # obligation 2(b)
    CODE_VIOLATION = "code_violation"  # obligation 3
    CONFLICT_OF_INTEREST = "conflict_of_interest"  # obligation 3, conflicts of interest
    LEGAL_VIOLATION = "legal_violation"  # obligation 4
    OTHER = "other"


class CaseStatus(Labelled):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    UNDER_REVIEW = "under_review"
    REFERRED = "referred_to_board"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self is not CaseStatus.CLOSED


class BoardAction(Labelled):
    """The actions the Code's "Administration" section lets the Board take."""

    NONE = "none"
    WRITTEN_NOTICE = "written_notice"
    CENSURE = "censure"
    DEMOTION_OR_REASSIGNMENT = "demotion_or_reassignment"
    SUSPENSION_WITH_PAY = "suspension_with_pay"
    SUSPENSION_WITHOUT_PAY = "suspension_without_pay"
    TERMINATION = "termination"


class MessageDirection(Labelled):
    QUESTION = "question"  # from the committee to the reporter
    ANSWER = "answer"  # from the reporter to the committee


class OutboxState(Labelled):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


_LABELS: dict[Labelled, str] = {
    Role.CHAIRMAN: "Chairman of the Board",
    Role.CEO: "Chief Executive Officer",
    Role.PRESIDENT: "President",
    Role.CFO: "Chief Financial Officer",
    Role.GENERAL_MANAGER: "General Manager",
    Role.CONTROLLER: "Controller",
    Role.OTHER: "Other Senior Financial Officer",
    PersonKind.OFFICER: "Senior Financial Officer",
    PersonKind.COMMITTEE: "Audit Committee member",
    Platform.SLACK: "Slack",
    Platform.TEAMS: "Microsoft Teams",
    Platform.CONSOLE: "console",
    Category.DISCLOSURE: "Material information affecting public disclosures",
    Category.CONTROL_DEFICIENCY: "Significant deficiency in internal controls",
    Category.FRAUD: "Fraud involving management or financial-reporting staff",
    Category.CODE_VIOLATION: "Material violation of the Code of Ethics and Business Conduct",
    Category.CONFLICT_OF_INTEREST: "Conflict of interest",
    Category.LEGAL_VIOLATION: "Violation of securities or other laws",
    Category.OTHER: "Other concern",
    CaseStatus.RECEIVED: "Received",
    CaseStatus.ACKNOWLEDGED: "Acknowledged",
    CaseStatus.UNDER_REVIEW: "Under review",
    CaseStatus.REFERRED: "Referred to the Board",
    CaseStatus.CLOSED: "Closed",
    BoardAction.NONE: "No action",
    BoardAction.WRITTEN_NOTICE: "Written notice",
    BoardAction.CENSURE: "Censure",
    BoardAction.DEMOTION_OR_REASSIGNMENT: "Demotion or reassignment",
    BoardAction.SUSPENSION_WITH_PAY: "Suspension with pay",
    BoardAction.SUSPENSION_WITHOUT_PAY: "Suspension without pay",
    BoardAction.TERMINATION: "Termination of employment",
    MessageDirection.QUESTION: "Question from the committee",
    MessageDirection.ANSWER: "Answer from the reporter",
    OutboxState.PENDING: "Pending",
    OutboxState.DELIVERED: "Delivered",
    OutboxState.FAILED: "Failed",
}

_ROLE_ALIASES: dict[str, Role] = {
    "chairman": Role.CHAIRMAN,
    "chair": Role.CHAIRMAN,
    "chairman of the board": Role.CHAIRMAN,
    "ceo": Role.CEO,
    "chief executive officer": Role.CEO,
    "president": Role.PRESIDENT,
    "cfo": Role.CFO,
    "chief financial officer": Role.CFO,
    "gm": Role.GENERAL_MANAGER,
    "general manager": Role.GENERAL_MANAGER,
    "controller": Role.CONTROLLER,
    "other": Role.OTHER,
    "other sfo": Role.OTHER,
    "other senior financial officer": Role.OTHER,
    "senior financial officer": Role.OTHER,
}
