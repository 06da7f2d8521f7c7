"""The annual attestation: the Code shown, the questions asked, the answers checked. Pure.

The Code comes from `CANDOR_POLICY_FILE` (default: the Supplemental Code shipped in the package);
its SHA-256 is recorded with each attestation so the committee can prove which text was attested.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot import copy
from bot.messages import FieldKind, Form, FormField

FORM_ID = "attest"
DEFAULT_POLICY = Path(__file__).parent / "policy" / "supplemental-code.md"
DISCLOSURE_LIMIT = 4000


@dataclass(frozen=True)
class Policy:
    text: str
    version_hash: str

    @property
    def title(self) -> str:
        for line in self.text.splitlines():
            if line.strip():
                return line.strip("# ").strip()
        return "Supplemental Code of Ethics"


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


QUESTIONS: tuple[tuple[str, str], ...] = (
    ("read_understood", "I have read and understood the Supplemental Code of Ethics."),
    ("complied", "I complied with the Code throughout the period."),
    ("no_conflict", "I have no conflict of interest that I have not disclosed."),
    ("no_unreported", "I know of no matter the Code requires me to report that I have not reported."),
)


def form(policy: Policy, period: str) -> Form:
    fields = [FormField(name, label, FieldKind.BOOLEAN) for name, label in QUESTIONS]
    fields.append(FormField(
        "disclosure", "Conflicts of interest or exceptions to disclose", FieldKind.MULTILINE,
        required=False, max_length=DISCLOSURE_LIMIT, hint=copy.attest_disclosure_hint(),
    ))
    return Form(FORM_ID, f"Attestation {period}", tuple(fields), submit_label="Attest",
                intro=policy.text)


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}.get(
            value.strip().lower()
        )
    return None


def validate(values: dict[str, Any]) -> Answers | dict[str, str]:
    errors: dict[str, str] = {}
    answers: dict[str, bool] = {}
    for name, _label in QUESTIONS:
        answer = _yes_no(values.get(name))
        if answer is None:
            errors[name] = copy.answer_yes_no()
        else:
            answers[name] = answer
    raw = values.get("disclosure")
    disclosure = raw.strip() if isinstance(raw, str) and raw.strip() else None
    if disclosure and len(disclosure) > DISCLOSURE_LIMIT:
        errors["disclosure"] = copy.too_long(DISCLOSURE_LIMIT, len(disclosure))
    if answers.get("read_understood") is False:
        errors["read_understood"] = copy.attest_must_read()
    for name in ("complied", "no_conflict"):
        if answers.get(name) is False and not disclosure:
            errors["disclosure"] = copy.attest_explain()
    if errors:
        return errors
    return Answers(disclosure=disclosure, **answers)


def period_for(due: date | None, today: date) -> str:
    """The attestation period an officer attests for now: the year of their due date."""
    return str((due or today).year)


def next_due(due: date | None, today: date) -> date:
    """One year after the due date just met (29 February falls back to the 28th)."""
    base = due or today
    try:
        return base.replace(year=base.year + 1)
    except ValueError:
        return base.replace(year=base.year + 1, day=28)
