"""The escrow trusts the key file, not the database, and a new split cuts the old shares off.

Whoever writes the database without the key file (a DBA, whoever restores a backup) cannot make
a public key of theirs the one the keyring is sealed to: `keys rotate` and `retire` stop before
changing anything, `keys check` fails and names the escrow, `candor status`, the server's health
and its start say so; the committee compares the recovery key's fingerprint on their shares with
the one `keys check` shows. A split that replaces an earlier one rotates the master key, so the
old shares, even with a backup from before, open nothing written after it. And a split can be
shown one share at a time on the terminal, writing nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from bot import admin, keys
from storage.clock import utcnow
from storage.crypto import Vault
from storage.escrow import EscrowError, RecoveryPair, open_keyring, recovery_fingerprint
from storage.keyring import Keyring, KeyringError, load_keyring
from storage.models import DataKey, RecoveryKey, Report
from storage.shares import GivenShare, combine, words_of_file
from tests.e2e.test_key_recovery import company, serve_starts, snapshot, split

CLEAR = "\x1b[H\x1b[2J\x1b[3J"


def flat(output: str) -> str:
    return " ".join(output.split())


def shares_of(paths: list[Path]) -> RecoveryPair:
    """The recovery key the share files rebuild (any three of the five)."""
    given = [GivenShare(p.name, words_of_file(p.read_text())) for p in paths[:3]]
    return RecoveryPair.from_private(combine(given).secret)


def the_dba_swaps_the_public_key(world) -> RecoveryPair:
    """`UPDATE recoverykey SET public_key=<theirs>`: the DBA's own X25519 key."""
    theirs = RecoveryPair.generate()
    with world.db.write() as session:
        session.execute(text("UPDATE recoverykey SET public_key = :key WHERE replaced_at IS NULL"),
                        {"key": theirs.public})
    return theirs


# --- High 1: the recovery public key is bound to the key file ----------------------------------


def test_a_public_key_swapped_in_the_database_is_never_sealed_to(world, run, tmp_path, database_url):
    # Given a company whose committee split the key, then rotated (v1 can be retired)
    company(world, run)
    shares = split(run, tmp_path / "shares")
    assert run("keys", "rotate").exit_code == 0
    key_file = tmp_path / "candor.key"
    committee = shares_of(shares)

    # When someone who can write the database (not the key file) swaps in a public key of theirs
    theirs = the_dba_swaps_the_public_key(world)
    before_file, before_rows = key_file.read_text(), snapshot(database_url)

    # Then a rotation and a retirement both stop before changing anything, and say what to do
    for command in (("keys", "rotate"), ("keys", "retire", "1")):
        result = run(*command)
        said = flat(result.output)
        assert result.exit_code == 1, said
        assert "not bound to this keyring" in said and "nothing was changed" in said
        assert "make a new split (`candor keys split`)" in said
        assert key_file.read_text() == before_file and snapshot(database_url) == before_rows
    # And the keyring in the database is still sealed to the committee's key, never to theirs
    with world.db.read() as session:
        row = session.exec(select(RecoveryKey)).one()
    assert row.sealed_keyring is not None
    with pytest.raises(EscrowError):
        open_keyring(row.sealed_keyring, pair=theirs)
    assert open_keyring(row.sealed_keyring, pair=committee).to_json() == before_file

    # And the drill fails and names the escrow; its fingerprint is not the one on the shares
    drill = run("keys", "check")
    said = flat(drill.output)
    assert drill.exit_code == 1 and "the recovery escrow split on" in said and "is not bound" in said
    assert "The drill passed" not in said
    on_the_shares = shares[0].read_text().splitlines()[2].removeprefix("recovery key: ")
    assert on_the_shares == recovery_fingerprint(committee.public)
    assert f"Recovery key fingerprint: {recovery_fingerprint(theirs.public)}" in said
    assert on_the_shares not in said

    # And `candor status`, the server's detailed health and its start say so
    status = flat(run("status").output)
    assert "NOT BOUND to the key file (unbound)" in status
    health = admin.health(world.db, Vault(load_keyring(key_file=key_file, env_value=None)),
                          now=world.core.now(), stale_minutes=60)
    assert health[admin.ESCROW_HEALTH_REASON] == "unbound"
    log = serve_starts(tmp_path, {"CANDOR_DATABASE_URL": database_url, "CANDOR_KEY_FILE": str(key_file)})
    assert "WARNING candor.keys the recovery escrow's public key is not bound to this keyring" in log

    # When the committee makes a new split, the escrow is bound again and a rotation goes through
    assert run("keys", "split", "--shares", "3", "--threshold", "2", "--out", str(tmp_path / "new")).exit_code == 0
    assert run("keys", "rotate").exit_code == 0
    assert run("keys", "check").exit_code == 0
    assert admin.ESCROW_HEALTH_REASON not in admin.health(
        world.db, Vault(load_keyring(key_file=key_file, env_value=None)), now=world.core.now(), stale_minutes=60)


