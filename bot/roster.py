"""The roster file: who the officers and the Audit Committee members are, and how it is imported.

`parse_roster` reads the YAML file and refuses a malformed one with the line and the reason,
before anything is written. `db_import_roster` brings the database in line with the file inside
the caller's unit of work (it never commits): people are matched by e-mail, no one missing from
the file is deactivated unless the caller asks to prune, and one audit event records the counts.
At the end, the same in a unit of work of its own, and the roster's reads the console makes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import yaml
from sqlmodel import Session, select

from storage import identities
from storage.audit import AuditLog
from storage.crypto import Vault
from storage.db import Database
from storage.identities import PlatformAccount
from storage.models import Person
from storage.vocabulary import PersonKind, Platform, Role

SECTIONS = {"officers": PersonKind.OFFICER, "committee": PersonKind.COMMITTEE}
_KEYS = {
    PersonKind.OFFICER: ("name", "email", "role", "slack_id", "teams_id", "attestation_due"),
    PersonKind.COMMITTEE: ("name", "email", "chair", "slack_id", "teams_id"),
}
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")  # Slack user ids: U… (or W… on Enterprise Grid)
_TEAMS_ID = re.compile(r"^\S{1,128}$")  # the AAD object id; no stricter check, it varies by tenant
_NULL = "tag:yaml.org,2002:null"
_TRUE, _FALSE = {"true", "yes", "on"}, {"false", "no", "off"}


class RosterError(ValueError):
    """A roster that cannot be imported, with the line (1-based; 0 if unknown) and the reason."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}" if line else reason)


@dataclass(frozen=True)
class RosterEntry:
    name: str
    email: str  # lower-case: the key people are matched by
    kind: PersonKind
    role: Role | None  # officers only
    chair: bool  # committee only
    slack_id: str | None
    teams_id: str | None
    attestation_due: date | None  # officers only
    line: int = field(default=0, compare=False)  # where the entry starts in the file; 0 if none

    def platform_id(self, platform: Platform) -> str | None:
        return {Platform.SLACK: self.slack_id, Platform.TEAMS: self.teams_id}.get(platform)


@dataclass
class ImportResult:
    """The e-mails of the people each import step touched."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    missing: list[str]  # not in the file, kept active
    deactivated: list[str]  # not in the file, deactivated (prune)


# --- parsing ----------------------------------------------------------------------------------


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def parse_roster(text: str) -> list[RosterEntry]:
    """Read a roster file; raise `RosterError` naming the first line that is wrong."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise RosterError(line, f"this is not valid YAML ({exc.problem or exc.context})") from None
    except yaml.YAMLError as exc:
        raise RosterError(0, f"this is not valid YAML ({type(exc).__name__})") from None
    if root is None:
        raise RosterError(1, "the roster is empty; expected 'officers:' and 'committee:' lists")
    if not isinstance(root, yaml.MappingNode):
        raise RosterError(_line(root), "expected 'officers:' and 'committee:' lists at the top")
    entries: list[RosterEntry] = []
    seen_sections: set[str] = set()
    for key_node, value_node in root.value:
        section = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if section not in SECTIONS:
            raise RosterError(_line(key_node), f"unknown section {section!r}; expected 'officers' "
                                               "or 'committee'")
        if section in seen_sections:
            raise RosterError(_line(key_node), f"the '{section}' section appears twice")
        seen_sections.add(section)
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag == _NULL:
            continue  # an empty section
        if not isinstance(value_node, yaml.SequenceNode):
            raise RosterError(_line(value_node), f"'{section}' must be a list of people "
                                                 f"('- {{name: ..., email: ...}}')")
        entries.extend(_entry(item, SECTIONS[section]) for item in value_node.value)
    _check_unique(entries)
    return entries


