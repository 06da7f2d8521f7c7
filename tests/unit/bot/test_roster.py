"""The roster file: parsing with line-numbered errors, and importing it on SQLite and PostgreSQL.

Importing again updates people by e-mail, deactivates no one unless asked to prune, and a file or
an import that fails leaves the database as it was.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, col, func, select

from bot.roster import ImportResult, db_import_roster, db_list_roster
from bot.roster_file import RosterEntry, RosterError, parse_roster
from storage.audit import AuditLog
from storage.crypto import Vault
from storage.db import Database
from storage.identities import PlatformAccount, db_add, db_all
from storage.models import AuditEvent, Person
from storage.vocabulary import PersonKind, Platform, Role

ROSTER = """\
officers:
  - {name: Dana Reyes, email: Dana@Example.com, role: CFO, slack_id: U0CFO, teams_id: 6f1c2a9e-aad, attestation_due: 2027-03-31}
  - {name: Sam Ortiz, email: sam@example.com, role: Controller}
committee:
  - {name: Lee Park, email: lee@example.com, chair: true, slack_id: U0LEE}
  - name: Alex Kim
    email: alex@example.com
"""


# --- parsing ----------------------------------------------------------------------------------


def test_the_example_roster_parses() -> None:
    dana, sam, lee, alex = parse_roster(ROSTER)
    assert dana == RosterEntry(
        name="Dana Reyes", email="dana@example.com", kind=PersonKind.OFFICER, role=Role.CFO,
        chair=False, slack_id="U0CFO", teams_id="6f1c2a9e-aad", attestation_due=date(2027, 3, 31),
    )
    assert (dana.line, sam.line, lee.line, alex.line) == (2, 3, 5, 6)
    assert (sam.role, sam.slack_id, sam.teams_id, sam.attestation_due) == (Role.CONTROLLER, None, None, None)
    assert (lee.kind, lee.chair, lee.role, lee.slack_id) == (PersonKind.COMMITTEE, True, None, "U0LEE")
    assert (alex.kind, alex.chair) == (PersonKind.COMMITTEE, False)


@pytest.mark.parametrize(
    ("written", "role"),
    [("CFO", Role.CFO), ("cfo", Role.CFO), ("Chief Executive Officer", Role.CEO), ("GM", Role.GENERAL_MANAGER),
     ("Chairman of the Board", Role.CHAIRMAN), ("President", Role.PRESIDENT),
     ("Other Senior Financial Officer", Role.OTHER), ("general_manager", Role.GENERAL_MANAGER)],
)
def test_roles_accept_the_codes_titles_and_short_forms(written: str, role: Role) -> None:
    (entry,) = parse_roster(f"officers:\n  - {{name: A, email: a@example.com, role: {written}}}\n")
    assert entry.role is role


def test_names_that_look_like_other_yaml_types_stay_text() -> None:
    # YAML 1.1 reads a bare `No` as false and `2027-01-01` as a date; a roster reads them as written
    (entry,) = parse_roster("committee:\n  - {name: No, email: no@example.com, slack_id: U0123}\n")
    assert (entry.name, entry.slack_id) == ("No", "U0123")


def test_empty_sections_and_empty_optional_values_are_allowed() -> None:
    assert parse_roster("officers: []\ncommittee:\n") == []
    (entry,) = parse_roster("officers:\n  - {name: A, email: a@example.com, role: CEO, slack_id: , attestation_due: ''}\n")
    assert (entry.slack_id, entry.attestation_due) == (None, None)


def test_quoted_dates_are_read_too() -> None:
    (entry,) = parse_roster("officers:\n  - {name: A, email: a@example.com, role: CEO, attestation_due: '2027-01-15'}\n")
    assert entry.attestation_due == date(2027, 1, 15)


BAD = [
    # (file, line, what the reason says)
    ("officers:\n  - {name: A, email: a@example.com, role: CFO\n", 3, "not valid YAML"),
    ("officers:\n  - name: A\n   email: x\n", 3, "not valid YAML"),
    ("officers:\n  - {name: A, email: a@example.com, role: CFO}\n"
     "  - {name: B, email: b@example.com, role: CFOO}\n", 3, "unknown role 'CFOO'; expected one of: "),
    ("officers:\n  - {name: A, email: a@example.com, role: CFO, phone: 555}\n", 2, "unknown key 'phone'"),
    ("committee:\n  - {name: A, email: a@example.com, role: CFO}\n", 2, "unknown key 'role' for a committee member"),
    ("officers:\n  - {name: A, email: a@example.com, role: CFO, chair: true}\n", 2, "unknown key 'chair' for an officer"),
    ("officers:\n  - {email: a@example.com, role: CFO}\n", 2, "without a name"),
    ("officers:\n  - name: A\n    role: CFO\n", 2, "A has no email"),
    ("committee:\n  - {name: A, email: not-an-address}\n", 2, "'not-an-address' is not an e-mail address"),
    ("officers:\n  - {name: A, email: a@example.com}\n", 2, "officer a@example.com has no role"),
    ("officers:\n  - name: A\n    email: a@example.com\n    role: CFO\n    attestation_due: 2027-02-30\n", 5,
     "'2027-02-30' is not a date"),
    ("officers:\n  - {name: A, email: a@example.com, role: CFO, attestation_due: next year}\n", 2, "not a date"),
    ("officers:\n  - {name: A, email: a@example.com, role: CFO}\ncommittee:\n  - {name: B, email: A@EXAMPLE.COM}\n",
     4, "email 'a@example.com' appears twice (first on line 2)"),
    ("committee:\n  - {name: A, email: a@example.com, slack_id: U01}\n  - {name: B, email: b@example.com, slack_id: U01}\n",
     3, "slack_id 'U01' appears twice"),
    ("committee:\n  - {name: A, email: a@example.com, teams_id: x1}\n  - {name: B, email: b@example.com, teams_id: x1}\n",
     3, "teams_id 'x1' appears twice"),
    ("committee:\n  - {name: A, email: a@example.com, slack_id: '@alex'}\n", 2, "is not a Slack user id"),
    ("committee:\n  - {name: A, email: a@example.com, chair: maybe}\n", 2, "chair must be true or false"),
    ("committee:\n  - {name: A, email: a@example.com, email: b@example.com}\n", 2, "'email' is given twice"),
    ("committee:\n  - {name: [A, B], email: a@example.com}\n", 2, "'name' must be a single value"),
    ("committee:\n  - just a name\n", 2, "each person must be a mapping"),
    ("officers:\n  - {name: A, email: a@example.com, role: CFO}\nboard:\n  - {name: B}\n", 3, "unknown section 'board'"),
    ("officers:\n  - {name: A, email: a@example.com, role: CFO}\nofficers: []\n", 3, "appears twice"),
    ("committee: Lee Park\n", 1, "must be a list of people"),
    ("- {name: A, email: a@example.com}\n", 1, "expected 'officers:' and 'committee:'"),
    ("", 1, "the roster is empty"),
    ("officers: []\n---\ncommittee: []\n", 2, "not valid YAML"),
]


@pytest.mark.parametrize(("text", "line", "reason"), BAD)
def test_a_malformed_roster_is_refused_with_the_line_and_the_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(RosterError) as caught:
        parse_roster(text)
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.line, reason in error.reason) == (line, True), str(error)
    assert str(error) == f"line {line}: {error.reason}"


def test_the_error_reads_as_the_cli_shows_it() -> None:
    text = "officers:\n  - {name: A, email: a@example.com, role: CFO}\n\n  - {name: B, email: b@example.com, role: CFOO}\n"
    with pytest.raises(RosterError) as caught:
        parse_roster(text)
    assert str(caught.value).startswith("line 4: unknown role 'CFOO'; expected one of: Chairman of the Board, ")


# --- importing --------------------------------------------------------------------------------


def import_text(database: Database, vault: Vault, audit: AuditLog, text: str, *, prune: bool = False) -> ImportResult:
    """As the CLI does it: parse the whole file first, then import in one unit of work."""
    entries = parse_roster(text)
    with database.write() as session:
        return db_import_roster(session, entries, prune=prune, vault=vault, audit=audit, actor="cli")


def snapshot(database: Database, vault: Vault) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], int]:
    with database.read() as session:
        people = [(p.email, p.name, p.kind, p.role, p.chair, p.active, p.attestation_due)
                  for p in session.exec(select(Person).order_by(col(Person.email))).all()]
        ids = sorted((i.person_id, i.platform.value, i.platform_user_id) for i in db_all(session, vault))
        events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    return people, ids, events


def identities(database: Database, vault: Vault) -> dict[str, dict[Platform, str]]:
    with database.read() as session:
        return {person.email: {i.platform: i.platform_user_id for i in ids}
                for person, ids in db_list_roster(session, vault)}


def active(database: Database) -> dict[str, bool]:
    with database.read() as session:
        return {p.email: p.active for p in session.exec(select(Person)).all()}


def test_a_first_import_adds_everyone_with_their_ids(database: Database, vault: Vault, audit: AuditLog) -> None:
    result = import_text(database, vault, audit, ROSTER)
    assert sorted(result.added) == ["alex@example.com", "dana@example.com", "lee@example.com", "sam@example.com"]
    assert (result.updated, result.unchanged, result.missing, result.deactivated) == ([], [], [], [])
    assert identities(database, vault) == {
        "alex@example.com": {}, "lee@example.com": {Platform.SLACK: "U0LEE"},
        "dana@example.com": {Platform.SLACK: "U0CFO", Platform.TEAMS: "6f1c2a9e-aad"},
        "sam@example.com": {},
    }
    with database.read() as session:
        dana = session.exec(select(Person).where(Person.email == "dana@example.com")).one()
        assert (dana.role, dana.attestation_due, dana.active) == (Role.CFO, date(2027, 3, 31), True)
        (event,) = session.exec(select(AuditEvent)).all()
        assert audit.verify(session).ok
    # One audit event, counts only: no names or e-mails
    assert (event.action, event.record_kind, event.record_id, event.actor) == ("roster.imported", "roster", "-", "cli")
    assert event.detail == '{"added":4,"deactivated":0,"missing":0,"prune":false,"unchanged":0,"updated":0}'


def test_the_list_shows_the_committee_first_then_officers_by_name(database: Database, vault: Vault, audit: AuditLog) -> None:
    import_text(database, vault, audit, ROSTER)
    with database.read() as session:
        rows = db_list_roster(session, vault)
    assert [p.email for p, _ in rows] == ["alex@example.com", "lee@example.com", "dana@example.com", "sam@example.com"]
    dana_ids = rows[2][1]
    assert [(i.platform, i.platform_user_id) for i in dana_ids] == [(Platform.SLACK, "U0CFO"), (Platform.TEAMS, "6f1c2a9e-aad")]


def test_importing_again_updates_people_by_email(database: Database, vault: Vault, audit: AuditLog) -> None:
    import_text(database, vault, audit, ROSTER)
    # When the same file is imported again, nothing changes
    again = import_text(database, vault, audit, ROSTER)
    assert (again.added, again.updated, len(again.unchanged)) == ([], [], 4)
    # When Dana's role, name and Slack id change, and Sam's e-mail is written in capitals
    changed = ROSTER.replace("Dana Reyes", "Dana Reyes-Hart").replace("role: CFO", "role: CEO") \
                    .replace("U0CFO", "U0NEW").replace("sam@example.com", "SAM@example.com")
    result = import_text(database, vault, audit, changed)
    # Then Dana is updated in place (no second row), her old Slack id is gone, and Sam is unchanged
    assert (result.added, result.updated) == ([], ["dana@example.com"])
    assert "sam@example.com" in result.unchanged
    with database.read() as session:
        dana = session.exec(select(Person).where(Person.email == "dana@example.com")).one()
        assert (dana.name, dana.role) == ("Dana Reyes-Hart", Role.CEO)
        assert session.exec(select(func.count()).select_from(Person)).one() == 4
    assert identities(database, vault)["dana@example.com"] == {Platform.SLACK: "U0NEW", Platform.TEAMS: "6f1c2a9e-aad"}
    # And each import is one audit event in one unbroken chain
    with database.read() as session:
        assert audit.verify(session).checked == 3


def test_an_omitted_id_or_date_keeps_the_one_on_record(database: Database, vault: Vault, audit: AuditLog) -> None:
    import_text(database, vault, audit, ROSTER)
    with database.write() as session:  # as attesting does: the next due date moves on a year
        dana = session.exec(select(Person).where(Person.email == "dana@example.com")).one()
        dana.attestation_due = date(2028, 3, 31)
    bare = ROSTER.replace(", slack_id: U0CFO, teams_id: 6f1c2a9e-aad, attestation_due: 2027-03-31", "")
    result = import_text(database, vault, audit, bare)
    assert "dana@example.com" in result.unchanged
    assert identities(database, vault)["dana@example.com"] == {Platform.SLACK: "U0CFO", Platform.TEAMS: "6f1c2a9e-aad"}
    with database.read() as session:
        dana = session.exec(select(Person).where(Person.email == "dana@example.com")).one()
        assert dana.attestation_due == date(2028, 3, 31)


def test_people_missing_from_the_file_are_listed_and_kept_unless_pruned(database: Database, vault: Vault, audit: AuditLog) -> None:
    import_text(database, vault, audit, ROSTER)
    without_sam_and_alex = "\n".join(line for line in ROSTER.splitlines()
                                     if "Sam" not in line and "Alex" not in line and "alex@" not in line)
    # When Sam and Alex are left out, they are listed and stay active
    kept = import_text(database, vault, audit, without_sam_and_alex)
    assert (kept.missing, kept.deactivated) == (["alex@example.com", "sam@example.com"], [])
    assert active(database)["sam@example.com"] is True
    # When the import prunes, they are deactivated (not deleted)
    pruned = import_text(database, vault, audit, without_sam_and_alex, prune=True)
    assert (pruned.missing, pruned.deactivated) == ([], ["alex@example.com", "sam@example.com"])
    assert active(database) == {"dana@example.com": True, "lee@example.com": True,
                                "sam@example.com": False, "alex@example.com": False}
    # And someone already inactive is not listed again
    assert import_text(database, vault, audit, without_sam_and_alex, prune=True).deactivated == []
    # When Sam comes back, he is active again
    back = import_text(database, vault, audit, ROSTER.replace("  - name: Alex Kim\n    email: alex@example.com\n", ""))
    assert back.updated == ["sam@example.com"]
    assert active(database)["sam@example.com"] is True
    assert active(database)["alex@example.com"] is False


def test_a_slack_id_already_taken_by_someone_else_is_refused_and_nothing_changes(
    database: Database, vault: Vault, audit: AuditLog
) -> None:
    import_text(database, vault, audit, ROSTER)
    before = snapshot(database, vault)
    # Given a file that adds a new person and gives her Lee's Slack id, which Lee keeps
    # (the file leaves Lee's id out, so it stays on record)
    taken = ROSTER.replace(", slack_id: U0LEE", "") + "  - {name: Kim Lo, email: kim@example.com, slack_id: U0LEE}\n"
    with pytest.raises(RosterError) as caught:
        import_text(database, vault, audit, taken)
    assert caught.value.line == 8
    assert "Slack id 'U0LEE' already belongs to lee@example.com" in str(caught.value)
    # Then no one was added, no id moved, no audit event written
    assert snapshot(database, vault) == before


def test_ids_can_move_between_people_in_one_import(database: Database, vault: Vault, audit: AuditLog) -> None:
    import_text(database, vault, audit, ROSTER)
    swapped = ROSTER.replace("U0CFO", "U0TMP").replace("U0LEE", "U0CFO").replace("U0TMP", "U0LEE")
    result = import_text(database, vault, audit, swapped)
    assert sorted(result.updated) == ["dana@example.com", "lee@example.com"]
    ids = identities(database, vault)
    assert (ids["dana@example.com"][Platform.SLACK], ids["lee@example.com"][Platform.SLACK]) == ("U0LEE", "U0CFO")


def test_an_id_learned_by_email_is_replaced_by_the_files(database: Database, vault: Vault, audit: AuditLog) -> None:
    import_text(database, vault, audit, ROSTER)
    with database.write() as session:  # as db_resolve does when Sam first writes from Teams
        sam = session.exec(select(Person).where(Person.email == "sam@example.com")).one()
        assert sam.id is not None
        db_add(session, vault, PlatformAccount(sam.id, Platform.TEAMS, "old-aad"))
    import_text(database, vault, audit, ROSTER.replace("role: Controller}", "role: Controller, teams_id: new-aad}"))
    assert identities(database, vault)["sam@example.com"] == {Platform.TEAMS: "new-aad"}


def test_a_malformed_file_imports_nothing(database: Database, vault: Vault, audit: AuditLog) -> None:
    import_text(database, vault, audit, ROSTER)
    before = snapshot(database, vault)
    # A file whose last entry is wrong: the good entries before it are not imported either
    broken = ROSTER.replace("Alex Kim", "Alex Kim\n    phone: 555") + "  - {name: New Person, email: new@example.com}\n"
    with pytest.raises(RosterError, match="line 7: unknown key 'phone'"):
        import_text(database, vault, audit, broken)
    assert snapshot(database, vault) == before


def test_a_failure_after_the_import_rolls_all_of_it_back(database: Database, vault: Vault, audit: AuditLog) -> None:
    # Given an import whose unit of work fails after the roster was written
    entries = parse_roster(ROSTER)
    with pytest.raises(RuntimeError), database.write() as session:
        result = db_import_roster(session, entries, prune=False, vault=vault, audit=audit, actor="cli")
        assert len(result.added) == 4
        assert session.exec(select(func.count()).select_from(Person)).one() == 4  # flushed, not committed
        raise RuntimeError("the disk filled up")
    # Then nothing of it remains: no people, no ids, no audit event
    assert snapshot(database, vault) == ([], [], 0)


def test_the_import_never_commits(database: Database, vault: Vault, audit: AuditLog) -> None:
    with Session(database.engine) as session:
        db_import_roster(session, parse_roster(ROSTER), prune=False, vault=vault, audit=audit, actor="cli")
        session.rollback()
    assert snapshot(database, vault) == ([], [], 0)


def test_entries_built_in_code_are_checked_for_duplicates_too(database: Database, vault: Vault, audit: AuditLog) -> None:
    entry = RosterEntry(name="A", email="a@example.com", kind=PersonKind.COMMITTEE, role=None,
                        chair=False, slack_id=None, teams_id=None, attestation_due=None)
    with pytest.raises(RosterError, match="appears twice"), database.write() as session:
        db_import_roster(session, [entry, entry], prune=False, vault=vault, audit=audit, actor="cli")
    assert snapshot(database, vault) == ([], [], 0)


# --- issue 22: the designees ----------------------------------------------------------------------

DESIGNEES = ROSTER + """\
designees:
  - {name: Robin Vale, email: robin@counsel.example, organisation: outside counsel, slack_id: U0ROBIN}
