"""Showing a confidential reporter's name by a quorum of the committee, or by the reporter's
consent (issue 24): the requests, the members' votes, the reporter's answer, and the lapse.

A member allowed on a confidential case asks, with a reason (sealed in a `RevealRequest`):
- the quorum path: the other members allowed on the case are asked by a content-free direct
  message and answer in a form (`RevealVote`, once each); when `bot.quorum.tally` says revealed,
  the name is shown through `bot.confidential.db_reveal(how=QUORUM)`;
- the consent path: the reporter is told there is news (`bot.confidential.db_tell`), reads the
  request in their private view and answers yes (`db_reveal(how=CONSENT)`) or no.
A request lapses after seven days (`db_lapse_due`, from the sweep). One open request of each path
per case. Members kept away from the case are never asked, counted or shown anything (every
member use case passes `bot.access.db_case_for`). Everything is audited (ids, counts, outcomes;
the reasons stay sealed) and retention shreds it with the case (`db_related`).

Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import actions, confidential, fields, quorum
from bot.access import db_case_for
from bot.core import (
    REPORTER,
    CandorError,
    Core,
    actor_id,
    db_committee,
    db_excluded,
    required_text,
)
from bot.delivery.outbox import db_enqueue, people_target, person_target
from bot.messages import (
    Choice,
    Document,
    FieldKind,
    Form,
    FormErrors,
    FormField,
    Notice,
    Reply,
    Style,
    Text,
)
from bot.reports import REPORT
from bot.sanitize import neutralise
from bot.wording import case_labels, refusals
from bot.wording import reveal as words
from storage.models import Person, Report, RevealRequest, RevealVote, new_id
from storage.vocabulary import AuditAction, RecordKind, RevealHow, RevealPath, RevealState

REQUEST = RecordKind.REVEAL_REQUEST
VOTE = RecordKind.REVEAL_VOTE
REASON_LIMIT = fields.NOTE
AGREE, DECLINE = "agree", "decline"


# --- reading ------------------------------------------------------------------------------------


def db_allowed(session: Session, core: Core, report: Report) -> frozenset[int]:
    """The active committee members allowed on the case: everyone a case does not keep away."""
    excluded = db_excluded(session, core, report)
    return frozenset(p.id for p in db_committee(session)
                     if p.id is not None and p.id not in excluded)


def _reason(session: Session, core: Core, request: RevealRequest) -> str:
    return str(core.vault.unseal(session, kind=REQUEST, record_id=request.id,
                                 blob=request.body).get("reason", ""))


def _votes(session: Session, request: RevealRequest) -> list[RevealVote]:
    return list(session.exec(select(RevealVote).where(RevealVote.request_id == request.id)
                             .order_by(col(RevealVote.at))).all())


def _requests(session: Session, report: Report) -> list[RevealRequest]:
    return list(session.exec(select(RevealRequest).where(RevealRequest.report_id == report.id)
                             .order_by(col(RevealRequest.created_at))).all())


def _open(session: Session, report: Report, path: RevealPath) -> RevealRequest | None:
    return session.exec(select(RevealRequest).where(
        RevealRequest.open_slot == _slot(report, path))).first()


def _slot(report: Report, path: RevealPath) -> str:
    return f"{report.id}:{path.value}"


def _floor(session: Session, core: Core, request: RevealRequest) -> int | None:
    """The quorum in force when the request was made (sealed with its reason; None for a
    request recorded before it was kept)."""
    value = core.vault.unseal(session, kind=REQUEST, record_id=request.id,
                              blob=request.body).get("quorum")
    return value if isinstance(value, int) else None


def _tally(session: Session, core: Core, request: RevealRequest, report: Report) -> quorum.Tally:
    return quorum.tally(
        allowed=db_allowed(session, core, report), requester=request.requested_by or -1,
        votes=[quorum.Vote(v.member_id, v.agree, v.at) for v in _votes(session, request)],
        requested_at=request.created_at, now=core.now(), setting=core.schedule.reveal_quorum,
        floor=_floor(session, core, request))


def _name(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.name if person is not None else case_labels.UNKNOWN


# --- the case view: its buttons and its lines -------------------------------------------------


def db_choices(session: Session, core: Core, member: Person,
               report: Report) -> tuple[Choice, ...]:
    """The case's buttons for a member allowed on it: answer the open quorum request (when they
    have not), and ask the quorum or the reporter, while the case has a confidential reporter
    whose name is not shown and no such request is open."""
    if not _may_ask(session, core, report):
        return ()
    choices: list[Choice] = []
    asking = _open(session, report, RevealPath.QUORUM)
    if asking is not None:
        db_settle(session, core, asking, report)
    if asking is None or _state(asking) is not RevealState.OPEN:
        choices.append(Choice(words.ASK_QUORUM_BUTTON, actions.RevealAskForm(report.id).encode()))
    elif asking.requested_by != member.id and _vote_of(session, asking, member) is None:
        choices.append(Choice(words.ANSWER_REQUEST_BUTTON,
                              actions.RevealOpen(asking.id).encode(), Style.PRIMARY))
    if _open(session, report, RevealPath.CONSENT) is None:
        choices.append(Choice(words.ASK_CONSENT_BUTTON,
                              actions.ConsentAskForm(report.id).encode()))
    return tuple(choices)


def db_with_requests(session: Session, core: Core, report: Report, details: Document) -> Document:
    """The committee's details of the case, with its requests to reveal the reporter (who asked,
    why, who agreed or declined, the reporter's answer): only members allowed on it read this."""
    lines = db_lines(session, core, report)
    if not lines:
        return details
    return replace(details, sections=(*details.sections, (words.REQUESTS_HEADING,
                                                          "\n".join(lines))))


