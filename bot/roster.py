"""The roster's import: bringing the database in line with the roster file (`bot.roster_file`).

`db_import_roster` does it inside the caller's unit of work (it never commits): people are matched
by e-mail, no one missing from the file is deactivated unless the caller asks to prune, and one
audit event records the counts. At the end, the same in a unit of work of its own, and the
roster's reads the console makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from bot.roster_file import RosterEntry, RosterError, check_unique
from storage import identities
from storage.audit import AuditLog
from storage.crypto import Vault
from storage.db import Database
from storage.identities import PlatformAccount
from storage.models import Person
from storage.vocabulary import AuditAction, PersonKind, Platform, RecordKind


@dataclass
class ImportResult:
    """The e-mails of the people each import step touched."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    missing: list[str]  # not in the file, kept active
    deactivated: list[str]  # not in the file, deactivated (prune)


# --- importing --------------------------------------------------------------------------------


_PLATFORMS = (Platform.SLACK, Platform.TEAMS)


def db_import_roster(
    session: Session, entries: Sequence[RosterEntry], *, prune: bool, vault: Vault, audit: AuditLog,
    actor: str
) -> ImportResult:
    """Bring the roster in the database in line with `entries`, inside the caller's unit of work.
    Platform ids are kept sealed (`storage.identities`), which is why the vault is needed.

    Raises `RosterError` before writing anything when a platform id in the file belongs to someone
    else who keeps it."""
    check_unique(entries)
    people = {p.email: p for p in session.exec(select(Person)).all()}
    accounts = [a for a in identities.db_all(session, vault) if a.platform in _PLATFORMS]
    by_id = {(a.platform, a.platform_user_id): a for a in accounts}
    by_person: dict[tuple[int | None, Platform], PlatformAccount] = {
        (a.person_id, a.platform): a for a in accounts
    }
    in_file = {e.email: e for e in entries}
    email_of = {p.id: p.email for p in people.values()}

    # 1. Check every platform id before any write: it is free, already this person's, or its
    #    holder is given another id on that platform by this same file.
    for entry in entries:
        for platform in _PLATFORMS:
            wanted = entry.platform_id(platform)
            holder = by_id.get((platform, wanted)) if wanted else None
            if holder is None or email_of.get(holder.person_id) == entry.email:
                continue
            holder_email = email_of.get(holder.person_id, "?")
            other = in_file.get(holder_email)
            moved_away = other is not None and other.platform_id(platform) not in (None, wanted)
            if not moved_away:
                raise RosterError(entry.line, f"{platform.label} id {wanted!r} already belongs to "
                                              f"{holder_email}")

    # 2. People: add, update, reactivate.
    result = ImportResult([], [], [], [], [])
    for entry in entries:
        person = people.get(entry.email)
        if person is None:
            person = Person(email=entry.email, name=entry.name, kind=entry.kind)
            _apply(person, entry)
            session.add(person)
            people[entry.email] = person
            result.added.append(entry.email)
            continue
        changed = _apply(person, entry)
        changed |= any(
            (wanted := entry.platform_id(p)) is not None
            and getattr(by_person.get((person.id, p)), "platform_user_id", None) != wanted
            for p in _PLATFORMS
        )
        session.add(person)
        (result.updated if changed else result.unchanged).append(entry.email)
    session.flush()

    # 3. Identities: drop the ids being replaced first, then add the new ones.
    replaced: list[tuple[Person, Platform, str]] = []
    for entry in entries:
        person = people[entry.email]
        for platform in _PLATFORMS:
            wanted = entry.platform_id(platform)
            current = by_person.get((person.id, platform))
            if wanted is None or (current is not None and current.platform_user_id == wanted):
                continue
            if current is not None:
                identities.db_remove(session, vault, current)
            replaced.append((person, platform, wanted))
    for person, platform, wanted in replaced:
        assert person.id is not None
        identities.db_add(session, vault, PlatformAccount(person.id, platform, wanted))

    # 4. People not in the file: listed, and deactivated only when pruning.
    for email, person in sorted(people.items()):
        if email in in_file or not person.active:
            continue
        if prune:
            person.active = False
            session.add(person)
            result.deactivated.append(email)
        else:
            result.missing.append(email)
    session.flush()

    audit.db_append(
        session, actor=actor, action=AuditAction.ROSTER_IMPORTED, record_kind=RecordKind.ROSTER,
        record_id="-",
        detail={"added": len(result.added), "updated": len(result.updated),
                "unchanged": len(result.unchanged), "missing": len(result.missing),
                "deactivated": len(result.deactivated), "prune": prune},
    )
    return result


def _apply(person: Person, entry: RosterEntry) -> bool:
    """Set a person's roster fields from the file's entry; say whether anything changed."""
    committee = entry.kind is PersonKind.COMMITTEE
    officer = entry.kind is PersonKind.OFFICER
    # An officer's omitted date keeps the one on record (attesting moves it on a year).
    due = (entry.attestation_due or person.attestation_due) if officer else None
    wanted = (entry.name, entry.kind, entry.role, entry.chair and committee, True, due,
              entry.affiliation)
    before = (person.name, person.kind, person.role, person.chair, person.active,
              person.attestation_due, person.affiliation)
    (person.name, person.kind, person.role, person.chair, person.active,
     person.attestation_due, person.affiliation) = wanted
    return before != wanted


def db_list_roster(session: Session, vault: Vault) -> list[tuple[Person, list[PlatformAccount]]]:
    """Everyone on the roster, active or not: the committee first, then officers, then designees,
    by name."""
    people = session.exec(select(Person)).all()
    accounts: dict[int | None, list[PlatformAccount]] = {}
    for account in identities.db_all(session, vault):
        accounts.setdefault(account.person_id, []).append(account)
    order = {PersonKind.COMMITTEE: 0, PersonKind.OFFICER: 1, PersonKind.DESIGNEE: 2}
    ranked = sorted(people, key=lambda p: (order[p.kind], p.name.casefold(), p.email))
    return [(p, sorted(accounts.get(p.id, []), key=lambda a: a.platform.value)) for p in ranked]


# --- in a unit of work of their own: the console's roster (the command line's is bot.admin) ----


def import_roster(db: Database, entries: Sequence[RosterEntry], *, prune: bool, vault: Vault,
                  audit: AuditLog, actor: str) -> ImportResult:
    """`db_import_roster`, committed."""
    with db.write(alone=True) as session:
        return db_import_roster(session, entries, prune=prune, vault=vault, audit=audit,
                                actor=actor)


def anyone(db: Database) -> bool:
    """Whether anyone, active or not, is on the roster yet."""
    with db.read() as session:
        return session.exec(select(Person.id).limit(1)).first() is not None


def everyone(db: Database) -> list[Person]:
    """Every person, active or not (plain columns: whose the direct messages are)."""
    with db.read() as session:
        return list(session.exec(select(Person)).all())


def active_people(db: Database) -> list[Person]:
    with db.read() as session:
        return list(session.exec(select(Person).where(Person.active == True)).all())  # noqa: E712
