"""The console's clock: the real time, moved forward by `/wait` so that a demo can let time pass
(an anonymous report's random delay, a week's acknowledgement escalation, an attestation's
reminders, a waiver's disclosure deadline). Only the console has one; `candor serve` keeps the
real time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.clock import utcnow

MAX_WAIT = timedelta(days=366)
_PART = re.compile(r"(\d+)\s*(w|d|h|m)")
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1),
          "m": timedelta(minutes=1)}


@dataclass
class ConsoleClock:
    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return utcnow() + self.offset


def parse_duration(text: str) -> timedelta | None:
    """`45m`, `8d`, `2w`, `1d12h`: a duration of at least a minute and at most `MAX_WAIT`; None
    for anything else."""
    text = text.strip().lower().replace(" ", "")
    if not text or _PART.sub("", text):
        return None
    total = sum((int(n) * _UNITS[unit] for n, unit in _PART.findall(text)), timedelta(0))
    return total if timedelta(minutes=1) <= total <= MAX_WAIT else None
