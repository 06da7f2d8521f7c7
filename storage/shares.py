"""The committee's recovery shares: SLIP-39 (the `shamir-mnemonic` reference implementation).

`split` cuts the recovery key's private half into N word lists of which any K rebuild it;
`combine` rebuilds it and, when it cannot, says exactly why (a mistyped word, shares of another
split, too few) naming shares by where they came from (a file name, a line of input), never by
their words: an error message may reach a terminal's scrollback or a log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from shamir_mnemonic import MnemonicError, Share, combine_mnemonics, generate_mnemonics
from shamir_mnemonic.wordlist import WORD_INDEX_MAP

from storage.keyring import CryptoError

MAX_SHARES = 16  # SLIP-39's limit for one group
# SLIP-39's default: 10,000 x 2**1 PBKDF2 iterations per round. Tests may pass a lower one.
STANDARD_ITERATION_EXPONENT = 1


class ShareError(CryptoError):
    """The shares given do not rebuild a recovery key; the message says which and why."""


@dataclass(frozen=True)
class GivenShare:
    """A share as the operator gave it: where it came from, and its words."""

    source: str  # "share-2.txt", "line 3 of standard input"
    words: tuple[str, ...]

    def __repr__(self) -> str:  # never the words
        return f"GivenShare({self.source!r}, {len(self.words)} words)"


def split(secret: bytes, *, shares: int, threshold: int, passphrase: str = "",
          iteration_exponent: int = STANDARD_ITERATION_EXPONENT) -> list[str]:
    """`shares` SLIP-39 mnemonics of `secret`, any `threshold` of which rebuild it."""
    if not 2 <= threshold <= shares <= MAX_SHARES:
        raise ShareError(f"a split needs 2 <= threshold <= shares <= {MAX_SHARES} "
                         f"(got {threshold} of {shares}): no single member may hold the key alone")
    check_passphrase(passphrase)
    groups = generate_mnemonics(1, [(threshold, shares)], secret, passphrase.encode("ascii"),
                                extendable=True, iteration_exponent=iteration_exponent)
    return [str(m) for m in groups[0]]


def check_passphrase(passphrase: str) -> None:
    if not all(32 <= ord(c) <= 126 for c in passphrase):
        raise ShareError("a SLIP-39 passphrase is printable ASCII only (letters, digits, spaces, "
                         "punctuation; no accents)")


def share_file(mnemonic: str, *, threshold: int, day: date, recovery_key: str) -> str:
    """What `share-N.txt` holds: the threshold, the date, the recovery public key's fingerprint
    (`storage.escrow.recovery_fingerprint`, for the committee to compare) and the word list;
    nothing else."""
    return (f"threshold: {threshold}\ndate: {day.isoformat()}\nrecovery key: {recovery_key}\n"
            f"words: {mnemonic}\n")


def words_of_file(text: str) -> tuple[str, ...]:
    """The words of a share file as `share_file` writes it, or as a member typed it back from
    paper (the words alone, over several lines, numbered or not)."""
    words: list[str] = []
    for line in text.splitlines():
        label, colon, rest = line.partition(":")
        if colon and label.strip().lower() in {"threshold", "date", "recovery key"}:
            continue
        if colon and label.strip().lower() == "words":
            line = rest
        words += [w.lower() for w in line.replace(",", " ").split() if w.isalpha()]
    return tuple(words)


def _decode(given: GivenShare) -> Share:
    for position, word in enumerate(given.words, start=1):
        if word not in WORD_INDEX_MAP:
            raise ShareError(f"{given.source}: word {position} is not a SLIP-39 word: it is "
                             "mistyped; compare the share with its paper copy")
    if not given.words:
        raise ShareError(f"{given.source}: holds no share words")
    try:
        return Share.from_mnemonic(" ".join(given.words))
    except MnemonicError as exc:
        # The library's messages quote the share's first words: never shown.
        if "checksum" in str(exc):
            raise ShareError(f"{given.source}: its checksum fails: a word is mistyped, missing "
                             "or swapped; compare the share with its paper copy, word by "
                             "word") from None
        raise ShareError(f"{given.source}: is not a whole SLIP-39 share ({len(given.words)} "
                         "words): a word is missing or one too many") from None


def _names(items: Sequence[GivenShare]) -> str:
    names = [g.source for g in items]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class Combined:
    secret: bytes
    threshold: int
    used: tuple[str, ...]  # the sources of the shares used

    def __repr__(self) -> str:  # never the secret
        return f"Combined(threshold={self.threshold}, used={self.used})"


def combine(given: Sequence[GivenShare], *, passphrase: str = "",
            total: int | None = None) -> Combined:
    """Rebuild the secret from the shares given (`total`: how many the split made, for the
    messages). More than the threshold is fine: the first ones are used."""
    if not given:
        raise ShareError("no share was given")
    check_passphrase(passphrase)
    decoded = [(g, _decode(g)) for g in given]
    # One split: SLIP-39 gives every share of a split the same identifier (its first words).
    splits: dict[tuple[object, ...], list[tuple[GivenShare, Share]]] = {}
    for g, share in decoded:
        splits.setdefault(tuple(share.common_parameters()), []).append((g, share))
    if len(splits) > 1:
        parts = sorted(splits.values(), key=len, reverse=True)
        together = "; ".join(_names([g for g, _ in part]) for part in parts)
        raise ShareError(f"these shares are not all from the same split ({together} belong "
                         "together): a share from an earlier or another split was given. "
                         "Use shares of the latest split only; they all begin with the same "
                         "two words")
    distinct: dict[int, GivenShare] = {}
    shares: list[Share] = []
    for g, share in decoded:
        if share.index in distinct:
            raise ShareError(f"{distinct[share.index].source} and {g.source} are the same share: "
                             "each committee member's share counts once")
        distinct[share.index] = g
        shares.append(share)
    threshold = int(shares[0].member_threshold)
    if len(shares) < threshold:
        of = f" of the {total}" if total else ""
        raise ShareError(f"{len(shares)} share{'s' if len(shares) != 1 else ''} given; this split "
                         f"needs any {threshold}{of}: ask {threshold - len(shares)} more committee "
                         f"member{'s' if threshold - len(shares) != 1 else ''} for theirs")
    chosen = shares[:threshold]
    try:
        secret = combine_mnemonics([s.mnemonic() for s in chosen], passphrase.encode("ascii"))
    except MnemonicError:
        raise ShareError("the shares are of one split but do not fit together (their digest "
                         "fails): one was altered; try another combination of shares") from None
    return Combined(bytes(secret), threshold, tuple(distinct[s.index].source for s in chosen))
