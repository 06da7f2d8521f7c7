"""A new reporter's secret and its slow hash, made outside the unit of work.

scrypt (`Vault.hash_secret`) costs tens of milliseconds by design. Run inside a unit of work it
would hold the transaction (on SQLite, the one write lock) for all that time, and every other
officer's event would wait behind it. So a use case that gives out a new secret asks for one
with `db_fresh_secret`: the first time, it raises `SecretNeeded`; the service rolls the unit of
work back and hands its caller the slow hash to run (`bot.service.SlowHash`: a server's bridge
runs it in its hashing threads, the console in its own thread, off the event loop either way),
which makes the secret and its hash holding no transaction; the event is then tried again, the
pair in `session.info[FRESH]`. A secret is random and its hash salted: neither depends on what
the database holds, so making it first changes nothing the reporter sees. Never carries the
secret in a message.
"""

from __future__ import annotations

from sqlmodel import Session

from bot import codes
from storage.crypto import Vault

FRESH = "candor_fresh_secrets"  # the session.info key: a list of (secret, hash), used in order
USED = "candor_fresh_secrets_used"


class SecretNeeded(Exception):
    """The event needs one more new secret than it was given."""

    def __init__(self) -> None:
        super().__init__("a new reporter's secret to make")


def make(vault: Vault) -> tuple[str, str]:
    """A new secret and its hash (slow: outside any transaction)."""
    secret = codes.new_secret()
    return secret, vault.hash_secret(codes.normalise(secret))


def db_fresh_secret(session: Session) -> tuple[str, str]:
    """The next new secret made for this event and its hash; `SecretNeeded` when none is left."""
    made: list[tuple[str, str]] = session.info.get(FRESH, [])
    used: int = session.info.get(USED, 0)
    if used >= len(made):
        raise SecretNeeded
    session.info[USED] = used + 1
    return made[used]
