"""Reading a submitted form: one reader (`FormReader`) that every form's check uses to take its
text, yes/no, choice, person and date fields, collecting what to fix beside each field; and the
limits of the free text people type, named once.

Pure: touches bot.wording and nothing else.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.wording import refusals

# How much a person may type into a field, by what the field holds.
LINE = 300  # a one-line fact: who granted or decided, a provision waived, a disclosure's reference
NOTE = 2000  # a reason (a status move, a legal hold), a question, a factor the Board weighed
STATEMENT = 4000  # someone's own account: an answer, a disclosure, a waiver's grounds
# A date typed before the Sarbanes-Oxley codes of ethics existed is a typo.
EARLIEST = date(2002, 1, 1)

_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})


@dataclass
class FormReader:
    """A form's submitted values, read field by field; `errors` collects, by field name, what the
    person must fix (nothing is recorded while there is any)."""

    values: Mapping[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    def refuse(self, name: str, reason: str) -> None:
        self.errors[name] = reason

    def text(self, name: str, *, limit: int, missing: str | None = refusals.REQUIRED_FIELD,
             one_line: bool = False) -> str:
        """The field's text, stripped (with `one_line`, its spaces and line breaks made one
        space); "" when it is empty, refused with `missing` unless that is None."""
        raw = self.values.get(name)
        if raw is not None and not isinstance(raw, str):
            self.refuse(name, refusals.UNREADABLE_TEXT)
            return ""
        value = ("" if raw is None else " ".join(raw.split()) if one_line else raw.strip())
        if not value:
            if missing is not None:
                self.refuse(name, missing)
        elif len(value) > limit:
            self.refuse(name, refusals.too_long(limit, len(value)))
        elif "\x00" in value:
            self.refuse(name, refusals.UNREADABLE_TEXT)
        return value

    def optional_text(self, name: str, *, limit: int) -> str | None:
        return self.text(name, limit=limit, missing=None) or None

    def yes_no(self, name: str, *, missing: str = refusals.ANSWER_YES_NO) -> bool | None:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        word = value.strip().lower() if isinstance(value, str) else ""
        if word in _YES or word in _NO:
            return word in _YES
        self.refuse(name, missing)
        return None

    def one_of(self, name: str, allowed: Collection[str], *, missing: str) -> str | None:
        value = self.values.get(name)
        if isinstance(value, str) and value in allowed:
            return value
        self.refuse(name, missing)
        return None

    def person(self, name: str, allowed: Collection[int], *,
               missing: str = refusals.CHOOSE_OFFICER) -> int | None:
        """A roster person chosen by id, among `allowed`."""
        value = self.values.get(name)
        chosen = int(value) if isinstance(value, str) and value.isdigit() else None
        if chosen is None or chosen not in allowed:
            self.refuse(name, missing)
            return None
        return chosen

    def date(self, name: str, *, today: date) -> date | None:
        """An ISO date, not after `today` (the company's) nor before `EARLIEST`."""
        value = self.values.get(name)
        try:
            day = date.fromisoformat(value.strip()) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None:
            self.refuse(name, refusals.DATE_INVALID)
        elif day > today:
            self.refuse(name, refusals.DATE_IN_FUTURE)
            return None
        elif day < EARLIEST:
            self.refuse(name, refusals.date_too_early(EARLIEST.isoformat()))
            return None
        return day
