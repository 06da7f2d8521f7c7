"""A small company for tests: officers and committee members on a migrated database, and the
core wired around them, with a clock the test controls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.console.app import SURFACE as CONSOLE_SURFACE
from adapters.slack.render import SURFACE as SLACK_SURFACE
from adapters.teams.cards import SURFACE as TEAMS_SURFACE
from bot.attestation import load_policy
from bot.core import Core
from bot.delivery.relay import Relay
from bot.messages import (
    Actor,
    ChoiceClicked,
    Choices,
    Command,
    DirectMessage,
    Document,
    FormSubmitted,
    Reply,
    Text,
)
from bot.service import Service
from storage import identities
from storage.audit import AuditLog
from storage.crypto import Vault
from storage.db import Database
from storage.identities import PlatformAccount
from storage.models import Person
from storage.vocabulary import PersonKind, Platform, Role


@dataclass
class Clock:
    moment: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


PEOPLE = [
    # (key, name, email, kind, role, chair, slack id)
    ("cfo", "Dana Reyes", "dana@example.com", PersonKind.OFFICER, Role.CFO, False, "U0CFO"),
    ("controller", "Sam Ortiz", "sam@example.com", PersonKind.OFFICER, Role.CONTROLLER, False, "U0CTL"),
    ("chair", "Lee Park", "lee@example.com", PersonKind.COMMITTEE, None, True, "U0LEE"),
    ("member", "Alex Kim", "alex@example.com", PersonKind.COMMITTEE, None, False, "U0ALEX"),
    ("member2", "Jordan Blake", "jordan@example.com", PersonKind.COMMITTEE, None, False, "U0JORD"),
]


def add_people(db: Database, vault: Vault) -> dict[str, Person]:
    people: dict[str, Person] = {}
    with db.write() as session:
        for key, name, email, kind, role, chair, slack_id in PEOPLE:
            person = Person(name=name, email=email, kind=kind, role=role, chair=chair,
                            attestation_due=datetime(2027, 3, 31).date() if kind is PersonKind.OFFICER else None)
            session.add(person)
            session.flush()
            assert person.id is not None
            identities.db_add(session, vault, PlatformAccount(person.id, Platform.SLACK, slack_id))
            identities.db_add(session, vault, PlatformAccount(person.id, Platform.CONSOLE, email))
            people[key] = person
    return people


@dataclass
class World:
    db: Database
    core: Core
    service: Service
    relay: Relay
    clock: Clock
    people: dict[str, Person]

    def actor(self, key: str, platform: Platform = Platform.CONSOLE) -> Actor:
        person = self.people[key]
        user_id = person.email if platform is Platform.CONSOLE else dict(
            (p[0], p[6]) for p in PEOPLE)[key]
        return Actor(platform, user_id, email=person.email, surface=SURFACES[platform])

    def say(self, key: str, text: str) -> list[Reply]:
        return self.service.handle(DirectMessage(self.actor(key), text))

    def command(self, key: str, name: str, args: str = "") -> list[Reply]:
        return self.service.handle(Command(self.actor(key), name, args))

    def click(self, key: str, value: str) -> list[Reply]:
        return self.service.handle(ChoiceClicked(self.actor(key), value))

    def submit(self, key: str, form_id: str, values: dict[str, Any]) -> list[Reply]:
        return self.service.handle(FormSubmitted(self.actor(key), form_id, values))


# Each platform's surface, as its adapter declares it.
SURFACES = {Platform.CONSOLE: CONSOLE_SURFACE, Platform.SLACK: SLACK_SURFACE,
            Platform.TEAMS: TEAMS_SURFACE}


def build_world(db: Database, vault: Vault, *, platforms: frozenset[Platform] = frozenset({Platform.CONSOLE})) -> World:
    clock = Clock()
    core = Core(vault=vault, audit=AuditLog(lambda: vault.keyring), policy=load_policy(),
                platforms=platforms, now=clock)
    people = add_people(db, vault)
    return World(db, core, Service(db, core), Relay(db, core), clock, people)


def text_of(replies: list[Reply]) -> str:
    """Everything a person reads in these replies, as one string."""
    parts: list[str] = []
    for reply in replies:
        if isinstance(reply, Text):
            parts.append(reply.text)
        elif isinstance(reply, Choices):
            parts.append(reply.text)
            parts += [c.label for c in reply.choices]
        elif isinstance(reply, Document):
            parts.append(reply.title)
            parts += [f"{h}: {b}" for h, b in reply.sections]
            parts += [c.label for c in reply.choices]
        else:
            parts.append(repr(reply))
    return "\n".join(parts)


def choice_values(replies: list[Reply]) -> list[str]:
    values: list[str] = []
    for reply in replies:
        if isinstance(reply, Choices | Document):
            values += [c.value for c in reply.choices]
    return values
