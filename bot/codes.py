"""Case codes and reporters' secrets: unguessable, and easy to read aloud or type.

Both use Crockford's base-32 alphabet (no I, L, O, U), so "0/O" and "1/I/L" cannot be confused;
input is normalised the same way before it is compared.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def _groups(count: int, size: int) -> str:
    """`count` groups of `size` symbols, each five random bits (the alphabet has 32, so every
    symbol is equally likely), all drawn in one read of the system's random source."""
    symbols = count * size
    bits = int.from_bytes(secrets.token_bytes((5 * symbols + 7) // 8), "big")
    drawn = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(symbols))
    return "-".join(drawn[g * size:(g + 1) * size] for g in range(count))


def new_case_code() -> str:
    """Like "K7Q4-M9XP": 40 random bits, shown in channels and used with the secret."""
    return _groups(2, 4)


def new_secret() -> str:
    """Like "7KQ4M-9XPA2-...": 100 random bits, shown once to an anonymous reporter."""
    return _groups(4, 5)


def normalise(text: str) -> str:
    """What a person typed, in canonical form: upper case, no spaces, confusables mapped."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_CONFUSABLE)
    return cleaned


def format_code(text: str) -> str:
    """A typed code ("k7q4m9xp", "K7Q4 M9XP") in its printed form "K7Q4-M9XP"."""
    raw = normalise(text)
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def format_secret(text: str) -> str:
    raw = normalise(text)
    return "-".join(raw[i : i + 5] for i in range(0, len(raw), 5))
