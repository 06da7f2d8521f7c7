"""Never lose the key: the committee's recovery shares, as a worried chair would use them.

A company with named and anonymous reports, a Board determination and a waiver; the committee
splits the recovery key into 5 shares (any 3 recover), the keyring is rotated after the split;
then the key file is lost. Any 3 of the 5 shares bring it back (each of the 10 combinations on
SQLite; on PostgreSQL from a `pg_dump` restored into a fresh database): `candor serve` starts,
every report opens, `candor audit verify` passes. What must be refused (too few shares, a share
of an earlier split, a mistyped word, a key file already there) says why, writes nothing and
changes nothing.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, text
from sqlmodel import col, select
from typer.testing import CliRunner

from adapters.cli import app
from storage.clock import utcnow
from storage.crypto import Vault
from storage.db import Database, normalize_url
from storage.keyring import Keyring, load_keyring, save_keyring
from storage.models import AuditEvent, Determination, RecoveryKey, Report, Waiver
from tests.conftest import POSTGRES_URL, require_postgres
from tests.e2e.test_crash import free_port
from tests.integration.test_administration import valid_determination
from tests.support.world import World

CANARY = "CANARY-e5c7"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


# --- the company, its split, a rotation ------------------------------------------------------


def company(world: World, run) -> None:
    """Named and anonymous reports, a Board determination, a waiver: each sealed under its key."""
    world.submit("cfo", "intake", {"category": "fraud", "what": f"Invoices split to avoid approval {CANARY}",
                                   "who": f"The plant controller {CANARY}", "anonymous": "no"})
    world.submit("controller", "intake", {"category": "control_deficiency", "what": f"Reconciliations skipped {CANARY}",
                                          "anonymous": "yes"})
    with world.db.read() as session:
        named = session.exec(select(Report).where(Report.anonymous == False)).one()  # noqa: E712
    world.click("chair", f"case:ack:{named.id}")
    world.submit("member", f"determine:{named.id}", valid_determination(world))
    added = run("waivers", "add", "--officer", "dana@example.com", "--provision", "Obligation 3",
                "--on", "2026-11-25", "--reason", f"Board seat at a supplier {CANARY}")
    assert added.exit_code == 0, added.output
    with world.db.read() as session:
        assert session.exec(select(Determination)).one() and session.exec(select(Waiver)).one()
        assert len(session.exec(select(Report)).all()) == 2


def split(run, directory: Path, *extra: str, input: str | None = None) -> list[Path]:
    result = run("keys", "split", "--shares", "5", "--threshold", "3", "--out", str(directory), *extra,
                 input=input)
    assert result.exit_code == 0, result.output
    return [directory / f"share-{n}.txt" for n in range(1, 6)]


@pytest.fixture
def lost(world, run, tmp_path):
    """The company, split into 5 shares (3 recover), rotated after the split; the key file is
    then deleted. Returns (shares, the keyring that was lost)."""
    company(world, run)
    shares = split(run, tmp_path / "shares")
    rotated = run("keys", "rotate")
    assert rotated.exit_code == 0 and "Master key v2 is current" in rotated.output, rotated.output
    key_file = tmp_path / "candor.key"
    keyring = load_keyring(key_file=key_file, env_value=None)
    assert keyring.current == 2
    key_file.unlink()
    return shares, keyring


def every_record_opens(url: str, keyring: Keyring) -> dict[str, str]:
    """Every report (its text), determination and waiver opens with `keyring`."""
    db = Database.from_url(url)
    try:
        vault = Vault(keyring)
        with db.read() as session:
            reports = {r.code: vault.unseal(session, kind="report", record_id=r.id, blob=r.body)["what"]
                       for r in session.exec(select(Report)).all()}
            for row in session.exec(select(Determination)).all():
                assert vault.unseal(session, kind="determination", record_id=row.id, blob=row.body)
            for row in session.exec(select(Waiver)).all():
                assert vault.unseal(session, kind="waiver", record_id=row.id, blob=row.body)
    finally:
        db.dispose()
    assert len(reports) == 2 and all(CANARY in what for what in reports.values())
    return reports


def serve_starts(home: Path, env: dict[str, str]) -> str:
    """`candor serve` (Teams in local mode, on loopback) answers /healthz; returns its log up to
    then (a sweep cut short by the stop may log its cancellation after)."""
    port, admin = free_port(), free_port()
    log = home / f"serve-{port}.log"
    full = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "MICROSOFT_"))}
    full.update(env)
    full.update({"CANDOR_TEAMS_LOCAL": "true", "CANDOR_HOST": "127.0.0.1", "CANDOR_PORT": str(port),
                 "CANDOR_ADMIN_PORT": str(admin)})
    with log.open("wb") as err:
        server = subprocess.Popen([sys.executable, "-m", "adapters.cli", "serve"], env=full, cwd=home,
                                  stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"candor serve stopped: {log.read_text()[-2000:]}"
            try:
                # the detailed /healthz, on the operators' listener
                with urllib.request.urlopen(f"http://127.0.0.1:{admin}/healthz", timeout=5) as answer:
                    assert json.loads(answer.read()) == {"ok": True}
                    return log.read_text()
            except urllib.error.HTTPError as answer:
                # Up, with the key open; unhealthy only for what it says (a committee channel
                # that Teams in local mode has no conversation for), never for the database.
                health = json.loads(answer.read())
                assert answer.code == 503 and "database" not in health, health
                return log.read_text()
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, f"candor serve never answered: {log.read_text()[-2000:]}"
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=30)


def snapshot(url: str) -> str:
    """Every row of every table, as text: what "changes nothing" is checked against."""
    engine = create_engine(normalize_url(url))
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as connection:
            return json.dumps({t.name: sorted(map(str, connection.execute(t.select()))) for t in meta.sorted_tables})
    finally:
        engine.dispose()


# --- recovery ---------------------------------------------------------------------------------


@SQLITE_ONLY
def test_any_three_of_five_shares_recover_the_rotated_keyring(world, run, lost, tmp_path, database_url):
    shares, keyring = lost
    key_file = tmp_path / "candor.key"
    for chosen in itertools.combinations(shares, 3):
        # When three members bring their shares (the key file is gone)
        assert not key_file.exists()
        result = run("keys", "recover", *map(str, chosen))

        # Then the keyring comes back whole, private, with the version made after the split
        assert result.exit_code == 0, (chosen, result.output)
        assert "Recovered the master keyring (v1, v2; v2 current)" in result.output
        assert key_file.stat().st_mode & 0o777 == 0o600
        recovered = load_keyring(key_file=key_file, env_value=None)
        assert recovered.to_json() == keyring.to_json()
        # And every record opens, the drill passes and the audit chain holds
        every_record_opens(database_url, recovered)
        drill = run("keys", "check")
        assert drill.exit_code == 0 and "The drill passed" in drill.output, drill.output
        assert run("audit", "verify").exit_code == 0
        key_file.unlink()

    # The last recovery stays: the real `candor serve` starts on it, without an escrow warning
    assert run("keys", "recover", *map(str, shares[2:])).exit_code == 0
    log = serve_starts(tmp_path, {"CANDOR_DATABASE_URL": database_url, "CANDOR_KEY_FILE": str(key_file)})
    assert "Traceback" not in log and "recovery escrow" not in log
    verified = run("audit", "verify")
    assert verified.exit_code == 0 and "unbroken" in verified.output
    with world.db.read() as session:
        actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.seq))).all()
    assert actions.count("keys.recovered") == 11 and actions.count("keys.split") == 1


@SQLITE_ONLY
def test_shares_typed_on_standard_input_one_per_line_recover(world, run, lost, tmp_path, database_url):
    shares, keyring = lost
    lines = [s.read_text().splitlines()[-1].removeprefix("words: ") for s in shares[1:4]]
    result = run("keys", "recover", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    assert load_keyring(key_file=tmp_path / "candor.key", env_value=None).to_json() == keyring.to_json()


@POSTGRES_ONLY
def test_a_pg_dump_restored_into_a_fresh_database_recovers_with_three_shares(world, run, lost, tmp_path,
                                                                             database_url):
    require_postgres()
    for tool in ("pg_dump", "psql"):
        assert shutil.which(tool), f"{tool} is needed to restore a dump"
    shares, keyring = lost
    # Given a pg_dump of the company's database (key file already lost), restored elsewhere
    with world.db.read() as session:
        schema = session.execute(text("SELECT current_schema()")).scalar_one()
    server = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    url = server.url
    connect = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
               "--no-password"]
    dump = subprocess.run(["pg_dump", *connect, "-n", schema, url.database or "postgres"],
                          capture_output=True, text=True, timeout=120)
    assert dump.returncode == 0, dump.stderr
    fresh = "candor_restore_" + secrets.token_hex(6)
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{fresh}"'))
    try:
        restore = subprocess.run(["psql", *connect, "-v", "ON_ERROR_STOP=1", "-q", "-d", fresh],
                                 input=dump.stdout, capture_output=True, text=True, timeout=120)
        assert restore.returncode == 0, restore.stderr
        restored = str(url.set(database=fresh).render_as_string(hide_password=False)) + \
            f"?options=-csearch_path%3D{schema}"

        # When three shares recover the key against the restored database alone
        result = run("keys", "recover", *map(str, shares[1:4]), CANDOR_DATABASE_URL=restored)

        # Then the keyring is the one lost, and everything opens there
        assert result.exit_code == 0, result.output
        key_file = tmp_path / "candor.key"
        assert load_keyring(key_file=key_file, env_value=None).to_json() == keyring.to_json()
        every_record_opens(restored, keyring)
        drill = run("keys", "check", CANDOR_DATABASE_URL=restored)
        assert drill.exit_code == 0, drill.output
        verified = run("audit", "verify", CANDOR_DATABASE_URL=restored)
        assert verified.exit_code == 0 and "unbroken" in verified.output
        log = serve_starts(tmp_path, {"CANDOR_DATABASE_URL": restored, "CANDOR_KEY_FILE": str(key_file)})
        assert "Traceback" not in log
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        server.dispose()


# --- refusals ---------------------------------------------------------------------------------


def refused(run, database_url: str, key_file: Path, *args: str, input: str | None = None):
    """Run a recovery that must be refused: it writes no key file and changes no row."""
    before = snapshot(database_url)
    existed = key_file.read_bytes() if key_file.exists() else None
    result = run("keys", "recover", *args, input=input)
    assert result.exit_code == 1, result.output
    assert "nothing was written" in result.output
    assert (key_file.read_bytes() if key_file.exists() else None) == existed
    assert snapshot(database_url) == before
    return result.output


def no_share_words(output: str, shares: list[Path]) -> None:
    for share in shares:
        words = share.read_text().splitlines()[-1].removeprefix("words: ").split()
        assert not any(" ".join(words[i:i + 3]) in output for i in range(len(words) - 2))


def test_recovery_refuses_what_cannot_be_right_and_says_why(world, run, lost, tmp_path, database_url):
    shares, keyring = lost
    key_file = tmp_path / "candor.key"
    # An earlier split, replaced by a later one: its shares open nothing any more.
    earlier = shares
    key_file.write_text(keyring.to_json())
    latest = split(run, tmp_path / "latest")
    keyring = load_keyring(key_file=key_file, env_value=None)  # the new split rotated it
    key_file.unlink()

    # Two shares: too few
    two = refused(run, database_url, key_file, *map(str, latest[:2]))
    assert "2 shares given; this split needs any 3 of the 5" in two

    # A share of the earlier split among the latest ones
    mixed = refused(run, database_url, key_file, str(latest[0]), str(latest[1]), str(earlier[2]))
    assert "not all from the same split" in mixed and "earlier or another split" in mixed

    # Three shares of the earlier split: they fit together, but their escrow was replaced
    old = refused(run, database_url, key_file, *map(str, earlier[:3]))
    assert "these shares are from the split of" in old and "they open nothing any more" in old

    # One word changed (to another SLIP-39 word): the checksum catches it
    text_of_share = latest[2].read_text()
    words = text_of_share.splitlines()[-1].removeprefix("words: ").split()
    words[9] = "academic" if words[9] != "academic" else "acid"
    typo = tmp_path / "typo.txt"
    typo.write_text(text_of_share.replace(text_of_share.splitlines()[-1], "words: " + " ".join(words)))
    changed = refused(run, database_url, key_file, str(latest[0]), str(latest[1]), str(typo))
    assert "typo.txt: its checksum fails: a word is mistyped" in changed
    words[9] = "acadmic"
    typo.write_text("words: " + " ".join(words))
    misspelt = refused(run, database_url, key_file, str(latest[0]), str(latest[1]), str(typo))
    assert "typo.txt: word 10 is not a SLIP-39 word" in misspelt

    # A key file already there: never overwritten, whatever the shares
    key_file.write_text("the operator's own file")
    existing = refused(run, database_url, key_file, *map(str, latest[:3]))
    assert "exists: recovery never overwrites a key file" in existing
    assert key_file.read_text() == "the operator's own file"
    key_file.unlink()

    # No refusal shows a share's words; and the right shares still recover
    for output in (two, mixed, old, changed, misspelt, existing):
        no_share_words(output, earlier + latest)
    assert run("keys", "recover", *map(str, latest[2:])).exit_code == 0
    assert load_keyring(key_file=key_file, env_value=None).to_json() == keyring.to_json()


def test_the_same_share_twice_counts_once(world, run, lost, tmp_path, database_url):
    shares, _keyring = lost
    copy = tmp_path / "copy-of-share-1.txt"
    copy.write_text(shares[0].read_text())
    output = refused(run, database_url, tmp_path / "candor.key", str(shares[0]), str(shares[1]), str(copy))
    assert "share-1.txt and copy-of-share-1.txt are the same share" in output


# --- the split, the passphrase, the drill ----------------------------------------------------


@SQLITE_ONLY
def test_split_writes_private_share_files_tells_the_operator_and_audits_counts_only(world, run, tmp_path):
    company(world, run)
    result = run("keys", "split", "--shares", "5", "--threshold", "3", "--out", str(tmp_path / "shares"))
    assert result.exit_code == 0, result.output
    # Each file: the threshold, the date, the words; nothing else; readable by its owner only
    mnemonics = []
    for n in range(1, 6):
        path = tmp_path / "shares" / f"share-{n}.txt"
        assert path.stat().st_mode & 0o777 == 0o600
        threshold, day, recovery_key, words = path.read_text().splitlines()
        assert threshold == "threshold: 3" and day.startswith("date: 20")
        assert recovery_key.startswith("recovery key: ")
        assert words.startswith("words: ") and len(words.split()) == 1 + 33
        mnemonics.append(words.removeprefix("words: "))
    assert (tmp_path / "shares").stat().st_mode & 0o777 == 0o700
    assert len(set(mnemonics)) == 5
    # The operator is told what to do
    flat = " ".join(result.output.split())
    for step in ("Give one share to each committee member", "Keep no two shares together",
                 "Delete the folder now", "Any 3 of them recover"):
        assert step in flat
    # The audit row has the counts and nothing of the shares
    with world.db.read() as session:
        row = session.exec(select(AuditEvent).where(AuditEvent.action == "keys.split")).one()
        escrow = session.exec(select(RecoveryKey)).one()
    assert json.loads(row.detail) == {"shares": 5, "threshold": 3, "passphrase": False, "replaced": False}
    assert escrow.shares == 5 and escrow.threshold == 3 and escrow.sealed_keyring
    # A folder that already holds shares is refused: two splits must never mix
    again = run("keys", "split", "--shares", "5", "--threshold", "3", "--out", str(tmp_path / "shares"))
    assert again.exit_code == 1 and "already holds shares" in again.output
    assert [m.removeprefix("words: ") for m in
            (p.read_text().splitlines()[-1] for p in sorted((tmp_path / "shares").glob("share-*.txt")))] == mnemonics
    # A threshold of one, or above the count, is refused
    assert run("keys", "split", "--shares", "3", "--threshold", "1", "--out", str(tmp_path / "x")).exit_code != 0
    over = run("keys", "split", "--shares", "3", "--threshold", "4", "--out", str(tmp_path / "x"))
    assert over.exit_code == 1 and "more than --shares" in over.output
    assert not (tmp_path / "x").exists()


@SQLITE_ONLY
def test_a_new_split_replaces_the_old_one_and_reseals(world, run, tmp_path):
    company(world, run)
    split(run, tmp_path / "first")
    result = run("keys", "split", "--shares", "4", "--threshold", "2", "--out", str(tmp_path / "second"))
    flat = " ".join(result.output.split())
    assert result.exit_code == 0 and "the shares of the split of" in flat
    assert "open nothing written after this split" in flat
    with world.db.read() as session:
        rows = session.exec(select(RecoveryKey).order_by(col(RecoveryKey.id))).all()
    assert rows[0].replaced_at is not None and rows[0].sealed_keyring is None
    assert rows[1].replaced_at is None and rows[1].sealed_keyring and rows[1].threshold == 2


@SQLITE_ONLY
def test_a_passphrase_protected_split_needs_the_passphrase(world, run, tmp_path, database_url):
    company(world, run)
    shares = split(run, tmp_path / "shares", "--passphrase-prompt", input="correct horse\ncorrect horse\n")
    key_file = tmp_path / "candor.key"
    keyring = load_keyring(key_file=key_file, env_value=None)
    key_file.unlink()
    wrong = refused(run, database_url, key_file, *map(str, shares[:3]), input="wrong horse\n")
    assert "the passphrase is wrong" in wrong
    right = run("keys", "recover", *map(str, shares[:3]), input="correct horse\n")
    assert right.exit_code == 0, right.output
    assert load_keyring(key_file=key_file, env_value=None).to_json() == keyring.to_json()
    assert "correct horse" not in snapshot(database_url)


@SQLITE_ONLY
def test_the_drill_counts_keys_by_kind_and_fails_on_any_fault(world, run, tmp_path):
    company(world, run)
    # Without an escrow the drill fails, and says what to do
    bare = run("keys", "check")
    assert bare.exit_code == 1 and "No recovery escrow" in bare.output
    split(run, tmp_path / "shares")
    fresh = run("keys", "check")
    assert fresh.exit_code == 0, fresh.output
    assert "report" in fresh.output and "waiver" in fresh.output and "determination" in fresh.output
    assert "not rotated since the split" in fresh.output and "0 days ago" in fresh.output
    assert run("keys", "rotate").exit_code == 0
    rotated = " ".join(run("keys", "check").output.split())
    assert "rotated since the split (1 time" in rotated and "the shares need no change" in rotated
    # Retiring the old version re-seals too: the escrow holds exactly the keyring at hand
    assert run("keys", "retire", "1").exit_code == 0
    retired = " ".join(run("keys", "check").output.split())
    assert "rotated since the split (2 times" in retired and "The drill passed" in retired, retired
    # A key file changed outside Candor (a version added by hand) is not what the escrow holds
    key_file = tmp_path / "candor.key"
    kept = key_file.read_text()
    save_keyring(key_file, load_keyring(key_file=key_file, env_value=None).rotated())
    stale = run("keys", "check")
    assert stale.exit_code == 1 and "the escrow does not hold the keyring at hand" in stale.output
    key_file.write_text(kept)
    # A data key that no longer opens fails the drill, by kind
    with world.db.write() as session:
        session.execute(text("UPDATE datakey SET wrapped = :w WHERE record_kind = 'waiver'"),
                        {"w": secrets.token_bytes(60)})
    broken = run("keys", "check")
    assert broken.exit_code == 1 and "1 waiver data keys do not open" in broken.output


def test_serve_warns_at_start_when_no_escrow_exists(world, run, tmp_path, database_url):
    log = serve_starts(tmp_path, {"CANDOR_DATABASE_URL": database_url,
                                  "CANDOR_KEY_FILE": str(tmp_path / "candor.key"), "CANDOR_SCRYPT_LOG2_N": "4"})
    assert "WARNING candor.keys no recovery escrow" in log
    split(run, tmp_path / "shares")
    assert "recovery escrow" not in serve_starts(tmp_path, {"CANDOR_DATABASE_URL": database_url,
                                                            "CANDOR_KEY_FILE": str(tmp_path / "candor.key")})


def test_keys_help_lists_the_key_ceremony():
    result = CliRunner().invoke(app, ["keys", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("rotate", "retire", "split", "recover", "check"):
        assert name in result.output


def test_candor_status_shows_the_escrow_and_its_age(world, run, tmp_path):
    company(world, run)
    before = run("status")
    assert before.exit_code == 0, before.output
    assert "Key escrow        none: run `candor keys split`" in before.output
    split(run, tmp_path / "shares")
    assert run("keys", "rotate").exit_code == 0
    after = " ".join(run("status").output.split())
    assert f"Key escrow split {utcnow():%Y-%m-%d} (0 days ago), 3 of 5 shares" in after
    assert "re-sealed 1 time(s) since" in after