"""


def test_designees_are_a_group_of_their_own_with_their_organisation() -> None:
    *_, robin = parse_roster(DESIGNEES)
    assert (robin.kind, robin.affiliation, robin.slack_id, robin.line) == (
        PersonKind.DESIGNEE, "outside counsel", "U0ROBIN", 9)


@pytest.mark.parametrize(("text", "line", "reason"), [
    (ROSTER + "designees:\n  - {name: Robin Vale, email: robin@counsel.example}\n", 9, "no organisation"),
    (ROSTER + "designees:\n  - {name: Robin Vale, email: robin@x.example, organisation: counsel, role: CFO}\n",
     9, "unknown key 'role' for a designee"),
    (ROSTER + "designees:\n  - {name: Lee Again, email: lee@example.com, organisation: counsel}\n",
     9, "email 'lee@example.com' appears twice"),
])
def test_a_malformed_designee_is_refused_with_its_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(RosterError) as refused:
        parse_roster(text)
    assert refused.value.line == line and reason in refused.value.reason


def test_designees_are_imported_and_listed_after_the_officers(database: Database, vault: Vault,
                                                              audit: AuditLog) -> None:
    import_text(database, vault, audit, DESIGNEES)
    with database.read() as session:
        rows = db_list_roster(session, vault)
    robin = rows[-1][0]
    assert (robin.email, robin.kind, robin.affiliation) == ("robin@counsel.example", PersonKind.DESIGNEE,
                                                           "outside counsel")