def db_lines(session: Session, core: Core, report: Report) -> list[str]:
    lines = []
    for request in _requests(session, report):
        db_settle(session, core, request, report)
        lines.append(words.request_line(
            path=_path(request).label, asked_by=_name(session, request.requested_by),
            asked_at=request.created_at, state=_state(request).label,
            reason=neutralise(_reason(session, core, request))))
        if _path(request) is RevealPath.QUORUM and _state(request) is RevealState.OPEN:
            result = _tally(session, core, request, report)
            votes = _votes(session, request)
            lines.append(words.tally_line(
                agreed=tuple(_name(session, m) for m in sorted(result.agreed)),
                declined=tuple(_name(session, v.member_id) for v in votes
                               if v.member_id in result.declined),
                quorum=result.quorum or quorum.MINIMUM, lapses_at=result.lapses_at))
        elif _path(request) is RevealPath.CONSENT and _state(request) is not RevealState.OPEN:
            lines.append(words.reporter_answer(_state(request).label, request.decided_at))
        elif _state(request) is not RevealState.OPEN:
            votes = _votes(session, request)
            lines.append(words.decided_line(
                _state(request).label, request.decided_at,
                agreed=(_name(session, request.requested_by),
                        *(_name(session, v.member_id) for v in votes if v.agree)),
                declined=tuple(_name(session, v.member_id) for v in votes if not v.agree)))
    return lines


def _may_ask(session: Session, core: Core, report: Report) -> bool:
    return (report.confidential and report.shredded_at is None
            and not confidential.db_is_revealed(session, core, report))


# --- asking -------------------------------------------------------------------------------------


def db_ask_form(session: Session, core: Core, member: Person, report_id: str, *,
                path: RevealPath) -> list[Reply]:
    report = db_case_for(session, core, member, report_id, action=f"reveal-{path.value}")
    allowed = _check_ask(session, core, report, path)
    if path is RevealPath.QUORUM:
        setting = core.schedule.reveal_quorum
        needed = quorum.effective_quorum(setting, len(allowed)) or quorum.MINIMUM
        form_id = actions.RevealAskSubmit(report.id).encode()
        title, intro, submit = (words.quorum_title(report.code),
                                words.quorum_intro(needed, len(allowed)), words.ASK_QUORUM_SUBMIT)
    else:
        form_id = actions.ConsentAskSubmit(report.id).encode()
        title, intro, submit = (words.consent_title(report.code), words.CONSENT_INTRO,
                                words.ASK_CONSENT_SUBMIT)
    return [Form(form_id, title, (
        FormField("reason", words.REASON_PROMPT, FieldKind.MULTILINE, max_length=REASON_LIMIT),
    ), submit_label=submit, intro=intro)]