def test_a_second_escrow_in_force_or_a_binding_copied_is_refused(world, run, tmp_path, database_url):
    company(world, run)
    split(run, tmp_path / "shares")
    key_file = tmp_path / "candor.key"
    # Given a row added beside the escrow in force, with the real row's binding copied onto it
    theirs = RecoveryPair.generate()
    with world.db.write() as session:
        real = session.exec(select(RecoveryKey)).one()
        session.add(RecoveryKey(public_key=theirs.public, sealed_keyring=real.sealed_keyring,
                                fingerprint=real.fingerprint, versions=real.versions, shares=real.shares,
                                threshold=real.threshold, split_at=real.split_at, sealed_at=real.sealed_at,
                                binding=real.binding))
    before = key_file.read_text(), snapshot(database_url)
    # Then nothing is sealed to either: two escrows in force is not what a split leaves
    rotated = run("keys", "rotate")
    assert rotated.exit_code == 1 and "2 recovery escrows in force" in flat(rotated.output)
    assert (key_file.read_text(), snapshot(database_url)) == before
    # And with the real row gone, the copied binding does not verify on the row that stays
    with world.db.write() as session:
        session.execute(text("DELETE FROM recoverykey WHERE public_key <> :key"), {"key": theirs.public})
    rotated = run("keys", "rotate")
    assert rotated.exit_code == 1 and "not bound to this keyring" in flat(rotated.output)
    assert key_file.read_text() == before[0]
    assert run("keys", "check").exit_code == 1


def test_a_recovery_checks_the_escrow_it_opens(world, run, tmp_path, database_url):
    company(world, run)
    shares = split(run, tmp_path / "shares")
    key_file = tmp_path / "candor.key"
    keyring = load_keyring(key_file=key_file, env_value=None)
    key_file.unlink()
    # A public key swapped in the database: the committee's shares are not its key, nothing is written
    with world.db.read() as session:
        committee_key = session.exec(select(RecoveryKey.public_key)).one()
    the_dba_swaps_the_public_key(world)
    swapped = run("keys", "recover", *map(str, shares[:3]))
    assert swapped.exit_code == 1 and "nothing was written" in swapped.output and not key_file.exists()
    # The committee's key put back but its binding lost: the keyring opens the data, so it is
    # written (a lost key file must come back), with a warning that rotations will refuse
    with world.db.write() as session:
        session.execute(text("UPDATE recoverykey SET public_key = :key, binding = NULL"), {"key": committee_key})
    recovered = run("keys", "recover", *map(str, shares[:3]))
    said = flat(recovered.output)
    assert recovered.exit_code == 0, said
    assert "Warning: the escrow's row is not bound to the keyring recovered" in said
    assert load_keyring(key_file=key_file, env_value=None).to_json() == keyring.to_json()
    assert run("keys", "rotate").exit_code == 1


