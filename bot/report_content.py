"""A report's content: the one table of its free-text fields (`FIELDS`: name, words, limit,
whether it is required, whether the committee reads it) and the typed record that is sealed
(`ReportContent`). The typed conversation (bot/intake.py), the form (bot/report_form.py), the
sealed record (bot/reports.py), the case view and the case file (bot/views/case.py) all read this
table, so adding a field is one line here (and its words in bot/wording/reporting.py).

Pure: touches bot.wording and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.wording import refusals, reporting
from bot.wording.reporting import FieldWords


@dataclass(frozen=True)
class TextField:
    name: str  # its key in the form, the draft and the sealed record
    words: FieldWords
    limit: int  # characters
    required: bool = False
    multiline: bool = True
    committee_reads: bool = True  # shown in the case view and the case file
    minimum: int = 0  # characters, once stripped (a required field's floor)


FIELDS: tuple[TextField, ...] = (
    TextField("what", reporting.WHAT, limit=4000, required=True, minimum=10),
    TextField("who", reporting.WHO, limit=1000),
    TextField("when", reporting.WHEN, limit=500, multiline=False),
    TextField("evidence", reporting.EVIDENCE, limit=2000),
    TextField("known", reporting.KNOWN, limit=1000),
)
BY_NAME = {f.name: f for f in FIELDS}
# The committee members to keep away are chosen right after this field (who is involved).
KEEP_AWAY_AFTER = "who"


def check_text(name: str, text: str) -> str | None:
    """The problem with a field's text, or None. The conversation and the form share it."""
    spec = BY_NAME[name]
    if len(text) > spec.limit:
        return refusals.too_long(spec.limit, len(text))
    if len(text.strip()) < spec.minimum:
        return reporting.TOO_SHORT_WHAT
    if "\x00" in text:
        return refusals.UNREADABLE_TEXT
    return None


@dataclass(frozen=True)
class NamedReporter:
    """Who made a named report, as the roster had them when it was filed."""

    person_id: int | None
    name: str
    email: str
    platform: str

    def to_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "name": self.name, "email": self.email,
                "platform": self.platform}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> NamedReporter:
        person_id = doc.get("person_id")
        return cls(person_id=None if person_id is None else int(person_id),
                   name=str(doc.get("name", "")), email=str(doc.get("email", "")),
                   platform=str(doc.get("platform", "")))


@dataclass(frozen=True)
class ReportContent:
    """What a report seals: each field's text (None when not given) and, for a named report, who
    reported. Its JSON keeps each field under its name, as every sealed report has."""

    texts: Mapping[str, str | None]
    reporter: NamedReporter | None = None
    # Legal holds placed and released, each with its reason, who and when (bot/retention.py)
    holds: tuple[Mapping[str, Any], ...] = ()

    def text(self, name: str) -> str | None:
        return self.texts.get(name)

    def to_json(self) -> dict[str, Any]:
        doc = {**{f.name: self.texts.get(f.name) for f in FIELDS},
               "reporter": None if self.reporter is None else self.reporter.to_json()}
        return {**doc, "holds": [dict(h) for h in self.holds]} if self.holds else doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ReportContent:
        who = doc.get("reporter")
        holds = doc.get("holds")
        return cls(texts={f.name: _text(doc.get(f.name)) for f in FIELDS},
                   reporter=NamedReporter.from_json(who) if isinstance(who, Mapping) else None,
                   holds=tuple(h for h in holds if isinstance(h, Mapping))
                   if isinstance(holds, list) else ())


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
