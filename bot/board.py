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

from bot import actions
from bot.access import db_case_for, db_officers
from bot.committee import REASON_LIMIT
from bot.core import Core, actor_id
from bot.messages import Choice, FieldKind, Form, FormErrors, FormField, Reply, Text
from bot.reports import REPORT
from bot.visibility import KeptAway, db_kept_away, db_subject
from bot.wording import case_labels, governance, refusals
from storage.models import Determination, Person, Report, new_id
from storage.vocabulary import BoardAction

KIND = "determination"
FACTOR_LIMIT = 2000
DECIDER_LIMIT = 300
EARLIEST = date(2002, 1, 1)  # before the Sarbanes-Oxley codes of ethics, a date is a typo

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


def _prior_lines(session: Session, core: Core, officers: list[Person], kept: KeptAway) -> str:
    # Plain facts only (date, action), and none from a case the member is kept away from.
    lines = []
    for officer in officers:
        assert officer.id is not None
        for earlier in filter(kept.shows_determination, db_prior(session, core, officer.id)):
            lines.append(governance.prior_line(officer.name, earlier.decided_on,
                                               governance.found_violation(earlier.violation),
                                               earlier.action.label))
    return "\n".join(lines) or governance.NO_PRIOR_DETERMINATIONS


def db_form(session: Session, core: Core, member: Person, report_id: str) -> list[Reply]:
    """The determination form, with the earlier determinations against each officer above it."""
    report = db_case_for(session, core, member, report_id, action="determine")
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
                  max_length=REASON_LIMIT),
    ), submit_label=governance.DETERMINATION_SUBMIT,
        intro=governance.determination_intro(
            _prior_lines(session, core, officers, db_kept_away(session, core, member))))]


def validate(values: dict[str, Any], *, officer_ids: set[int],
             today: date) -> Decision | dict[str, str]:
    """A `Decision`, or field name -> what to fix (nothing is recorded then)."""
    errors: dict[str, str] = {}

    def text(name: str, limit: int = FACTOR_LIMIT) -> str:
        value = values.get(name)
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            errors[name] = (governance.factor_missing(FACTORS[name]) if name in FACTORS
                            else refusals.REQUIRED_FIELD)
        elif len(value) > limit:
            errors[name] = refusals.too_long(limit, len(value))
        return value

    def yes_no(name: str) -> bool | None:
        value = values.get(name)
        if value in ("yes", "no"):
            return bool(value == "yes")
        errors[name] = (governance.factor_missing(FACTORS[name]) if name in FACTORS
                        else refusals.ANSWER_YES_NO)
        return None

    subject_text = values.get("subject")
    subject = (int(subject_text) if isinstance(subject_text, str) and subject_text.isdigit()
               else None)
    if subject is None or subject not in officer_ids:
        errors["subject"] = refusals.CHOOSE_OFFICER
    violation = yes_no("violation")
    action: BoardAction | None = None
    try:
        action = BoardAction(str(values.get("action", "")))
    except ValueError:
        errors["action"] = governance.action_not_in_code(", ".join(a.label for a in BoardAction))
    if action is not None and violation is True and action is BoardAction.NONE:
        errors["action"] = governance.ACTION_NEEDS_VIOLATION
    if action is not None and violation is False and action is not BoardAction.NONE:
        errors["action"] = governance.ACTION_WITHOUT_VIOLATION
    nature = text("nature")
    occurrence = str(values.get("occurrence", ""))
    if occurrence not in {c.value for c in OCCURRENCES}:
        errors["occurrence"] = governance.factor_missing(FACTORS["occurrence"])
    intent = str(values.get("intent", ""))
    if intent not in {c.value for c in INTENTS}:
        errors["intent"] = governance.factor_missing(FACTORS["intent"])
    advised = yes_no("advised")
    prior = text("prior")
    decider = " ".join(text("decider", DECIDER_LIMIT).split())
    decided_on = parse_date(values.get("decided_on"), errors, "decided_on", today=today)
    reasoning = text("reasoning", REASON_LIMIT)
    if errors:
        return errors
    assert subject is not None and violation is not None and action is not None
    assert advised is not None and decided_on is not None
    return Decision(subject, violation, action, decided_on, nature, occurrence, intent, advised,
                    prior, reasoning, decider)


def parse_date(value: object, errors: dict[str, str], name: str, *, today: date) -> date | None:
    """An ISO date not after today; a refusal goes into `errors`."""
    try:
        day = date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        errors[name] = refusals.DATE_INVALID
    elif day > today:
        errors[name] = refusals.DATE_IN_FUTURE
        return None
    elif day < EARLIEST:
        errors[name] = refusals.date_too_early(EARLIEST.isoformat())
        return None
    return day


def db_submit(session: Session, core: Core, *, member: Person, report_id: str,
              values: dict[str, Any]) -> list[Reply]:
    """Validate and record a determination from the form."""
    report = db_case_for(session, core, member, report_id, action="determine")
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
    determination_id = new_id()
    row = Determination(
        id=determination_id, report_id=report.id, violation=decision.violation,
        action=decision.action, decided_by=member.id,
        decided_on=decision.decided_on, created_at=core.now(),
        body=core.vault.seal(session, kind=KIND, record_id=determination_id,
                             data=decision.sealed(prior_ids), new=True),
    )
    session.add(row)
    session.flush()
    core.audit_event(session, actor=actor_id(member), action="determination.recorded",
                     record_kind=REPORT, record_id=report.id,
                     detail={"determination": determination_id, "action": decision.action.value,
                             "violation": decision.violation})
    return row


def db_unseal(session: Session, core: Core, row: Determination) -> dict[str, Any]:
    return core.vault.unseal(session, kind=KIND, record_id=row.id, blob=row.body)

