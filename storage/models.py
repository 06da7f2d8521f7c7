"""Candor's tables.

Every column that could carry what a person typed or who reported is sealed (`body`, an envelope
ciphertext opened through `storage.crypto.Vault`). A plain column has a comment saying why it may
be plain. Times are aware UTC throughout.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import AutoString, Field, SQLModel

from storage.clock import utcnow
from storage.vocabulary import (
    BoardAction,
    CaseStatus,
    Category,
    DesignationScope,
    MessageDirection,
    OutboxKind,
    OutboxState,
    PersonKind,
    Platform,
    RevealPath,
    RevealState,
    Role,
)


def new_id() -> str:
    """A random record id: known before insert, so it can be bound into the ciphertext."""
    return secrets.token_hex(12)


def _sealed() -> bytes:
    return Field(sa_column=Column(LargeBinary, nullable=False))  # type: ignore[no-any-return]


# --- the roster -------------------------------------------------------------------------------


class Person(SQLModel, table=True):
    """An officer, an Audit Committee member or a person the committee may designate. Roster data
    is the company directory: plain."""

    # The committee's members by kind; officers by due date, for the sweep (bot.schedule.horizons)
    __table_args__ = (Index("ix_person_kind_attestation_due", "kind", "attestation_due"),)
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True)
    name: str
    kind: PersonKind
    role: Role | None = None  # officers only
    chair: bool = False  # committee only
    active: bool = True
    attestation_due: date | None = None  # next annual attestation, officers only
    created_at: datetime = Field(default_factory=utcnow)
    # A designee's organisation or role ("outside counsel"): the company directory, plain.
    affiliation: str | None = None


class Identity(SQLModel, table=True):
    """A person's id on a platform (Slack user id, Teams AAD object id), sealed: an id on a
    platform names its person, and a match learned from someone's first message says when they
    first wrote. Found by keyed tags only; read and written through `storage.identities`."""

    # A keyed hash (HMAC under the keyring's index key) of (platform, platform user id): who is
    # writing. Without the keyring it names no one.
    key: str = Field(primary_key=True)
    # A keyed hash of (person id, platform): where to write to a person (one id per platform).
    person_key: str = Field(unique=True)
    body: bytes = _sealed()  # the person id, the platform and the platform user id


# --- keys -------------------------------------------------------------------------------------


class DataKey(SQLModel, table=True):
    """A record's data key, wrapped by a master key version. Deleting the row shreds the record."""

    __table_args__ = (UniqueConstraint("record_kind", "record_id"),)
    id: int | None = Field(default=None, primary_key=True)
    record_kind: str
    record_id: str
    master_version: int = Field(index=True)
    wrapped: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class RecoveryKey(SQLModel, table=True):
    """The committee's recovery key: its public half, and the keyring sealed to it (the escrow).

    The private half exists only as the committee's SLIP-39 shares (`candor keys split`); the
    newest row with `replaced_at` unset is the escrow in force. A replaced row keeps its public
    key and dates, so shares of an earlier split are recognised, but loses its sealed keyring:
    those shares open nothing any more."""

    id: int | None = Field(default=None, primary_key=True)
    # public: opens nothing
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The keyring sealed to `public_key` (ephemeral X25519, HKDF-SHA256, AES-256-GCM); opens only
    # with a threshold of the shares. None once the split is replaced.
    sealed_keyring: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # A keyed hash (HMAC under the keyring's index key) of the keyring sealed: tells whether the
    # escrow holds the keyring at hand; without the keyring it says nothing.
    fingerprint: str
    versions: str  # the master key versions sealed, "1,2" (as plain as DataKey.master_version)
    shares: int  # how many shares were made; counts, not secrets
    threshold: int  # how many recover the key
    passphrase: bool = False  # whether the shares need SLIP-39's passphrase too
    split_at: datetime = Field(default_factory=utcnow)
    sealed_at: datetime = Field(default_factory=utcnow)  # the last (re)seal
    reseals: int = 0  # how many rotations or retirements the escrow followed since the split
    replaced_at: datetime | None = None
    # An HMAC, under a key derived from the keyring's index key, over the row's id, public key,
    # split date and counts (`storage.escrow.binding`): whoever writes the database without the
    # key file cannot make a public key of theirs the one the keyring is sealed to. Plain: it
    # opens nothing. None on a row split before escrows were bound: it binds nothing.
    binding: str | None = None


