"""The recovery escrow's two halves, without a database: sealing the keyring to the recovery key,
and SLIP-39 shares that rebuild the key or say exactly why they cannot."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest

from storage.escrow import (
    EscrowError,
    RecoveryPair,
    binding,
    bound,
    fingerprint,
    open_keyring,
    recovery_fingerprint,
    seal_keyring,
)
from storage.keyring import Keyring
from storage.models import RecoveryKey
from storage.shares import GivenShare, ShareError, combine, share_file, split, words_of_file


def given(mnemonics: list[str], *numbers: int) -> list[GivenShare]:
    return [GivenShare(f"share-{n}.txt", tuple(mnemonics[n - 1].split())) for n in numbers]


# --- sealing ----------------------------------------------------------------------------------


def test_the_keyring_sealed_to_the_recovery_key_opens_only_with_its_private_half():
    keyring, pair = Keyring.generate().rotated(), RecoveryPair.generate()
    sealed = seal_keyring(keyring, public_key=pair.public)
    assert open_keyring(sealed, pair=pair).to_json() == keyring.to_json()
    assert seal_keyring(keyring, public_key=pair.public) != sealed  # a fresh ephemeral key each time
    with pytest.raises(EscrowError, match="does not open"):
        open_keyring(sealed, pair=RecoveryPair.generate())


def test_an_altered_sealed_keyring_does_not_open():
    keyring, pair = Keyring.generate(), RecoveryPair.generate()
    sealed = bytearray(seal_keyring(keyring, public_key=pair.public))
    sealed[-5] ^= 1
    with pytest.raises(EscrowError, match="altered"):
        open_keyring(bytes(sealed), pair=pair)
    with pytest.raises(EscrowError, match="damaged"):
        open_keyring(b"\x02" + bytes(sealed[1:]), pair=pair)


def test_nothing_secret_shows_in_a_repr_or_an_error():
    pair = RecoveryPair.generate()
    assert pair.private.hex() not in repr(pair) and str(pair.private) not in repr(pair)
    mnemonics = split(pair.private, shares=3, threshold=2)
    assert " ".join(mnemonics[0].split()[:2]) not in repr(given(mnemonics, 1))


def test_the_fingerprint_tells_keyrings_apart():
    keyring = Keyring.generate()
    assert fingerprint(keyring) == fingerprint(Keyring.from_json(keyring.to_json()))
    assert fingerprint(keyring) != fingerprint(keyring.rotated())


def test_the_binding_covers_what_a_split_fixes_and_needs_the_key_file_to_make():
    keyring, pair = Keyring.generate(), RecoveryPair.generate()
    row = RecoveryKey(id=1, public_key=pair.public, fingerprint="", versions="1", shares=5, threshold=3,
                      split_at=datetime(2026, 12, 1, 9, 30, 5, 123456, tzinfo=UTC))
    row.binding = binding(keyring, row)
    assert bound(row, keyring)
    # The same keyring read back from its file binds the same; another keyring (the DBA's) does not
    assert bound(row, Keyring.from_json(keyring.to_json()))
    assert not bound(row, Keyring.generate())
    # Any field a split fixes, changed in the database, breaks it: the key, the id, the counts, the date
    for changed in ({"public_key": RecoveryPair.generate().public}, {"id": 2}, {"threshold": 2}, {"shares": 4},
                    {"passphrase": True}, {"split_at": datetime(2026, 12, 2, tzinfo=UTC)}):
        other = RecoveryKey(**{**row.model_dump(), **changed})
        assert not bound(other, keyring), changed
    assert not bound(RecoveryKey(**{**row.model_dump(), "binding": None}), keyring)


def test_the_recovery_key_fingerprint_is_short_stable_and_tells_keys_apart():
    pair = RecoveryPair.generate()
    assert recovery_fingerprint(pair.public) == recovery_fingerprint(RecoveryPair.from_private(pair.private).public)
    assert recovery_fingerprint(pair.public) != recovery_fingerprint(RecoveryPair.generate().public)
    assert len(recovery_fingerprint(pair.public)) == 24


# --- shares -----------------------------------------------------------------------------------


def test_any_threshold_of_the_shares_rebuild_the_key_and_more_are_fine():
    secret = secrets.token_bytes(32)
    mnemonics = split(secret, shares=5, threshold=3)
    assert combine(given(mnemonics, 5, 1, 3)).secret == secret
    assert combine(given(mnemonics, 1, 2, 3, 4, 5)).used == ("share-1.txt", "share-2.txt", "share-3.txt")


def test_a_share_file_holds_the_threshold_the_date_and_the_words_and_reads_back_as_typed():
    mnemonic = split(secrets.token_bytes(32), shares=2, threshold=2)[0]
    text = share_file(mnemonic, threshold=2, day=date(2026, 12, 1), recovery_key="3f2a-91c0-ab12-cd34-ef56")
    assert text == f"threshold: 2\ndate: 2026-12-01\nrecovery key: 3f2a-91c0-ab12-cd34-ef56\nwords: {mnemonic}\n"
    assert words_of_file(text) == tuple(mnemonic.split())
    # Typed back from paper: numbered, over several lines, in capitals
    words = mnemonic.split()
    typed = "\n".join(f"{i + 1}. {w.upper()}" for i, w in enumerate(words))
    assert words_of_file(typed) == tuple(words)


@pytest.mark.parametrize(("shares", "threshold"), [(3, 1), (2, 3), (17, 3)])
def test_a_split_needs_at_least_two_of_at_most_sixteen(shares, threshold):
    with pytest.raises(ShareError, match="threshold"):
        split(secrets.token_bytes(32), shares=shares, threshold=threshold)


def test_too_few_shares_says_how_many_more():
    mnemonics = split(secrets.token_bytes(32), shares=5, threshold=3)
    with pytest.raises(ShareError, match=r"2 shares given; this split needs any 3 of the 5: ask 1 more committee member for theirs"):
        combine(given(mnemonics, 1, 2), total=5)


def test_the_same_share_twice_is_named():
    mnemonics = split(secrets.token_bytes(32), shares=5, threshold=3)
    twice = [*given(mnemonics, 1, 2), GivenShare("copy.txt", tuple(mnemonics[0].split()))]
    with pytest.raises(ShareError, match="share-1.txt and copy.txt are the same share"):
        combine(twice)


def test_shares_of_two_splits_are_named_apart():
    first = split(secrets.token_bytes(32), shares=5, threshold=3)
    second = split(secrets.token_bytes(32), shares=5, threshold=3)
    mixed = [*given(second, 1, 2), GivenShare("old.txt", tuple(first[2].split()))]
    with pytest.raises(ShareError, match=r"\(share-1.txt and share-2.txt; old.txt belong together\)"):
        combine(mixed)


def test_a_changed_word_a_misspelt_word_and_a_missing_word_are_each_named():
    mnemonics = split(secrets.token_bytes(32), shares=5, threshold=3)
    words = mnemonics[0].split()
    changed = list(words)
    changed[12] = "acid" if words[12] != "acid" else "academic"
    with pytest.raises(ShareError, match="share-1.txt: its checksum fails"):
        combine([GivenShare("share-1.txt", tuple(changed)), *given(mnemonics, 2, 3)])
    misspelt = list(words)
    misspelt[4] = "zzzz"
    with pytest.raises(ShareError, match="share-1.txt: word 5 is not a SLIP-39 word"):
        combine([GivenShare("share-1.txt", tuple(misspelt)), *given(mnemonics, 2, 3)])
    with pytest.raises(ShareError, match="share-1.txt: (its checksum fails|is not a whole SLIP-39 share)"):
        combine([GivenShare("share-1.txt", tuple(words[:-1])), *given(mnemonics, 2, 3)])
    with pytest.raises(ShareError, match="holds no share words"):
        combine([GivenShare("empty.txt", ()), *given(mnemonics, 2, 3)])


def test_a_passphrase_changes_what_the_shares_rebuild():
    secret = secrets.token_bytes(32)
    mnemonics = split(secret, shares=3, threshold=2, passphrase="correct horse")
    assert combine(given(mnemonics, 1, 2), passphrase="correct horse").secret == secret
    assert combine(given(mnemonics, 1, 2), passphrase="wrong horse").secret != secret
    with pytest.raises(ShareError, match="printable ASCII"):
        split(secret, shares=3, threshold=2, passphrase="café")