def _entry(node: yaml.Node, kind: PersonKind) -> RosterEntry:
    if not isinstance(node, yaml.MappingNode):
        raise RosterError(_line(node), "each person must be a mapping like {name: ..., email: ...}")
    allowed = _KEYS[kind]
    values: dict[str, yaml.ScalarNode] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in allowed:
            where = "an officer" if kind is PersonKind.OFFICER else "a committee member"
            raise RosterError(_line(key_node), f"unknown key {key!r} for {where}; expected one of: "
                                               f"{', '.join(allowed)}")
        if key in values:
            raise RosterError(_line(key_node), f"{key!r} is given twice")
        if not isinstance(value_node, yaml.ScalarNode):
            raise RosterError(_line(value_node), f"{key!r} must be a single value")
        if value_node.tag != _NULL and value_node.value.strip():
            values[key] = value_node

    def text(key: str) -> str | None:
        found = values.get(key)
        return found.value.strip() if found is not None else None

    def fail(key: str, reason: str) -> RosterError:
        found = values.get(key)
        return RosterError(_line(found) if found is not None else _line(node), reason)

    name, email = text("name"), text("email")
    if not name:
        raise fail("name", "a person without a name")
    if not email:
        raise fail("email", f"{name} has no email")
    email = email.lower()
    if not _EMAIL.match(email):
        raise fail("email", f"{email!r} is not an e-mail address")
    role = None
    if kind is PersonKind.OFFICER:
        role_text = text("role")
        if not role_text:
            raise fail("role", f"officer {email} has no role")
        try:
            role = Role.parse(role_text)
        except ValueError as exc:
            raise fail("role", str(exc)) from None
    chair_text = (text("chair") or "false").lower()
    if chair_text not in _TRUE | _FALSE:
        raise fail("chair", f"chair must be true or false, not {text('chair')!r}")
    chair = chair_text in _TRUE
    slack_id, teams_id = text("slack_id"), text("teams_id")
    if slack_id is not None and not _SLACK_ID.match(slack_id):
        raise fail("slack_id", f"{slack_id!r} is not a Slack user id (like U012AB3CD)")
    if teams_id is not None and not _TEAMS_ID.match(teams_id):
        raise fail("teams_id", f"{teams_id!r} is not a Teams user id (the AAD object id)")
    due = None
    due_text = text("attestation_due")
    if due_text is not None:
        try:
            due = date.fromisoformat(due_text)
        except ValueError:
            raise fail("attestation_due", f"{due_text!r} is not a date like 2027-03-31") from None
    return RosterEntry(name=name, email=email, kind=kind, role=role, chair=chair, slack_id=slack_id,
                       teams_id=teams_id, attestation_due=due, line=_line(node))


def _check_unique(entries: Sequence[RosterEntry]) -> None:
    """Each e-mail and each platform id appears once in the file."""
    first: dict[tuple[str, str], int] = {}
    for position, entry in enumerate(entries):
        keys = [("email", entry.email)]
        keys += [(f"{p.value}_id", v) for p in (Platform.SLACK, Platform.TEAMS)
                 if (v := entry.platform_id(p))]
        for what, value in keys:
            earlier = entries[first.setdefault((what, value), position)]
            if first[(what, value)] != position:
                where = f" (first on line {earlier.line})" if earlier.line else ""
                raise RosterError(entry.line, f"{what} {value!r} appears twice{where}")


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
    _check_unique(entries)
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
        session, actor=actor, action="roster.imported", record_kind="roster", record_id="-",
        detail={"added": len(result.added), "updated": len(result.updated),
                "unchanged": len(result.unchanged), "missing": len(result.missing),
                "deactivated": len(result.deactivated), "prune": prune},
    )
    return result


def _apply(person: Person, entry: RosterEntry) -> bool:
    """Set a person's roster fields from the file's entry; say whether anything changed."""
    committee = entry.kind is PersonKind.COMMITTEE
    # An officer's omitted date keeps the one on record (attesting moves it on a year).
    due = None if committee else (entry.attestation_due or person.attestation_due)
    wanted = (entry.name, entry.kind, entry.role, entry.chair and committee, True, due)
    before = (person.name, person.kind, person.role, person.chair, person.active,
              person.attestation_due)
    (person.name, person.kind, person.role, person.chair, person.active,
     person.attestation_due) = wanted
    return before != wanted


def db_list_roster(session: Session, vault: Vault) -> list[tuple[Person, list[PlatformAccount]]]:
    """Everyone on the roster, active or not: the committee first, then officers, by name."""
    people = session.exec(select(Person)).all()
    accounts: dict[int | None, list[PlatformAccount]] = {}
    for account in identities.db_all(session, vault):
        accounts.setdefault(account.person_id, []).append(account)
    order = {PersonKind.COMMITTEE: 0, PersonKind.OFFICER: 1}
    ranked = sorted(people, key=lambda p: (order[p.kind], p.name.casefold(), p.email))
    return [(p, sorted(accounts.get(p.id, []), key=lambda a: a.platform.value)) for p in ranked]


# --- in a unit of work of their own: the console's roster (the command line's is bot.admin) ----


def import_roster(db: Database, entries: Sequence[RosterEntry], *, prune: bool, vault: Vault,
                  audit: AuditLog, actor: str) -> ImportResult:
    """`db_import_roster`, committed."""
    with db.write() as session:
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