class KeyHolder(SQLModel, table=True):
    """A running server's report of the master key versions it holds, renewed while it runs,
    so that `candor keys rotate` wraps nothing under a version until every live server can open
    it, and `candor keys retire` removes none that a live server still wraps under.

    Plain: version numbers, a random id and where the process runs are not key material and say
    nothing about a report; an operator needs them to find a server that lags behind."""

    server: str = Field(primary_key=True)  # random, drawn when the server starts
    process: str  # "HOST pid N": the process to look at when it lags
    source: str  # "file" or "environment": where its keyring comes from
    versions: str  # the versions it holds, comma-separated ("1,2")
    wrapping: int  # the version it wraps new data keys under (the keyring's current one)
    # Fingerprints of the index keys it holds (`Keyring.index_fingerprints`), the one it tags
    # under first: an index-key rotation waits on them. A fingerprint is an HMAC under the key,
    # which says nothing of it.
    index_keys: str = ""
    started_at: datetime
    seen_at: datetime
    live_until: datetime = Field(index=True)  # past this, the server is taken for gone


# --- reports and their conversation with the committee ------------------------------------


class Report(SQLModel, table=True):
    """A concern brought to the Audit Committee.

    Plain: the case code, category, status and dates, which are what a sanitized channel notice
    shows anyway. Sealed: the narrative, the people named, dates and evidence, who else knows,
    the reporter's identity (for a named report) and the committee members excluded.
    """

    # The sweep reads open cases by what is still owed and since when, and closed ones by when
    # they closed (bot.schedule.horizons, bot.retention): ranges on these, not the whole table.
    __table_args__ = (
        Index("ix_report_acknowledged_at_received_at", "acknowledged_at", "received_at"),
        Index("ix_report_last_feedback_at_received_at", "last_feedback_at", "received_at"),
        Index("ix_report_closed_at", "closed_at"),
    )
    id: str = Field(default_factory=new_id, primary_key=True)
    code: str = Field(index=True, unique=True)
    category: Category
    status: CaseStatus = CaseStatus.RECEIVED
    anonymous: bool  # says only that no identity is kept; the reporter is not findable from it
    # A keyed hash (blind index) of the named reporter, so "my cases" can be listed without
    # storing who reported; null for an anonymous report.
    reporter_tag: str | None = Field(default=None, index=True)
    secret_hash: str | None = None  # slow hash of an anonymous reporter's secret
    received_at: datetime = Field(default_factory=utcnow, index=True)
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = Field(default=None, foreign_key="person.id")
    closed_at: datetime | None = None
    last_feedback_at: datetime | None = None  # last question or status change sent to reporter
    legal_hold: bool = False
    shredded_at: datetime | None = None  # set when retention deleted the data key
    body: bytes = _sealed()
    # Confidential reporting (issue 24): the reporter's identity is sealed in a `ReporterIdentity`
    # row of its own. Plain: says only that, as "Confidential reporter" on every view says.
    confidential: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class CaseMessage(SQLModel, table=True):
    """A question from the committee to the reporter, or the reporter's answer."""

    id: str = Field(default_factory=new_id, primary_key=True)
    report_id: str = Field(foreign_key="report.id", index=True)
    direction: MessageDirection
    # The committee member who asked; null for the reporter's answers (never identified here).
    author_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    body: bytes = _sealed()


class StatusChange(SQLModel, table=True):
    """One step of a case's status history; the reason given is sealed."""

    id: str = Field(default_factory=new_id, primary_key=True)
    report_id: str = Field(foreign_key="report.id", index=True)
    from_status: CaseStatus
    to_status: CaseStatus
    by_id: int | None = Field(default=None, foreign_key="person.id")
    at: datetime = Field(default_factory=utcnow)
    body: bytes = _sealed()