def test_each_share_and_the_drill_show_the_same_recovery_key_fingerprint(world, run, tmp_path):
    company(world, run)
    shares = split(run, tmp_path / "shares")
    fingerprints = {s.read_text().splitlines()[2] for s in shares}
    assert len(fingerprints) == 1
    (line,) = fingerprints
    assert re.fullmatch(r"recovery key: [0-9a-f]{4}(-[0-9a-f]{4}){4}", line)
    drill = run("keys", "check")
    assert drill.exit_code == 0 and f"Recovery key fingerprint: {line.removeprefix('recovery key: ')}" in drill.output
    assert line.removeprefix("recovery key: ") in flat(run("status").output)


# --- Medium 4: a new split cuts the old shares off ---------------------------------------------


def test_old_shares_with_a_backup_open_nothing_written_after_a_new_split(world, run, tmp_path, database_url):
    # Given split A, and a backup of the database taken after it
    company(world, run)
    shares_a = split(run, tmp_path / "a")
    key_file = tmp_path / "candor.key"
    with world.db.read() as session:
        backup = session.exec(select(RecoveryKey)).one()
        backup_data_keys = {(k.record_kind, k.record_id): (k.master_version, k.wrapped)
                            for k in session.exec(select(DataKey)).all()}

    # When the committee makes split B
    result = run("keys", "split", "--shares", "5", "--threshold", "3", "--out", str(tmp_path / "b"))
    said = flat(result.output)

    # Then the master key was rotated, and the operator is told what the old shares still open
    assert result.exit_code == 0, said
    assert "Master key v2 is now current" in said
    assert "open nothing written after this split" in said and "Backups from before keep what they held" in said
    assert "`candor keys retire 1`" in said
    keyring_b = load_keyring(key_file=key_file, env_value=None)
    assert keyring_b.current == 2
    # And a report written after split B (by a server that loaded the key file)
    world.core.vault.keyring = keyring_b
    world.submit("cfo", "intake", {"category": "fraud", "what": "Written after split B", "anonymous": "no"})
    with world.db.read() as session:
        after = session.exec(select(Report)).all()
        live_keys = session.exec(select(DataKey)).all()
    assert len(after) == 3

    # The shares of A with the backup rebuild the keyring of A ...
    keyring_a = open_keyring(backup.sealed_keyring, pair=shares_of(shares_a))
    assert keyring_a.versions.keys() == {1}
    # ... which opens what the backup held, but no data key in the database written after B
    vault_a = Vault(keyring_a)
    for (kind, record_id), (version, wrapped) in backup_data_keys.items():
        vault_a.unwrap(version, wrapped, kind=kind, record_id=record_id)
    assert all(k.master_version == 2 for k in live_keys)
    for k in live_keys:
        if (k.record_kind, k.record_id) in backup_data_keys:
            continue
        with pytest.raises(KeyringError):
            vault_a.unwrap(k.master_version, k.wrapped, kind=k.record_kind, record_id=k.record_id)
    assert any((k.record_kind, k.record_id) not in backup_data_keys for k in live_keys)
    # And the escrow of B holds exactly today's keyring; the old version retires cleanly
    assert run("keys", "check").exit_code == 0
    assert run("keys", "retire", "1").exit_code == 0
    assert run("keys", "check").exit_code == 0


def test_a_new_split_waits_for_running_servers_like_a_rotation_and_says_how_to_finish(
        world, run, tmp_path, database_url):
    company(world, run)
    split(run, tmp_path / "a")
    key_file = tmp_path / "candor.key"
    # Given a running server that holds the keyring of today and does not reload the key file
    keys.report_holder(world.db, server="s1", process="host-b pid 42", source="file",
                       keyring=load_keyring(key_file=key_file, env_value=None), started_at=utcnow(),
                       now=utcnow(), live_for=timedelta(minutes=10))

    # When split B is made, its rotation waits for that server, then stops
    result = run("keys", "split", "--shares", "3", "--threshold", "2", "--out", str(tmp_path / "b"), "--wait", "0")
    said = flat(result.output)
    assert result.exit_code == 1, said
    assert "the new split is in force, but the master key rotation that cuts the split of" in said, said
    assert "host-b pid 42" in said and "run `candor keys rotate` to finish it" in said
    # Then split B is in force and nothing is wrapped under a version the server cannot open
    staged = load_keyring(key_file=key_file, env_value=None)
    assert staged.current == 1 and staged.newest == 2
    with world.db.read() as session:
        in_force = session.exec(select(RecoveryKey).where(col(RecoveryKey.replaced_at).is_(None))).one()
    assert in_force.shares == 3
    # And once the server is gone, `keys rotate` finishes the cut
    keys.forget_holder(world.db, server="s1")
    finished = run("keys", "rotate")
    assert finished.exit_code == 0 and "Master key v2 is current" in finished.output, finished.output
    assert run("keys", "check").exit_code == 0


