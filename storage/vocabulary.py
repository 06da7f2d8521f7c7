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
    # issue 22's designations: outside counsel, forensic accountants, the head of internal audit
    DESIGNEE = "designee"


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


class DesignationScope(Labelled):
    """What a designated person may do on a case (issue 22's designations)."""

    INVESTIGATE = "investigate"  # read, ask the reporter, add notes, recommend
    DETERMINE = "determine"  # all that, and record the Board's determination


class DesignationEnd(Labelled):
    """Why a designation ended (issue 22's designations). Stored as these strings."""

    EXPIRED = "expired"  # its date passed (the sweep)
    ENDED = "ended"  # a member allowed on the case ended it
    CASE_CLOSED = "case_closed"
    # No longer written: a designation ended because its person was kept away says "ended" in
    # plain and keeps why sealed (an exclusion is sealed). Read for rows written before.
    EXCLUDED = "excluded"
    OPERATOR = "operator"  # `candor designations end`


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
    PersonKind.DESIGNEE: "Designated person",
    DesignationScope.INVESTIGATE: "investigate",
    DesignationScope.DETERMINE: "investigate and determine",
    DesignationEnd.EXPIRED: "its date passed",
    DesignationEnd.ENDED: "ended by a member",
    DesignationEnd.CASE_CLOSED: "the case closed",
    DesignationEnd.EXCLUDED: "kept away from the case",
    DesignationEnd.OPERATOR: "ended by an operator",
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


class RecordKind(StrEnum):
    """What a sealed record is (bound into its encryption beside its id, and the `record_kind` of
    its data key), and what an audit event is about. Stored as these strings."""

    # sealed records
    REPORT = "report"
    EXCLUSION = "exclusion"
    CASE_MESSAGE = "case_message"
    STATUS_CHANGE = "status_change"
    DETERMINATION = "determination"
    ATTESTATION = "attestation"
    DISCLOSURE = "disclosure"
    WAIVER = "waiver"
    DRAFT = "conversation"  # a typed report's draft, by the conversation it is kept for
    REFERENCE = "conversationref"  # where a platform's conversation with someone is reached
    IDENTITY = "identity"  # who a person is on a platform
    OUTBOX = "outbox"
    PENDING_REPORT = "pending_report"
    PENDING_ANSWER = "pending_answer"
    FORM_RECEIPT = "form_receipt"
    # the written notice (issue 22): how a notice letter was delivered
    NOTICE_DELIVERY = "notice_delivery"
    DESIGNATION = "designation"  # issue 22's designations: why a person was designated
    REPORTER_IDENTITY = "reporter_identity"  # a confidential report's reporter (issue 24)
    # the quorum and consent reveal (issue 24)
    REVEAL_REQUEST = "reveal_request"  # a request to show a confidential reporter's name
    REVEAL_VOTE = "reveal_vote"  # a member's agreement or refusal of one
    # what audit events are about besides those
    PERSON = "person"
    KEYRING = "keyring"
    RECOVERY_KEY = "recoverykey"
    DATA_KEY = "datakey"
    SCHEMA = "schema"
    DATABASE = "database"
    ROSTER = "roster"
    REGISTER = "register"
    SWEEP = "sweep"
    OUTAGE = "outage"
    # evidence files (issue 23)
    EVIDENCE_FILE = "evidence_file"  # a file's metadata and the data key its chunks are sealed by
    EVIDENCE_CHUNK = "evidence_chunk"  # bound into each chunk's seal (with its index), never a key
    FILE_LINK = "file_link"  # a capability link to the upload or download page
    # notes on a case (issue 22)
    CASE_NOTE = "case_note"