def _check_ask(session: Session, core: Core, report: Report, path: RevealPath) -> frozenset[int]:
    """The members allowed on the case, when a request of `path` may be made; else a refusal."""
    if not report.confidential:
        raise CandorError(words.NOT_CONFIDENTIAL)
    if confidential.db_is_revealed(session, core, report):
        raise CandorError(words.ALREADY_SHOWN)
    existing = _open(session, report, path)
    if existing is not None:
        db_settle(session, core, existing, report)
        if _state(existing) is RevealState.OPEN:
            raise CandorError(words.request_open(path.label))
    allowed = db_allowed(session, core, report)
    if path is RevealPath.QUORUM and quorum.effective_quorum(
            core.schedule.reveal_quorum, len(allowed)) is None:
        raise CandorError(words.NO_QUORUM_POSSIBLE)
    return allowed


def db_ask(session: Session, core: Core, *, member: Person, report_id: str, reason: str,
           path: RevealPath) -> list[Reply]:
    """Record a member's request, audit it, and ask: the other allowed members, or the reporter."""
    report = db_case_for(session, core, member, report_id, action=f"reveal-{path.value}")
    allowed = _check_ask(session, core, report, path)
    reason = required_text("reason", reason, limit=REASON_LIMIT)
    request_id = new_id()
    needed = quorum.effective_quorum(core.schedule.reveal_quorum, len(allowed))
    request = RevealRequest(
        id=request_id, report_id=report.id, path=path, requested_by=member.id,
        created_at=core.now(), state=RevealState.OPEN, open_slot=_slot(report, path),
        body=core.vault.seal(session, kind=REQUEST, record_id=request_id,
                             data={"reason": reason, "quorum": needed}, new=True))
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:  # another member's request of this path was recorded meanwhile
        raise CandorError(words.request_open(path.label)) from None
    others = sorted(allowed - {member.id})
    core.audit_event(session, actor=actor_id(member), action=AuditAction.REVEAL_REQUESTED,
                     record_kind=REPORT, record_id=report.id,
                     detail={"request": request.id, "path": path.value,
                             "quorum": needed if path is RevealPath.QUORUM else None,
                             "asked": len(others) if path is RevealPath.QUORUM else None})
    if path is RevealPath.CONSENT:
        confidential.db_tell(session, core, report, key=f"consent:{request.id}")
        return [Text(words.consent_asked(report.code))]
    # Each member's chat keeps the message: it names no case and no reason, and is the same for
    # every member; the request opens privately from its button. One row for all of them, so
    # which rows exist cannot say whom the case keeps away (bot.delivery.outbox).
    db_enqueue(session, core.vault, now=core.now(), key=f"reveal-ask:{request.id}",
               target=people_target(others),
               notice=Notice(title=words.ASKED_TITLE, text=words.ASKED_TEXT, choices=(
                   Choice(words.OPEN_REQUEST, actions.RevealOpen(request.id).encode(),
                          Style.PRIMARY),)),
               platforms=core.platforms)
    return [Text(words.quorum_asked(report.code, len(others), needed or quorum.MINIMUM))]


# --- a member answers a quorum request ---------------------------------------------------------


def _member_request(session: Session, core: Core, member: Person, request_id: str,
                    action: str) -> tuple[RevealRequest, Report]:
    request = session.get(RevealRequest, request_id)
    if request is None:
        raise CandorError(words.REQUEST_NOT_FOUND)
    report = db_case_for(session, core, member, request.report_id, action=action)
    return request, report


def db_open(session: Session, core: Core, member: Person, request_id: str) -> list[Reply]:
    """The request as a member allowed on the case opens it: to answer, or to read how it ended."""
    request, report = _member_request(session, core, member, request_id, "reveal-open")
    db_settle(session, core, request, report)
    if (_path(request) is RevealPath.QUORUM and _state(request) is RevealState.OPEN
            and request.requested_by != member.id and _vote_of(session, request, member) is None):
        return [_vote_form(session, core, request, report)]
    return [_request_view(session, core, member, request, report)]


