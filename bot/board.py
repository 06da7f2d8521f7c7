"""The Board's determination on a case, as the Code's "Administration" section defines it.

A committee member allowed on the case records whether a material violation occurred, the action
(one of the Code's list, "none" only without a violation), each factor the Code names, the
officer concerned, who decided (the Board, or the committee or person it designated) and when, who
recorded it, and the reasoning. The action and the violation are plain (the register counts
them); the officer, the factors and the reasoning are sealed. How a recorded determination reads,
in the details and the case file alike, is `bot/views/case.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from bot import actions, designations, fields
from bot.access import db_case_for, db_designation_for, db_officers
from bot.core import Core, actor_id
from bot.fields import FormReader
from bot.messages import Choice, FieldKind, Form, FormErrors, FormField, Reply, Text
from bot.reports import REPORT
from bot.visibility import KeptAway, db_kept_away, db_subject
from bot.wording import case_labels, governance
from bot.wording import designations as designation_words
from storage.models import Determination, Person, Report, new_id
from storage.vocabulary import AuditAction, BoardAction, DesignationScope, PersonKind, RecordKind

_DETERMINE = DesignationScope.DETERMINE  # a designee designated to determine may (issue 22)

KIND = RecordKind.DETERMINATION
FACTOR_LIMIT = fields.NOTE
DECIDER_LIMIT = fields.LINE
REASONING_LIMIT = fields.NOTE

OCCURRENCES = tuple(Choice(label, value) for value, label in governance.OCCURRENCES.items())
INTENTS = tuple(Choice(label, value) for value, label in governance.INTENTS.items())
LABELS = governance.DETERMINATION_LABELS
# Each factor the Code names, with how a refusal refers to it.
FACTORS = governance.DETERMINATION_FACTORS


@dataclass(frozen=True)
class Decision:
    """A validated determination, before it is recorded."""

    subject_id: int
    violation: bool
    action: BoardAction
    decided_on: date
    nature: str
    occurrence: str
    intent: str
    advised: bool
    prior: str
    reasoning: str
    decider: str = governance.DEFAULT_DECIDER

    def sealed(self, prior_ids: list[str]) -> dict[str, Any]:
        """What goes into the sealed body: the officer, every factor, the earlier determinations
        shown, the reasoning."""
        return {"subject_id": self.subject_id, "nature": self.nature,
                "occurrence": self.occurrence, "intent": self.intent,
                "advised": self.advised, "prior": self.prior, "prior_determinations": prior_ids,
                "reasoning": self.reasoning, "decider": self.decider}


def db_prior(session: Session, core: Core, subject_id: int) -> list[Determination]:
    """The determinations already recorded against an officer, oldest first. The officer is
    sealed in each, so each is opened: the Board decides a handful a year."""
    return [row for row in session.exec(select(Determination)
                                        .order_by(col(Determination.decided_on))).all()
            if db_subject(session, core, row) == subject_id]


def _prior_lines(session: Session, core: Core, officers: list[Person], kept: KeptAway, *,
                 only_case: str | None = None) -> str:
    # Plain facts only (date, action), and none from a case the member is kept away from; a
    # designee (`only_case`) sees those of the case they were designated on, and no other's.
    lines = []
    for officer in officers:
        assert officer.id is not None
        for earlier in db_prior(session, core, officer.id):
            if not kept.shows_determination(earlier) or only_case not in (None,
                                                                           earlier.report_id):
                continue
            lines.append(governance.prior_line(officer.name, earlier.decided_on,
                                               governance.found_violation(earlier.violation),
                                               earlier.action.label))
    return "\n".join(lines) or governance.NO_PRIOR_DETERMINATIONS


def db_form(session: Session, core: Core, member: Person, report_id: str) -> list[Reply]:
    """The determination form, with the earlier determinations against each officer above it."""
    report = db_case_for(session, core, member, report_id, action="determine",
                         designee_may=_DETERMINE)
    officers = db_officers(session)
    yes_no = (Choice(case_labels.YES, "yes"), Choice(case_labels.NO, "no"))
    return [Form(actions.DetermineSubmit(report.id).encode(),
                 governance.determination_title(report.code), (
        FormField("subject", LABELS["subject"], FieldKind.SELECT,
                  options=tuple(Choice(p.name, str(p.id)) for p in officers)),
        FormField("violation", LABELS["violation"], FieldKind.BOOLEAN, options=yes_no),
        FormField("action", LABELS["action"], FieldKind.SELECT,
                  options=tuple(Choice(a.label, a.value) for a in BoardAction)),
        FormField("nature", LABELS["nature"], FieldKind.MULTILINE, max_length=FACTOR_LIMIT),
        FormField("occurrence", LABELS["occurrence"], FieldKind.SELECT, options=OCCURRENCES),
        FormField("intent", LABELS["intent"], FieldKind.SELECT, options=INTENTS),
        FormField("advised", LABELS["advised"], FieldKind.BOOLEAN, options=yes_no),
        FormField("prior", LABELS["prior"], FieldKind.MULTILINE, max_length=FACTOR_LIMIT),
        FormField("decider", LABELS["decider"], max_length=DECIDER_LIMIT,
                  initial=governance.DEFAULT_DECIDER),
        FormField("decided_on", LABELS["decided_on"], FieldKind.DATE,
                  initial=core.today().isoformat()),
        FormField("reasoning", LABELS["reasoning"], FieldKind.MULTILINE,
                  max_length=REASONING_LIMIT),
    ), submit_label=governance.DETERMINATION_SUBMIT,
        intro=governance.determination_intro(
            _prior_lines(session, core, officers, db_kept_away(session, core, member),
                         only_case=report.id if member.kind is PersonKind.DESIGNEE else None)))]


def validate(values: dict[str, Any], *, officer_ids: set[int],
             today: date) -> Decision | dict[str, str]:
    """A `Decision`, or field name -> what to fix (nothing is recorded then)."""
    form = FormReader(values)

    def missing(name: str) -> str:
        return governance.factor_missing(FACTORS[name])

    subject = form.person("subject", officer_ids)
    violation = form.yes_no("violation")
    action: BoardAction | None = None
    try:
        action = BoardAction(str(values.get("action", "")))
    except ValueError:
        listed = ", ".join(a.label for a in BoardAction)
        form.refuse("action", governance.action_not_in_code(listed))
    if action is not None and violation is True and action is BoardAction.NONE:
        form.refuse("action", governance.ACTION_NEEDS_VIOLATION)
    if action is not None and violation is False and action is not BoardAction.NONE:
        form.refuse("action", governance.ACTION_WITHOUT_VIOLATION)
    nature = form.text("nature", limit=FACTOR_LIMIT, missing=missing("nature"))
    occurrence = form.one_of("occurrence", {c.value for c in OCCURRENCES},
                             missing=missing("occurrence"))
    intent = form.one_of("intent", {c.value for c in INTENTS}, missing=missing("intent"))
    advised = form.yes_no("advised", missing=missing("advised"))
    prior = form.text("prior", limit=FACTOR_LIMIT, missing=missing("prior"))
    decider = form.text("decider", limit=DECIDER_LIMIT, one_line=True)
    decided_on = form.date("decided_on", today=today)
    reasoning = form.text("reasoning", limit=REASONING_LIMIT)
    if form.errors:
        return form.errors
    assert subject is not None and violation is not None and action is not None
    assert advised is not None and decided_on is not None
    assert occurrence is not None and intent is not None
    return Decision(subject, violation, action, decided_on, nature, occurrence, intent, advised,
                    prior, reasoning, decider)


def db_submit(session: Session, core: Core, *, member: Person, report_id: str,
              values: dict[str, Any]) -> list[Reply]:
    """Validate and record a determination from the form."""
    report = db_case_for(session, core, member, report_id, action="determine",
                         designee_may=_DETERMINE)
    officer_ids = {p.id for p in db_officers(session) if p.id is not None}
    checked = validate(values, officer_ids=officer_ids, today=core.today())
    if isinstance(checked, dict):
        return [FormErrors(actions.DetermineSubmit(report.id).encode(), checked)]
    db_record(session, core, member=member, report=report, decision=checked)
    return [Text(governance.determination_recorded(report.code))]


def db_record(session: Session, core: Core, *, member: Person, report: Report,
              decision: Decision) -> Determination:
    """Record the determination (factors and reasoning sealed) and audit it."""
    kept = db_kept_away(session, core, member)  # the earlier determinations the form showed
    prior_ids = [d.id for d in db_prior(session, core, decision.subject_id)
                 if kept.shows_determination(d)]
    sealed = decision.sealed(prior_ids)
    if member.kind is PersonKind.DESIGNEE:  # issue 22: made by a designee, under a designation
        designation = db_designation_for(session, core, member, report, scope=_DETERMINE)
        assert designation is not None  # the gate let them in under it
        sealed["decider"] = designation_words.decided_by_designee(
            member.name, member.affiliation or "", designation.created_at.date(),
            DesignationScope(designation.scope).label)
        sealed["designation"] = designation.id
    determination_id = new_id()
    row = Determination(
        id=determination_id, report_id=report.id, violation=decision.violation,
        action=decision.action, decided_by=member.id,
        decided_on=decision.decided_on, created_at=core.now(),
        body=core.vault.seal(session, kind=KIND, record_id=determination_id,
                             data=sealed, new=True),
    )
    session.add(row)
    session.flush()
    core.audit_event(session, actor=actor_id(member), action=AuditAction.DETERMINATION_RECORDED,
                     record_kind=REPORT, record_id=report.id,
                     detail={"determination": determination_id, "action": decision.action.value,
                             "violation": decision.violation})
    designations.db_end_kept_away(session, core, report, by=member)  # issue 22: those it names
    return row


def db_unseal(session: Session, core: Core, row: Determination) -> dict[str, Any]:
    return core.vault.unseal(session, kind=KIND, record_id=row.id, blob=row.body)