class AuditAction(StrEnum):
    """Every action the audit log records. Stored as these strings."""

    REPORT_SUBMITTED = "report.submitted"
    CASE_EXCLUSION_ADDED = "case.exclusion_added"
    CASE_OPENED = "case.opened"
    CASE_REFUSED = "case.refused"
    CASE_STATUS = "case.status"
    CASE_STATUS_VIEWED = "case.status_viewed"  # a named reporter's status check
    CASE_QUESTION = "case.question"
    CASE_ANSWER = "case.answer"
    CASE_SECRET_REPLACED = "case.secret_replaced"
    CASE_EXPORTED = "case.exported"
    CASE_HOLD = "case.hold"
    CASE_HOLD_RELEASED = "case.hold_released"
    CASE_SHREDDED = "case.shredded"
    DETERMINATION_RECORDED = "determination.recorded"
    ATTESTATION_RECORDED = "attestation.recorded"
    ATTESTATION_VIEWED = "attestation.viewed"
    ATTESTATION_REFUSED = "attestation.refused"
    WAIVER_RECORDED = "waiver.recorded"
    WAIVER_DISCLOSED = "waiver.disclosed"
    WAIVER_REFUSED = "waiver.refused"
    REGISTER_EXPORTED = "register.exported"
    STATUS_GUESSES_LIMITED = "status.guesses_limited"
    IDENTITY_MATCHED = "identity.matched"
    ROSTER_IMPORTED = "roster.imported"
    NOTICE_DROPPED = "notice.dropped"
    OUTAGE_EMAILED = "outage.emailed"
    SWEEP_RAN = "sweep.ran"
    KEYS_SPLIT = "keys.split"
    KEYS_RECOVERED = "keys.recovered"
    KEYS_CHECKED = "keys.checked"
    KEYS_INDEX_RETAGGED = "keys.index_retagged"
    KEYS_INDEX_ROTATED = "keys.index_rotated"  # the audit chain's link to a new index key
    KEYS_INDEX_ROTATED_CONTINUED = "keys.index_rotated.continued"
    SCHEMA_ROWS_SEALED = "schema.rows_sealed"
    SCHEMA_ROWS_OPENED = "schema.rows_opened"
    CONSOLE_CREATED = "console.created"
    # the written notice (issue 22): its letter written out, its delivery recorded
    NOTICE_LETTER_EXPORTED = "notice_letter.exported"
    NOTICE_LETTER_DELIVERED = "notice_letter.delivered"
    # issue 22's designations
    DESIGNATION_ADDED = "designation.added"
    DESIGNATION_RENEWED = "designation.renewed"
    DESIGNATION_ENDED = "designation.ended"
    DESIGNATION_REFUSED = "designation.refused"
    # evidence files (issue 23)
    FILE_ADDED = "file.added"  # chain of custody: sha256, size, type, who added it
    FILE_REFUSED = "file.refused"  # an upload refused (the reason's code, never the file's name)
    FILE_DOWNLOADED = "file.downloaded"
    FILE_LINK_ISSUED = "file.link_issued"
    FILE_LINK_USED = "file.link_used"
    FILE_LINK_REFUSED = "file.link_refused"  # used twice, expired, or presented for another case
    # notes on a case and its lead (issue 22)
    CASE_NOTE_ADDED = "case.note_added"
    CASE_LEAD_TAKEN = "case.lead_taken"
    CASE_LEAD_RELEASED = "case.lead_released"
    # confidential reporting (issue 24)
    REPORTER_REVEALED = "reporter.revealed"  # a confidential reporter's name shown (how, to whom)
    REPORTER_NAMED = "reporter.named"  # an anonymous report given its reporter's name or seal
    # the quorum and consent reveal (issue 24): ids, counts and outcomes; reasons stay sealed
    REVEAL_REQUESTED = "reveal.requested"  # a member asked (the quorum or the reporter)
    REVEAL_AGREED = "reveal.agreed"  # a member allowed on the case agreed
    REVEAL_DECLINED = "reveal.declined"  # a member allowed on the case declined
    REVEAL_CLOSED = "reveal.closed"  # a request decided: revealed, declined beyond reach, moot
    REVEAL_LAPSED = "reveal.lapsed"  # seven days without a quorum or an answer
    REVEAL_CONSENTED = "reveal.consented"  # the reporter said yes
    REVEAL_CONSENT_REFUSED = "reveal.consent_refused"  # the reporter said no
    REVEAL_REFUSED = "reveal.refused"  # an attempt refused (a second vote, not the reporter)


class OutboxKind(StrEnum):
    """What an outbox row delivers. Stored as these strings."""

    CHANNEL = "channel"  # a notice to the committee's channel
    DM = "dm"  # a direct message to a person (or to several, sealed)
    UPDATE = "update"  # an edit of a channel notice delivered earlier


# --- confidential reporting (issue 24) -----------------------------------------------------------


class ReporterMode(Labelled):
    """How a report keeps its reporter: named (the committee sees who), confidential (sealed from
    the committee until a quorum of it, or the reporter, reveals it), anonymous (nobody knows)."""

    NAMED = "named"
    CONFIDENTIAL = "confidential"
    ANONYMOUS = "anonymous"


class RevealHow(Labelled):
    """How a confidential reporter's name came to be shown."""

    QUORUM = "quorum"  # enough members allowed on the case agreed
    CONSENT = "consent"  # the reporter said yes to a member's request
    REPORTER = "reporter"  # the reporter chose to show it
    # a member showed it to one person designated on the case (issue 24, designations)
    DESIGNATION = "designation"


_LABELS.update({
    ReporterMode.NAMED: "With my name",
    ReporterMode.CONFIDENTIAL: "Confidential",
    ReporterMode.ANONYMOUS: "Anonymous",
    RevealHow.QUORUM: "Agreed by a quorum of the committee",
    RevealHow.CONSENT: "With the reporter's consent",
    RevealHow.REPORTER: "Shown by the reporter",
    RevealHow.DESIGNATION: "Shown by a committee member as part of a designation",
})


# --- the quorum and consent reveal (issue 24) ------------------------------------------------


class RevealPath(Labelled):
    """How a member asks for a confidential reporter's name."""

    QUORUM = "quorum"  # the other members allowed on the case are asked to agree
    CONSENT = "consent"  # the reporter is asked


class RevealState(Labelled):
    OPEN = "open"
    REVEALED = "revealed"  # a quorum agreed, or the reporter said yes
    DECLINED = "declined"  # too many members declined, or the reporter said no
    LAPSED = "lapsed"  # seven days passed
    MOOT = "moot"  # the name was shown another way meanwhile


_LABELS.update({
    RevealPath.QUORUM: "Asked the committee",
    RevealPath.CONSENT: "Asked the reporter",
    RevealState.OPEN: "Open",
    RevealState.REVEALED: "Name shown",
    RevealState.DECLINED: "Declined",
    RevealState.LAPSED: "Lapsed after seven days",
    RevealState.MOOT: "Closed: the name was shown another way",
})