def _vote_of(session: Session, request: RevealRequest, member: Person) -> RevealVote | None:
    return session.exec(select(RevealVote).where(RevealVote.request_id == request.id,
                                                 RevealVote.member_id == member.id)).first()


def _vote_form(session: Session, core: Core, request: RevealRequest, report: Report) -> Form:
    result = _tally(session, core, request, report)
    intro = words.request_intro(
        code=report.code, asked_by=_name(session, request.requested_by),
        asked_at=request.created_at, reason=neutralise(_reason(session, core, request)),
        quorum=result.quorum or quorum.MINIMUM, agreed=len(result.agreed),
        lapses_at=result.lapses_at)
    return Form(actions.RevealVoteSubmit(request.id).encode(), words.vote_title(report.code), (
        FormField("decision", words.DECISION_PROMPT, FieldKind.SELECT,
                  options=(Choice(words.AGREE, AGREE), Choice(words.DECLINE, DECLINE))),
        FormField("reason", words.DECLINE_REASON_PROMPT, FieldKind.MULTILINE, required=False,
                  max_length=REASON_LIMIT),
    ), submit_label=words.VOTE_SUBMIT, intro=intro)


def _request_view(session: Session, core: Core, member: Person, request: RevealRequest,
                  report: Report) -> Document:
    lines = db_lines(session, core, report)
    sections: list[tuple[str, str]] = [(case_labels.CASE, report.code),
                                       (words.REQUESTS_HEADING, "\n".join(lines))]
    if request.requested_by == member.id and _state(request) is RevealState.OPEN:
        sections.append(("", words.YOU_ASKED))
    vote = _vote_of(session, request, member)
    if vote is not None:
        sections.append(("", words.already_answered(agree=vote.agree)))
    return Document(words.REQUEST_TITLE, tuple(sections), (
        Choice(case_labels.case_title(report.code), actions.ViewCase(report.id).encode()),))


def db_vote(session: Session, core: Core, *, member: Person, request_id: str,
            values: dict[str, Any]) -> list[Reply]:
    """Record a member's agreement or refusal, once; reveal when the quorum is reached."""
    request, report = _member_request(session, core, member, request_id, "reveal-vote")
    form_id = actions.RevealVoteSubmit(request.id).encode()
    reader = fields.FormReader(values)
    decision = reader.one_of("decision", (AGREE, DECLINE), missing=words.CHOOSE_AGREE_OR_DECLINE)
    reason = reader.optional_text("reason", limit=REASON_LIMIT)
    if reader.errors:
        return [FormErrors(form_id, reader.errors)]
    db_settle(session, core, request, report)
    if _path(request) is not RevealPath.QUORUM:
        raise CandorError(refusals.NOT_UNDERSTOOD)
    if _state(request) is not RevealState.OPEN:
        return [Text(words.request_closed(_state(request).label))]
    earlier = _vote_of(session, request, member)
    if request.requested_by == member.id or earlier is not None:
        raise core.refused(words.YOU_ASKED if earlier is None
                           else words.already_answered(agree=earlier.agree),
                           actor=actor_id(member), action=AuditAction.REVEAL_REFUSED,
                           record_kind=REPORT, record_id=report.id,
                           detail={"request": request.id,
                                   "attempt": "vote-own" if earlier is None else "vote-again"})
    agree = decision == AGREE
    assert member.id is not None
    vote_id = new_id()
    session.add(RevealVote(
        id=vote_id, request_id=request.id, member_id=member.id, agree=agree, at=core.now(),
        body=core.vault.seal(session, kind=VOTE, record_id=vote_id,
                             data={"reason": None if agree else reason}, new=True)))
    session.flush()
    core.audit_event(session, actor=actor_id(member),
                     action=AuditAction.REVEAL_AGREED if agree else AuditAction.REVEAL_DECLINED,
                     record_kind=REPORT, record_id=report.id,
                     detail={"request": request.id, "vote": vote_id,
                             "reason_given": bool(reason) and not agree})
    db_settle(session, core, request, report, by=actor_id(member))
    if _state(request) is RevealState.REVEALED:
        return [Text(words.revealed_now(report.code))]
    return [Text(words.vote_recorded(report.code, agree=agree))]