class Exclusion(SQLModel, table=True):
    """A committee member kept away from a report. Who is excluded is sealed (chair only)."""

    id: str = Field(default_factory=new_id, primary_key=True)
    report_id: str = Field(foreign_key="report.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    body: bytes = _sealed()


# --- notes on a case (issue 22) -------------------------------------------------------------


class CaseNote(SQLModel, table=True):
    """A note on a case by a member allowed on it (or a designee): an interview summary, a
    finding, a next step, or a recommendation. The text and whether it recommends are sealed."""

    id: str = Field(default_factory=new_id, primary_key=True)
    report_id: str = Field(foreign_key="report.id", index=True)
    # Who wrote it: a committee member or a person the committee designated, never the reporter
    # (plain as `CaseMessage.author_id`: the case view and the export name the author anyway).
    author_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    body: bytes = _sealed()


class CaseLead(SQLModel, table=True):
    """The committee member who leads a case (bot.lead); no row while no one does.

    Plain, as `Report.acknowledged_by` is: it names a committee member who works the case, never
    its reporter (an officer) nor a person the report names (a member kept away from the case
    cannot lead it, and stops leading it when kept away: `bot.views.working` reads it so)."""

    report_id: str = Field(foreign_key="report.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    since: datetime = Field(default_factory=utcnow)


# --- attestations, disclosures, waivers, determinations -----------------------------------


class Attestation(SQLModel, table=True):
    """An officer's annual attestation for a period; the answers are sealed."""

    __table_args__ = (UniqueConstraint("person_id", "period"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    period: str  # the attestation year, e.g. "2026"
    attested_at: datetime = Field(default_factory=utcnow)
    policy_hash: str  # sha256 of the Code's text shown, to prove which version was attested
    body: bytes = _sealed()


class Disclosure(SQLModel, table=True):
    """A conflict-of-interest disclosure made at attestation or on its own; the text is sealed."""

    id: str = Field(default_factory=new_id, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    attestation_id: str | None = Field(default=None, foreign_key="attestation.id")
    created_at: datetime = Field(default_factory=utcnow)
    body: bytes = _sealed()


class Waiver(SQLModel, table=True):
    """A waiver of a provision of the Code. Waivers are disclosed publicly, so the register's
    facts are plain; the committee's reasoning is sealed."""

    id: str = Field(default_factory=new_id, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    granted_by: str  # the body or person who granted it, as recorded for the public disclosure
    granted_on: date
    provision: str
    disclosure_due: date
    disclosed_on: date | None = None
    disclosure_ref: str | None = None  # Form 8-K accession number or web address
    recorded_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    body: bytes = _sealed()


class Determination(SQLModel, table=True):
    """The Board's determination on a case. The violation and the action are plain (the register
    counts them); the officer it concerns, the factors weighed and the reasoning are sealed: beside
    the action, a plain officer would say in a dump whom the Board found against."""

    id: str = Field(default_factory=new_id, primary_key=True)
    report_id: str = Field(foreign_key="report.id", index=True)
    violation: bool
    action: BoardAction
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_on: date
    created_at: datetime = Field(default_factory=utcnow)
    body: bytes = _sealed()


# The written notice (issue 22): a determination whose action is a written notice is delivered to
# its officer as a letter, and a member records the day.
class NoticeDelivery(SQLModel, table=True):
    """A written notice's letter delivered to its officer. One per determination (two members
    recording it at once make one row). How it was delivered is sealed."""

    id: str = Field(default_factory=new_id, primary_key=True)
    report_id: str = Field(foreign_key="report.id", index=True)
    # Plain: which determination, as a determination's own report_id is plain.
    determination_id: str = Field(foreign_key="determination.id", unique=True)
    # Plain: a day, as the determination's decided_on is; it says nothing of what was found.
    delivered_on: date
    recorded_by: int | None = Field(default=None, foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow)
    body: bytes = _sealed()


# --- issue 22's designations ---------------------------------------------------------------


class Designation(SQLModel, table=True):
    """A person the committee designated on a case, what they may do and until when.

    Plain: the case, the person, the scope, the dates, who designated and who ended it and why (a
    reason code): ids and dates the channel notice states anyway ("Lee designated an investigator
    until ..."), and the gate reads them on every request. Sealed: why the committee designated
    them, and why each renewal."""

    id: str = Field(default_factory=new_id, primary_key=True)
    report_id: str = Field(foreign_key="report.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    scope: DesignationScope = Field(sa_type=AutoString)
    until: date  # the last day (the company's) it holds
    by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    ended_by: int | None = Field(default=None, foreign_key="person.id")
    end_reason: str | None = None  # a `DesignationEnd` value: a code, never text
    # "<report id>:<person id>" while the designation holds, null once it ended: unique, so two
    # members designating the same person at once make one designation (on both databases).
    live: str | None = Field(default=None, unique=True)
    body: bytes = _sealed()


# --- plumbing: conversations, inbound dedup, outbox, audit ---------------------------------


class Conversation(SQLModel, table=True):
    """A person's conversation in progress with the bot (intake, attestation).

    Keyed by a keyed hash of (platform, user id): a draft does not reveal who is drafting."""

    key: str = Field(primary_key=True)
    updated_at: datetime = Field(default_factory=utcnow, index=True)
    body: bytes = _sealed()


class InboundEvent(SQLModel, table=True):
    """An event or activity id already handled, so a platform's retry changes nothing."""

    id: str = Field(primary_key=True)  # keyed hash of "<platform>:<event id>" (bot.once)
    received_at: datetime = Field(default_factory=utcnow, index=True)


class FormReceipt(SQLModel, table=True):
    """What the core answered that cannot be asked for again, kept sealed for a few minutes
    (bot.receipts): a report's receipt (case code, and the secret of an anonymous one) under the
    form's one-time token, so a repeat submit of the same form (its first acknowledgement late or
    lost) shows it again; or a kept view (a receipt, a new secret, a case's details) waiting for
    the one person it was for to open it once in a window (a Teams dialog). It names no person
    (a view's person is hashed into its id with its random key). The sweep shreds it after that."""

    # keyed hash of the form's token, or of a view's one-time key with the person it is for
    id: str = Field(primary_key=True)
    # The day only (written beside an anonymous report); the moment it expires is in `body`.
    created_at: datetime = Field(default_factory=utcnow, index=True)
    body: bytes = _sealed()


class PendingReport(SQLModel, table=True):
    """An anonymous report accepted but not recorded yet (bot.pending): its reporter holds the
    receipt, the recorder makes it a `Report` at a random later moment and shreds this row.

    Sealed: everything (the report's content and id, its case code, the secret's slow hash, the
    members kept away, the moment it becomes due, the platform)."""

    id: str = Field(primary_key=True)  # random (storage.models.new_id), never the report's id
    # A keyed hash of its case code: reserves the code and finds the submission for a status
    # check by code and secret. Opens nothing and names nothing without the key.
    code_tag: str = Field(unique=True)
    received_at: datetime  # the day only (its start in the company's zone): nothing finer
    body: bytes = _sealed()


class PendingAnswer(SQLModel, table=True):
    """An anonymous reporter's answer to the committee accepted but not recorded yet
    (bot.pending): the recorder makes it a `CaseMessage`, its audit event and the committee's
    notice at a random later moment, and shreds this row.

    Sealed: everything (the case it answers, the answer, the moment it becomes due)."""

    id: str = Field(primary_key=True)  # random (storage.models.new_id), never the message's id
    received_at: datetime  # the day only (its start in the company's zone): nothing finer
    body: bytes = _sealed()


class ReportCount(SQLModel, table=True):
    """How many anonymous reports one person filed on one day (bot.filing's daily limit).

    The subject is a keyed hash of the person and the day: without the key it names no one, and
    a new day is a new subject, so days are not linked to each other. No report id, no time finer
    than the day."""

    subject: str = Field(primary_key=True)  # keyed hash of ("anonymous-daily", person id, day)
    day: date = Field(index=True)  # kept so the sweep can forget past days; a day, nothing finer
    reports: int = 0


class GuessCount(SQLModel, table=True):
    """Failed case-status checks in one window, per person or per case code typed (never both in
    one row, and no time finer than the window), so guessing is limited (bot.followup)."""

    subject: str = Field(primary_key=True)  # keyed hash of "person:<id>" or "code:<code>"
    slot: int = Field(primary_key=True)  # the window's number (epoch seconds // its length)
    failures: int = 0


class OutboxMessage(SQLModel, table=True):
    """A notice to deliver. Written in the transaction that caused it; relayed by the notifier.

    The payload is sealed (a direct message may carry a committee question). `key` makes a
    notice unique, so a sweep or a retry that writes it twice writes it once."""

    id: str = Field(default_factory=new_id, primary_key=True)
    key: str = Field(unique=True)  # kind:subject:period:step; ids and dates only
    platform: Platform
    # stored as its value ("channel", "dm", "update"), a plain string column as ever; no content
    kind: OutboxKind = Field(sa_type=AutoString)
    state: OutboxState = Field(default=OutboxState.PENDING, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    # When the notice first became due (an anonymous report's alert: after its deliberate delay).
    # How long a notice has waited is counted from here, never from `created_at`. A time: plain.
    due_at: datetime = Field(default_factory=utcnow, index=True)
    claimed_until: datetime | None = None
    # The platform may hold this notice already (a relay died mid-delivery, or a post got an
    # ambiguous answer): until delivered, each try first looks for the earlier post.
    in_doubt: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    # For an update: the key of the notice whose message it edits.
    updates_key: str | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
    platform_message_id: str | None = None  # Slack ts / Teams activity id of the delivered post
    platform_channel: str | None = None  # channel or conversation id it was delivered to
    last_error: str | None = None  # an error code from the platform, never a payload
    # The last try hit an error that a person must fix (the bot removed from the channel, a
    # revoked token): the notice is kept and retried until the platform takes it.
    blocked: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    body: bytes = _sealed()


class DeliveryOutage(SQLModel, table=True):
    """A platform's committee channel refusing Candor's notices, from the first blocked post until
    one gets through: at most one per platform. Platform, times and an error code only: plain."""

    platform: Platform = Field(primary_key=True)
    started_at: datetime
    cause: str  # the platform's latest error code (not_in_channel, http_403, ...)
    emailed_at: datetime | None = None  # when the operators were e-mailed about it (once)


class ConversationRef(SQLModel, table=True):
    """Where a platform can be reached proactively: the Teams committee channel, a Teams user's
    1:1 chat. Sealed (a 1:1 chat's reference names its person), found by a keyed tag of its name
    and rewritten only when the reference itself changes; read and written through
    `storage.references`."""

    key: str = Field(primary_key=True)  # keyed hash of the name ("teams:user:<aad id>", ...)
    # What sort of conversation ("teams:user", "teams:channel", "teams:team"), never whose: the
    # sender finds a team's reference, or any, by it.
    kind: str = Field(index=True)
    # The day it was stored or last changed, never the moment: a finer time would line up with
    # what its person did then.
    updated_at: datetime = Field(default_factory=utcnow)
    # the platform's conversation reference (service URL, conversation, tenant)
    body: bytes = _sealed()


class AuditEvent(SQLModel, table=True):
    """One link of the hash-chained audit log: who did what to which record, when.

    Never confidential text: actors are person ids or "reporter"; details are ids and statuses."""

    seq: int = Field(primary_key=True)
    at: datetime
    actor: str
    action: str
    record_kind: str
    record_id: str
    detail: str  # canonical JSON of non-confidential facts (statuses, counts)
    prev_hash: str
    hash: str = Field(unique=True)


# --- evidence files (issue 23) ---------------------------------------------------------------


class EvidenceFile(SQLModel, table=True):
    """A file added to a case (or to an anonymous report still held for its delay): its
    metadata, sealed under the file's own data key (record kind `evidence_file`), which also
    seals its chunks. Deleting that key shreds the file and its name together (bot.evidence)."""

    id: str = Field(primary_key=True)  # random (storage.models.new_id)
    # The case's id, or a held anonymous report's random pending id until the recorder moves the
    # file to its case: which case holds files is what a member's listing shows; it names no one.
    owner: str = Field(index=True)
    # The day only (its start in the company's zone): a finer time would date an anonymous
    # reporter's visit to the upload page.
    added_at: datetime
    body: bytes = _sealed()  # name, type, size, sha256, who added it, what was removed


class EvidenceChunk(SQLModel, table=True):
    """One piece (256 KiB before sealing) of a file, sealed under the file's data key with the
    file's id, the piece's index and whether it is the last bound in: pieces cannot be reordered,
    moved to another file, or cut off at the end."""

    file_id: str = Field(primary_key=True)  # the file (random id); names nothing
    seq: int = Field(primary_key=True)  # the piece's index, from 0
    body: bytes = _sealed()


class FileLink(SQLModel, table=True):
    """A capability link to the upload page or a download, single-use and short-lived. The link's
    secret is never stored: only a keyed hash of it (the row's id). Sealed: what it is for (the
    case, a held report, the file), for whom, and when it expires. Deleted when used."""

    id: str = Field(primary_key=True)  # keyed hash (Vault.tag) of the link's secret
    created_at: datetime = Field(index=True)  # the day only; the sweep forgets old rows by it
    body: bytes = _sealed()


# --- confidential reporting (issue 24) ------------------------------------------------------


class ReporterIdentity(SQLModel, table=True):
    """Who made a confidential report, sealed in a record of its own (bot.confidential): the
    person, as the roster had them, and every time their name was shown (how, why, to whom).
    Opened only by the reveal path, the reporter's own views and the notifier that reaches them.
    No keyed tag of the person: their own cases are found by opening these rows, so no column
    says that two confidential reports came from one person."""

    # The case it belongs to: plain, as an exclusion's is; `Report.confidential` says as much.
    report_id: str = Field(foreign_key="report.id", primary_key=True)
    body: bytes = _sealed()


# --- the quorum and consent reveal (issue 24) ------------------------------------------------


class RevealRequest(SQLModel, table=True):
    """A member's request to show a confidential reporter's name (bot.reveal): to the other
    members allowed on the case (a quorum must agree) or to the reporter (who says yes or no).

    Plain: the case, the path, who asked, the state and its dates: the governance of the case,
    which the audit log records anyway (who asked, when, the outcome). Sealed: the reason."""

    id: str = Field(default_factory=new_id, primary_key=True)
    report_id: str = Field(foreign_key="report.id", index=True)
    path: RevealPath = Field(sa_type=AutoString)
    requested_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    state: RevealState = Field(default=RevealState.OPEN, sa_type=AutoString, index=True)
    decided_at: datetime | None = None
    # "<report id>:<path>" while the request is open, null after: one open request of a path per
    # case, held by the database (null repeats). Ids only.
    open_slot: str | None = Field(default=None, unique=True)
    body: bytes = _sealed()  # the reason given


class RevealVote(SQLModel, table=True):
    """A member's answer to a quorum request: agree or decline, once. Plain: who and what, as
    the audit log records it; sealed: the reason a member gave for declining, if any."""

    __table_args__ = (UniqueConstraint("request_id", "member_id"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    request_id: str = Field(foreign_key="revealrequest.id", index=True)
    member_id: int = Field(foreign_key="person.id")
    agree: bool
    at: datetime = Field(default_factory=utcnow)
    body: bytes = _sealed()


__all__ = [
    "AuditEvent",
    "Attestation",
    "BoardAction",
    "CaseMessage",
    "CaseLead",
    "CaseNote",
    "CaseStatus",
    "Category",
    "Conversation",
    "ConversationRef",
    "DataKey",
    "DeliveryOutage",
    "Designation",
    "FormReceipt",
    "GuessCount",
    "Determination",
    "Disclosure",
    "EvidenceChunk",
    "EvidenceFile",
    "Exclusion",
    "FileLink",
    "Identity",
    "InboundEvent",
    "KeyHolder",
    "MessageDirection",
    "OutboxMessage",
    "OutboxState",
    "PendingReport",
    "Person",
    "PersonKind",
    "Platform",
    "RecoveryKey",
    "Report",
    "ReporterIdentity",
    "RevealRequest",
    "RevealVote",
    "Role",
    "StatusChange",
    "Waiver",
    "new_id",
]
