"""The `candor` command as an administrator uses it: init, the roster, keys, the audit log, and
the server refusing to start without the right key."""

from __future__ import annotations

import getpass
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from storage import migrate
from storage.db import Database
from storage.keyring import Keyring, load_keyring, save_keyring
from tests.conftest import drop_postgres_schema, fresh_postgres_url, require_postgres
from tests.integration.test_migrations import AAD_ID, CANARIES, SLACK_ID, plain_rows_at_0007

ROSTER = """\
officers:
  - {name: Dana Reyes, email: dana@example.com, role: CFO, slack_id: U0CFO, attestation_due: 2027-03-31}
committee:
  - {name: Lee Park, email: lee@example.com, chair: true, slack_id: U0LEE}
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


def candor(home: Path, *args: str, stdin: str | None = None, extra: dict[str, str] | None = None,
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "MICROSOFT_"))}
    env.update({
        "CANDOR_DATABASE_URL": f"sqlite:///{home / 'candor.db'}",
        "CANDOR_KEY_FILE": str(home / "candor.key"),
        "CANDOR_SCRYPT_LOG2_N": "4",
        "CANDOR_ANONYMOUS_DELAY_MINUTES": "0",  # the delay has its own tests (test_timing_cover)
        "COLUMNS": "200",
    })
    env.update(extra or {})
    return subprocess.run([sys.executable, "-m", "adapters.cli", *args], input=stdin, env=env,
                          cwd=home, capture_output=True, text=True, timeout=timeout)


def test_help_lists_every_command(home):
    result = candor(home, "--help")
    assert result.returncode == 0
    for name in ("console", "serve", "init", "roster", "keys", "audit", "db", "sweep"):
        assert name in result.stdout


def test_init_creates_a_private_key_once_and_the_schema(home):
    first = candor(home, "init")
    assert first.returncode == 0, first.stderr
    assert "Created a master key" in first.stdout
    key = home / "candor.key"
    assert key.stat().st_mode & 0o777 == 0o600
    before = key.read_bytes()
    again = candor(home, "init")
    assert again.returncode == 0 and "nothing was created" in again.stdout
    assert key.read_bytes() == before


REPORT_SCRIPT = "\n".join(["/as dana@example.com", "report", "3", "Revenue is recognised early at the plant.",
                           "skip", "done", "skip", "skip", "skip", "named", "submit", "/quit"]) + "\n"


def seed_a_report(home: Path) -> None:
    """One real report, through the console (which makes the database, with CANDOR_ROSTER's
    people), so the database holds sealed data."""
    roster = home / "roster.yml"
    roster.write_text(ROSTER)
    result = candor(home, "console", stdin=REPORT_SCRIPT, extra={"CANDOR_ROSTER": str(roster)})
    assert "recorded, encrypted" in result.stdout, result.stdout + result.stderr


def audit_rows(home: Path) -> list[tuple[str, str, str]]:
    """(actor, action, detail) of every audit event, as anyone reading the table sees them."""
    db = Database.from_url(f"sqlite:///{home / 'candor.db'}")
    try:
        with db.engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(
                "SELECT actor, action, detail FROM auditevent ORDER BY seq")]
    finally:
        db.dispose()


def test_the_console_refuses_a_database_it_did_not_create_and_changes_nothing(home):
    # Given a database set up as production is: `candor init`, then the roster
    roster = home / "roster.yml"
    roster.write_text(ROSTER)
    assert candor(home, "init").returncode == 0
    assert candor(home, "roster", "import", str(roster)).returncode == 0
    before = audit_rows(home)
    # When someone runs the console on it to act as the CFO
    result = candor(home, "console", stdin=REPORT_SCRIPT)
    # Then it refuses, says how to override and what that records, and nothing was written
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "was not created by the console" in message and "--allow-production" in message
    assert "Traceback" not in result.stderr and "recorded, encrypted" not in result.stdout
    assert audit_rows(home) == before


def test_the_console_on_a_production_database_names_its_operator_beside_every_actor(home):
    roster = home / "roster.yml"
    roster.write_text(ROSTER)
    assert candor(home, "init").returncode == 0
    assert candor(home, "roster", "import", str(roster)).returncode == 0
    before = len(audit_rows(home))
    # When the override is given and a report is filed acting as the CFO
    result = candor(home, "console", "--allow-production", stdin=REPORT_SCRIPT)
    assert "recorded, encrypted" in result.stdout, result.stdout + result.stderr
    # Then every event the console audited names the OS user and host beside the actor
    written = audit_rows(home)[before:]
    operator = f"console:{getpass.getuser()}@{socket.gethostname()}"
    assert any(action == "report.submitted" for _actor, action, _detail in written), written
    assert written and all(json.loads(detail).get("operator") == operator for _a, _b, detail in written)


def test_the_console_refuses_any_postgresql_database_without_the_override(home):
    require_postgres()
    url, schema = fresh_postgres_url()
    try:
        result = candor(home, "console", stdin="/quit\n", extra={"CANDOR_DATABASE_URL": url})
        assert result.returncode == 1
        assert "is PostgreSQL" in " ".join(result.stderr.split()) and "--allow-production" in result.stderr
        db = Database.from_url(url)
        try:
            assert migrate.current_revision(db) is None  # refused before anything was laid
        finally:
            db.dispose()
    finally:
        drop_postgres_schema(schema)


def test_the_console_opens_again_a_database_it_created(home):
    seed_a_report(home)
    again = candor(home, "console", stdin="/as lee@example.com\n/quit\n")
    assert again.returncode == 0, again.stderr
    assert [action for _a, action, _d in audit_rows(home)].count("console.created") == 1


def test_serve_without_a_key_stops_with_a_clear_message_and_creates_none(home):
    seed_a_report(home)
    (home / "candor.key").rename(home / "backup.key")
    result = candor(home, "serve", extra={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s"})
    assert result.returncode != 0
    assert "no master key" in result.stderr
    assert not (home / "candor.key").exists()


def test_console_never_creates_a_new_key_over_existing_data(home):
    seed_a_report(home)
    (home / "candor.key").rename(home / "backup.key")
    result = candor(home, "console", stdin="/quit\n")
    assert result.returncode != 0
    assert "holds encrypted data" in result.stderr
    assert not (home / "candor.key").exists()


def test_serve_with_a_key_that_does_not_open_the_data_refuses_to_start(home):
    seed_a_report(home)
    other = home / "other"
    other.mkdir()
    assert candor(other, "init").returncode == 0  # a different key, elsewhere
    result = candor(home, "serve", extra={"CANDOR_KEY_FILE": str(other / "candor.key"),
                                          "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s"})
    assert result.returncode != 0
    assert "not the key the data was sealed with" in result.stderr


def test_serve_with_a_damaged_key_file_says_so(home):
    seed_a_report(home)
    (home / "candor.key").write_text("{not json")
    result = candor(home, "serve", extra={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s"})
    assert result.returncode != 0 and "not a Candor keyring" in result.stderr
    assert "Traceback" not in result.stderr


def test_rotation_keeps_every_record_readable_and_the_old_key_can_be_retired(home):
    seed_a_report(home)
    rotated = candor(home, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "Master key v2 is current" in rotated.stdout
    retired = candor(home, "keys", "retire", "1")
    assert retired.returncode == 0, retired.stderr
    assert '"1"' not in (home / "candor.key").read_text()
    # The report still opens for the committee with only v2 in the key file.
    shown = candor(home, "console", stdin="/as lee@example.com\n/ethics cases\n1\n/quit\n").stdout
    assert "Revenue is recognised early at the plant." in shown
    assert candor(home, "audit", "verify").returncode == 0


def test_rotating_the_index_key_keeps_reporters_found_and_the_audit_chain_verifying(home):
    # Given a named report filed in the console (the reporter found by their keyed identity)
    seed_a_report(home)
    before = json.loads((home / "candor.key").read_text())
    # When the index key is rotated from the command line
    rotated = candor(home, "keys", "rotate", "--index-key")
    assert rotated.returncode == 0, rotated.stderr
    assert "The index key is replaced" in rotated.stdout
    # Then the key file has a new index key, the old chain segment's audit key, the same master keys
    after = json.loads((home / "candor.key").read_text())
    assert after["index_key"] != before["index_key"] and after["keys"] == before["keys"]
    assert len(after["earlier_audit_keys"]) == 1 and "previous_index_key" not in after
    # and the audit chain verifies across the link; the committee still opens the report
    verified = candor(home, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    shown = candor(home, "console", stdin="/as lee@example.com\n/ethics cases\n1\n/quit\n").stdout
    assert "Revenue is recognised early at the plant." in shown
    # and the help says what the option does
    assert "--index-key" in candor(home, "keys", "rotate", "--help").stdout


def test_a_master_key_rotation_waits_for_an_index_key_rotation_under_way_to_finish(home):
    # Given an index-key rotation that stopped with the new index key staged
    seed_a_report(home)
    key = home / "candor.key"
    save_keyring(key, load_keyring(key_file=key, env_value=None).index_staged())
    # When a master key rotation is asked for, Then it is refused, saying what to run
    refused = candor(home, "keys", "rotate")
    assert refused.returncode != 0 and "--index-key" in refused.stderr
    assert sorted(load_keyring(key_file=key, env_value=None).versions) == [1]
    # and the index-key rotation, run again, finishes it
    assert candor(home, "keys", "rotate", "--index-key").returncode == 0
    assert not load_keyring(key_file=key, env_value=None).index_rotating


def test_the_current_key_cannot_be_retired(home):
    seed_a_report(home)
    result = candor(home, "keys", "retire", "1")
    assert result.returncode != 0 and "current" in result.stderr


def test_roster_import_and_list(home):
    roster = home / "roster.yml"
    roster.write_text(ROSTER)
    assert candor(home, "init").returncode == 0
    imported = candor(home, "roster", "import", str(roster))
    assert imported.returncode == 0 and "Added 2" in imported.stdout
    listing = candor(home, "roster", "list")
    assert "Dana Reyes" in listing.stdout and "U0LEE" in listing.stdout


def test_a_malformed_roster_names_the_line_and_imports_nothing(home):
    roster = home / "roster.yml"
    roster.write_text(ROSTER.replace("role: CFO", "role: Treasurer"))
    assert candor(home, "init").returncode == 0
    result = candor(home, "roster", "import", str(roster))
    assert result.returncode != 0
    assert "line 2" in result.stderr and "nothing was imported" in result.stderr
    assert "Dana" not in candor(home, "roster", "list").stdout


def test_audit_verify_names_a_tampered_row(home):
    seed_a_report(home)
    import sqlite3

    assert candor(home, "audit", "verify").returncode == 0
    with sqlite3.connect(home / "candor.db") as connection:
        connection.execute("UPDATE auditevent SET actor = 'person:99' WHERE seq = 2")
    result = candor(home, "audit", "verify")
    assert result.returncode != 0 and "row 2" in result.stderr


def test_db_upgrade_is_idempotent(home):
    assert candor(home, "db", "upgrade").returncode == 0
    again = candor(home, "db", "upgrade")
    assert again.returncode == 0 and "Schema at" in again.stdout


def test_db_upgrade_seals_the_ids_of_an_older_database_with_the_key_and_stops_without_it(home):
    # Given a database at 0007 whose roster ids and a Teams chat's reference are plain, and its key
    db = Database.from_url(f"sqlite:///{home / 'candor.db'}")
    try:
        plain_rows_at_0007(db)
    finally:
        db.dispose()
    save_keyring(home / "candor.key", Keyring.generate(), create=True)

    # When the upgrade runs without the key: it says what to do, and changes nothing
    refused = candor(home, "db", "upgrade", extra={"CANDOR_KEY_FILE": str(home / "elsewhere.key")})
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "no master key" in refused.stderr, refused.stderr
    assert SLACK_ID.encode() in (home / "candor.db").read_bytes()

    # When it runs with the key: the schema is current, the ids are sealed, the file holds none
    done = candor(home, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert f"Schema at {migrate.head_revision()}." in done.stdout
    stored = b"".join(path.read_bytes() for path in home.glob("candor.db*"))
    assert not [canary for canary in CANARIES if canary.encode() in stored]
    # And Candor reads them with the key: the roster lists Dana's ids
    listed = candor(home, "roster", "list")
    assert listed.returncode == 0 and SLACK_ID in listed.stdout and AAD_ID in listed.stdout