# --- deciding -----------------------------------------------------------------------------------


def db_settle(session: Session, core: Core, request: RevealRequest, report: Report, *,
              by: str = "system") -> None:
    """Close an open request that is decided at `core.now()`: revealed (the name is shown),
    declined beyond reach, lapsed, or moot (the name was shown another way). Audited; the member
    who asked is told, content-free."""
    if _state(request) is not RevealState.OPEN:
        return
    if report.shredded_at is not None or confidential.db_is_revealed(session, core, report):
        _close(session, core, request, report, RevealState.MOOT, outcome="moot")
        return
    if _path(request) is RevealPath.CONSENT:
        if core.now() >= quorum.lapses_at(request.created_at):
            _close(session, core, request, report, RevealState.LAPSED, outcome="lapsed")
        return
    result = _tally(session, core, request, report)
    detail: dict[str, int | None] = {"agreed": len(result.agreed), "declined": len(result.declined),
              "quorum": result.quorum}
    if result.outcome is quorum.Outcome.REVEALED:
        _close(session, core, request, report, RevealState.REVEALED, outcome="revealed",
               counts=detail)
        confidential.db_reveal(session, core, report, how=RevealHow.QUORUM,
                               reason=_reason(session, core, request), by=by)
    elif result.outcome in (quorum.Outcome.DECLINED, quorum.Outcome.IMPOSSIBLE):
        _close(session, core, request, report, RevealState.DECLINED,
               outcome=result.outcome.value, counts=detail)
    elif result.outcome is quorum.Outcome.LAPSED:
        _close(session, core, request, report, RevealState.LAPSED, outcome="lapsed",
               counts=detail)


def _close(session: Session, core: Core, request: RevealRequest, report: Report,
           state: RevealState, *, outcome: str, at: datetime | None = None, tell: bool = True,
           counts: dict[str, int | None] | None = None) -> None:
    """Close the request (`at`: when, by default now), audit it, and tell the member who asked
    unless `tell` is False."""
    request.state = state
    request.decided_at = at or core.now()
    request.open_slot = None
    session.add(request)
    session.flush()
    action = AuditAction.REVEAL_LAPSED if state is RevealState.LAPSED else AuditAction.REVEAL_CLOSED
    core.audit_event(session, actor="system", action=action, record_kind=REPORT,
                     record_id=report.id,
                     detail={"request": request.id, "path": _path(request).value,
                             "outcome": outcome, **(counts or {})}, at=request.decided_at)
    if tell:
        _tell_requester(session, core, request, state)


def _tell_requester(session: Session, core: Core, request: RevealRequest,
                    state: RevealState) -> None:
    """The member who asked learns there is news (their chat keeps it: no case, no outcome)."""
    if request.requested_by is None:
        return
    db_enqueue(session, core.vault, now=core.now(),
               key=f"reveal-decided:{request.id}:{state.value}",
               target=person_target(request.requested_by),
               notice=Notice(title=words.DECIDED_TITLE, text=words.DECIDED_TEXT, choices=(
                   Choice(words.OPEN_REQUEST, actions.RevealOpen(request.id).encode()),)),
               platforms=core.platforms)


def db_lapse_due(session: Session, core: Core, *, now: datetime) -> int:
    """The sweep: close the open requests whose seven days ended by `now` (never judged by a
    time ahead of the real clock: the caller passes the earlier). Returns how many closed."""
    cutoff = now - quorum.WINDOW
    closed = 0
    for request in session.exec(select(RevealRequest).where(
            RevealRequest.state == RevealState.OPEN,
            col(RevealRequest.created_at) <= cutoff)).all():
        report = session.get(Report, request.report_id)
        if report is None:
            continue
        db_settle(session, core, request, report)
        closed += _closed(request)
    return closed


def _closed(request: RevealRequest) -> bool:
    return _state(request) is not RevealState.OPEN


def _state(request: RevealRequest) -> RevealState:
    """The request's state (stored as its plain value), read again after a call that may have
    closed it."""
    return RevealState(request.state)


def _path(request: RevealRequest) -> RevealPath:
    return RevealPath(request.path)


