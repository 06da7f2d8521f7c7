"""The roster file: who the officers, the Audit Committee members and the people the committee may
designate (`designees:`) are, as the YAML file says.

`parse_roster` reads the file and refuses a malformed one with the line and the reason, before
anything is written; what it gives back (`RosterEntry`) is what `bot.roster` imports. Pure: no
database, no I/O beyond the text it is given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from storage.vocabulary import PersonKind, Platform, Role

SECTIONS = {"officers": PersonKind.OFFICER, "committee": PersonKind.COMMITTEE,
            "designees": PersonKind.DESIGNEE}
_KEYS = {
    PersonKind.OFFICER: ("name", "email", "role", "slack_id", "teams_id", "attestation_due"),
    PersonKind.COMMITTEE: ("name", "email", "chair", "slack_id", "teams_id"),
    PersonKind.DESIGNEE: ("name", "email", "organisation", "slack_id", "teams_id"),
}
_WHO = {PersonKind.OFFICER: "an officer", PersonKind.COMMITTEE: "a committee member",
        PersonKind.DESIGNEE: "a designee"}
AFFILIATION_LIMIT = 120  # "outside counsel, Example LLP": a line of the company directory
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")  # Slack user ids: U… (or W… on Enterprise Grid)
_TEAMS_ID = re.compile(r"^\S{1,128}$")  # the AAD object id; no stricter check, it varies by tenant
_NULL = "tag:yaml.org,2002:null"
_TRUE, _FALSE = {"true", "yes", "on"}, {"false", "no", "off"}

if TYPE_CHECKING:  # PyYAML is imported where a file is read: a server reading none never has it
    import yaml



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
    affiliation: str | None = None  # designees only: their organisation or role

    def platform_id(self, platform: Platform) -> str | None:
        return {Platform.SLACK: self.slack_id, Platform.TEAMS: self.teams_id}.get(platform)


# --- parsing ----------------------------------------------------------------------------------


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def parse_roster(text: str) -> list[RosterEntry]:
    """Read a roster file; raise `RosterError` naming the first line that is wrong."""
    import yaml

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
            raise RosterError(_line(key_node), f"unknown section {section!r}; expected 'officers', "
                                               "'committee' or 'designees'")
        if section in seen_sections:
            raise RosterError(_line(key_node), f"the '{section}' section appears twice")
        seen_sections.add(section)
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag == _NULL:
            continue  # an empty section
        if not isinstance(value_node, yaml.SequenceNode):
            raise RosterError(_line(value_node), f"'{section}' must be a list of people "
                                                 f"('- {{name: ..., email: ...}}')")
        entries.extend(_entry(item, SECTIONS[section]) for item in value_node.value)
    check_unique(entries)
    return entries


def _entry(node: yaml.Node, kind: PersonKind) -> RosterEntry:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise RosterError(_line(node), "each person must be a mapping like {name: ..., email: ...}")
    allowed = _KEYS[kind]
    values: dict[str, yaml.ScalarNode] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in allowed:
            where = _WHO[kind]
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
    if not EMAIL.match(email):
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
    affiliation = None
    if kind is PersonKind.DESIGNEE:
        affiliation = " ".join((text("organisation") or "").split()) or None
        if affiliation is None:
            raise fail("organisation", f"designee {email} has no organisation or role "
                                       "(like 'outside counsel')")
        if len(affiliation) > AFFILIATION_LIMIT:
            raise fail("organisation", f"the organisation of {email} is longer than "
                                       f"{AFFILIATION_LIMIT} characters")
    return RosterEntry(name=name, email=email, kind=kind, role=role, chair=chair, slack_id=slack_id,
                       teams_id=teams_id, attestation_due=due, line=_line(node),
                       affiliation=affiliation)


def check_unique(entries: Sequence[RosterEntry]) -> None:
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