def test_a_new_split_with_the_keyring_in_the_environment_is_refused_and_changes_nothing(
        world, run, tmp_path, database_url):
    company(world, run)
    split(run, tmp_path / "a")
    key_file = tmp_path / "candor.key"
    before = snapshot(database_url)
    result = run("keys", "split", "--shares", "3", "--threshold", "2", "--out", str(tmp_path / "b"),
                 CANDOR_MASTER_KEY=key_file.read_text())
    assert result.exit_code == 1 and "CANDOR_MASTER_KEY" in result.output and "nothing was changed" in result.output
    assert snapshot(database_url) == before and not (tmp_path / "b").exists()


# --- Low: one share at a time on the terminal, nothing written --------------------------------


def test_one_share_at_a_time_on_the_terminal_writes_nothing(world, run, tmp_path, database_url):
    company(world, run)
    key_file = tmp_path / "candor.key"
    keyring = load_keyring(key_file=key_file, env_value=None)
    files_before = {p for p in tmp_path.rglob("*") if not p.name.startswith("candor.db")}

    # When the chair shows each member their share, one at a time (name, Enter, read, Enter)
    members = ["Alice Chair", "Bob Member", "Carol Member"]
    result = run("keys", "split", "--shares", "3", "--threshold", "2", "--one-at-a-time",
                 input="".join(f"{name}\n\n\n" for name in members))

    # Then each share was shown once, after its member's name, and cleared before the next member
    assert result.exit_code == 0, result.output
    shown = []
    rest = result.output
    for number, name in enumerate(members, start=1):
        asked = rest.index(f"Share {number} of 3: the committee member who receives it")
        words_at = rest.index("words: ", asked)
        cleared = rest.index(CLEAR, words_at)
        assert name in rest[asked:words_at]
        shown.append(rest[words_at:].splitlines()[0].removeprefix("words: "))
        rest = rest[cleared + len(CLEAR):]
    assert "words: " not in rest  # nothing of a share after the last clear
    assert len(set(shown)) == 3
    assert "Alice Chair" in rest and "nothing was written to disk" in flat(rest)
    # And nothing was written: no file appeared
    assert {p for p in tmp_path.rglob("*") if not p.name.startswith("candor.db")} == files_before
    # And any two of the shares shown recover the keyring
    with world.db.read() as session:
        row = session.exec(select(RecoveryKey).order_by(col(RecoveryKey.id).desc())).first()
    pair = RecoveryPair.from_private(combine([GivenShare("a", tuple(shown[0].split())),
                                              GivenShare("c", tuple(shown[2].split()))]).secret)
    assert pair.public == row.public_key
    assert open_keyring(row.sealed_keyring, pair=pair).to_json() == keyring.to_json()
    key_file.unlink()
    recovered = run("keys", "recover", input=f"{shown[1]}\n{shown[2]}\n")
    assert recovered.exit_code == 0, recovered.output
    assert Keyring.from_json(key_file.read_text()).to_json() == keyring.to_json()


def test_the_split_needs_a_folder_or_the_terminal_and_not_both(world, run, tmp_path, database_url):
    before = snapshot(database_url)
    neither = run("keys", "split", "--shares", "3", "--threshold", "2")
    both = run("keys", "split", "--shares", "3", "--threshold", "2", "--out", str(tmp_path / "s"), "--one-at-a-time")
    for result in (neither, both):
        assert result.exit_code == 1 and "--one-at-a-time" in result.output and "nothing was changed" in result.output
    assert snapshot(database_url) == before and not (tmp_path / "s").exists()
