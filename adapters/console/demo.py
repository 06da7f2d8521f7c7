"""A demo roster for `candor console` when the database has nobody yet."""

from __future__ import annotations

from adapters.bootstrap import Candor
from bot.roster import anyone, import_roster
from bot.roster_file import RosterEntry, parse_roster

DEMO_ROSTER = """\
officers:
  - {name: Dana Reyes, email: dana@example.com, role: CFO, attestation_due: 2027-03-31}
  - {name: Sam Ortiz, email: sam@example.com, role: Controller, attestation_due: 2027-01-15}
  - {name: Ana Silva, email: ana@example.com, role: CEO, attestation_due: 2027-06-30}
committee:
  - {name: Lee Park, email: lee@example.com, chair: true}
  - {name: Alex Kim, email: alex@example.com}
  - {name: Jordan Blake, email: jordan@example.com}
designees:
  - {name: Robin Vale, email: robin@counsel.example, organisation: outside counsel}
"""


def ensure_people(candor: Candor) -> str | None:
    """Load CANDOR_ROSTER, or the demo roster into an empty database; say what was done."""
    settings = candor.settings
    entries: list[RosterEntry]
    if settings.roster:
        entries = parse_roster(settings.roster.read_text(encoding="utf-8"))
        source = str(settings.roster)
    else:
        if anyone(candor.db):
            return None
        entries = parse_roster(DEMO_ROSTER)
        source = None
    import_roster(candor.db, entries, prune=False, vault=candor.core.vault,
                  audit=candor.core.audit, actor=candor.core.operator or "console")
    if source:
        return f"Roster loaded from {source}. Type /who to see it."
    return ("No roster yet, so a demo roster was loaded: officers dana@, sam@, ana@example.com; "
            "committee lee@ (chair), alex@, jordan@example.com; robin@counsel.example, outside "
            "counsel the committee may designate. Type /as dana@example.com to "
            "begin.")