# --- the reporter answers a consent request ---------------------------------------------------


def db_open_consent(session: Session, core: Core, report: Report) -> RevealRequest | None:
    """The consent request the reporter has to answer on their case, if one is open and in
    time. Writes nothing (a confidential reporter's visit leaves no row: `bot.followup`); a
    lapsed request is closed by the sweep."""
    request = _open(session, report, RevealPath.CONSENT)
    if request is None or core.now() >= quorum.lapses_at(request.created_at):
        return None
    return request


def db_reporter_part(session: Session, core: Core,
                     report: Report) -> tuple[tuple[tuple[str, str], ...], tuple[Choice, ...]]:
    """What the confidential reporter's private view adds: an open consent request (when it was
    made, its reason, until when) and the Yes and No buttons. Never who asked."""
    if not report.confidential:
        return (), ()
    request = db_open_consent(session, core, report)
    if request is None:
        return (), ()
    text = words.consent_text(asked_at=request.created_at,
                              reason=neutralise(_reason(session, core, request)),
                              lapses_at=quorum.lapses_at(request.created_at))
    return ((words.CONSENT_HEADING, text),), (
        Choice(words.CONSENT_YES, actions.ConsentAnswer(request.id, True).encode(), Style.PRIMARY),
        Choice(words.CONSENT_NO, actions.ConsentAnswer(request.id, False).encode()))


def db_consent_answer(session: Session, core: Core, person: Person, request_id: str, *,
                      yes: bool) -> list[Reply]:
    """The reporter's yes (their name is shown) or no (recorded; the case view says so)."""
    request = session.get(RevealRequest, request_id)
    report = session.get(Report, request.report_id) if request is not None else None
    if request is None or report is None or report.shredded_at is not None:
        raise CandorError(words.REQUEST_NOT_FOUND)
    if _path(request) is not RevealPath.CONSENT or not confidential.db_is_own(
            session, core, report, person):
        raise core.refused(words.NOT_YOUR_REQUEST, actor=actor_id(person),
                           action=AuditAction.REVEAL_REFUSED, record_kind=REPORT,
                           record_id=report.id,
                           detail={"request": request.id, "attempt": "consent-answer"})
    if _state(request) is not RevealState.OPEN:
        return [Text(words.request_closed(_state(request).label))]
    if core.now() >= quorum.lapses_at(request.created_at):  # the sweep closes it, not this visit
        return [Text(words.request_closed(RevealState.LAPSED.label))]
    if confidential.db_is_revealed(session, core, report):
        return [Text(words.ALREADY_SHOWN)]
    # Yes or no, the answer is dated by its day, and no message goes out at its moment: the time
    # a confidential reporter acted would line up with what the platform shows of their
    # activity. The members read the answer on the case.
    day = core.today_start()
    if yes:
        core.audit_event(session, actor=REPORTER, action=AuditAction.REVEAL_CONSENTED,
                         record_kind=REPORT, record_id=report.id, detail={"request": request.id},
                         at=day)
        _close(session, core, request, report, RevealState.REVEALED, outcome="consented",
               at=day, tell=False)
        confidential.db_reveal(session, core, report, how=RevealHow.CONSENT,
                               reason=_reason(session, core, request), by=REPORTER, at=day)
        return [Text(words.consent_given(report.code))]
    core.audit_event(session, actor=REPORTER, action=AuditAction.REVEAL_CONSENT_REFUSED,
                     record_kind=REPORT, record_id=report.id, detail={"request": request.id},
                     at=day)
    _close(session, core, request, report, RevealState.DECLINED, outcome="refused", at=day,
           tell=False)
    return [Text(words.consent_refused(report.code))]


# --- retention ----------------------------------------------------------------------------------


def db_related(session: Session, report: Report) -> list[tuple[RecordKind, str]]:
    """Every sealed record of the case's requests and votes, for retention to shred with it (the
    notices whose keys name a request go with them)."""
    related: list[tuple[RecordKind, str]] = []
    for request in _requests(session, report):
        related.append((REQUEST, request.id))
        related += [(VOTE, v.id) for v in _votes(session, request)]
    return related
