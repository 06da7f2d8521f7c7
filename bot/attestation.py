"""The annual attestation: the Code shown, the questions asked, the answers checked. Pure.

The Code comes from `CANDOR_POLICY_FILE` (default: the Supplemental Code shipped in the package);
its SHA-256 is recorded with each attestation so the committee can prove which text was attested.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot import actions, fields
from bot.fields import FormReader
from bot.messages import FieldKind, Form, FormField
from bot.schedule.calendar import shift_years
from bot.wording import attestations

DEFAULT_POLICY = Path(__file__).parent / "policy" / "supplemental-code.md"
DISCLOSURE_LIMIT = fields.STATEMENT


@dataclass(frozen=True)
class Policy:
    text: str
    version_hash: str

    @property
    def title(self) -> str:
        for line in self.text.splitlines():
            if line.strip():
                return line.strip("# ").strip()
        return attestations.CODE_TITLE


def load_policy(path: Path | None = None) -> Policy:
    """The Code from a file, or the one shipped in the package."""
    if path is None:
        text = DEFAULT_POLICY.read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return Policy(text=text, version_hash=hashlib.sha256(text.encode()).hexdigest())


@dataclass(frozen=True)
class Answers:
    read_understood: bool
    complied: bool
    no_conflict: bool
    no_unreported: bool
    disclosure: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "read_understood": self.read_understood,
            "complied": self.complied,
            "no_conflict": self.no_conflict,
            "no_unreported": self.no_unreported,
        }


QUESTIONS = attestations.ATTEST_QUESTIONS


def form(policy: Policy, period: str, *, once: str | None = None) -> Form:
    """The attestation form; `once`, a one-time token in its id, makes a second submission of the
    same form change nothing."""
    fields = [FormField(name, label, FieldKind.BOOLEAN) for name, label in QUESTIONS]
    fields.append(FormField(
        "disclosure", attestations.ATTEST_DISCLOSURE_LABEL, FieldKind.MULTILINE,
        required=False, max_length=DISCLOSURE_LIMIT, hint=attestations.ATTEST_DISCLOSURE_HINT,
    ))
    return Form(actions.AttestForm(once or "").encode(), attestations.attest_title(period),
                tuple(fields), submit_label=attestations.ATTEST_SUBMIT, intro=policy.text)



def validate(values: dict[str, Any]) -> Answers | dict[str, str]:
    form = FormReader(values)
    answers: dict[str, bool] = {}
    for name, _label in QUESTIONS:
        answer = form.yes_no(name)
        if answer is not None:
            answers[name] = answer
    disclosure = form.optional_text("disclosure", limit=DISCLOSURE_LIMIT)
    if answers.get("read_understood") is False:
        form.refuse("read_understood", attestations.ATTEST_MUST_READ)
    for name in ("complied", "no_conflict"):
        if answers.get(name) is False and not disclosure:
            form.refuse("disclosure", attestations.ATTEST_EXPLAIN)
    if form.errors:
        return form.errors
    return Answers(disclosure=disclosure, **answers)


# --- periods -----------------------------------------------------------------------------------
# An officer attests once a year, for the period named by the year of its due date. The due date
# on record moves on a year at each attestation, but the rules below never trust it alone: the
# period owed is the first one not yet attested, so a roster re-import or an edit that sets an
# older date cannot silence an officer's reminders, and a period opens only the day after the
# previous one was due, so nobody attests for years ahead.


@dataclass(frozen=True)
class Owed:
    """The attestation an officer owes: its period, its due date, and the day it opens."""

    period: str
    due: date
    opens_on: date
    scheduled: bool  # False: no due date on the roster (the calendar year, without reminders)

    def is_open(self, today: date) -> bool:
        return today >= self.opens_on


def owed(due: date | None, attested: Collection[str], today: date) -> Owed:
    """What an officer owes now, given their due date on record and the periods they attested."""
    anchor = due or date(today.year, 12, 31)
    years = 0
    while str(shift_years(anchor, years).year) in attested:
        years += 1
    # Both counted from the anchor, so a 29 February due date stays the 29th in leap years.
    current, previous = shift_years(anchor, years), shift_years(anchor, years - 1)
    opens = previous + timedelta(days=1) if str(previous.year) in attested else date.min
    return Owed(str(current.year), current, opens, scheduled=due is not None)


def period_on(due: date | None, day: date) -> str:
    """The period whose window holds `day`, for an officer due each year on `due`'s day and
    month (the calendar year when no date is set): what a quarter's completion is judged by."""
    anchor = due or date(day.year, 12, 31)
    candidate = shift_years(anchor, day.year - anchor.year)
    return str((candidate if candidate >= day else shift_years(candidate, 1)).year)
