"""Issue 22's designees for tests: a person the committee may designate, added to a world (or any
database), with their platform ids."""

from __future__ import annotations

from adapters.bootstrap import Candor
from bot.roster import db_import_roster
from bot.roster_file import parse_roster
from storage import identities
from storage.crypto import Vault
from storage.db import Database
from storage.identities import PlatformAccount
from storage.models import Person
from storage.vocabulary import PersonKind, Platform

ADVISER = ("Robin Vale", "robin@counsel.example", "outside counsel")
OTHER_ADVISER = ("Casey Moss", "casey@audit.example", "forensic accountant")


def add_designee(db: Database, vault: Vault, *, name: str, email: str, affiliation: str,
                 ids: dict[Platform, str] | None = None) -> Person:
    with db.write() as session:
        person = Person(name=name, email=email, kind=PersonKind.DESIGNEE, affiliation=affiliation)
        session.add(person)
        session.flush()
        assert person.id is not None
        accounts = {Platform.CONSOLE: email, **(ids or {})}
        for platform, user_id in accounts.items():
            identities.db_add(session, vault, PlatformAccount(person.id, platform, user_id))
        session.expunge(person)
        return person


# The roster's `designees:` group as an operator writes it (README "Designated persons"), with the
# Slack and Teams ids the e2e harnesses use.
DESIGNEES_YAML = """\
designees:
  - {name: Robin Vale, email: robin@counsel.example, organisation: outside counsel, slack_id: U0ROBIN, teams_id: aad-robin}
  - {name: Casey Moss, email: casey@audit.example, organisation: forensic accountant, slack_id: U0CASEY, teams_id: aad-casey}
"""


def import_designees(candor: Candor, roster: str) -> None:
    """`roster` with the designees appended, imported into a served Candor as `candor roster
    import` does."""
    with candor.db.write() as session:
        db_import_roster(session, parse_roster(roster + DESIGNEES_YAML), prune=False,
                         vault=candor.core.vault, audit=candor.core.audit, actor="test")
