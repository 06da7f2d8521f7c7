"""Issue 22's designees for tests: a person the committee may designate, added to a world (or any
database), with their platform ids."""

from __future__ import annotations

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
