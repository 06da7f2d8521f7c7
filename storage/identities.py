"""Who a platform id is, and which id reaches a person: the `identity` rows, the only code that
reads or writes them.

A row is sealed: the person id, the platform and the platform user id are in its body. It is
found by one of two keyed tags (HMACs under the keyring's index key), so without the keyring
no column says who a row is about: `account_tag` (platform, platform user id) finds who is
writing; `person_tag` (person id, platform) finds the id a notice for a person goes to. Functions
named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_
from sqlmodel import Session, col, select

from storage.crypto import Vault
from storage.db import ByTags
from storage.models import DataKey, Identity
from storage.vocabulary import Platform, RecordKind

KIND = RecordKind.IDENTITY  # the record kind its data keys are filed under


@dataclass(frozen=True)
class PlatformAccount:
    """One person's id on one platform."""

    person_id: int
    platform: Platform
    platform_user_id: str


def account_tag(vault: Vault, platform: Platform, platform_user_id: str) -> str:
    # Its own label: the same (platform, user id) keys a draft under "conversation", and the two
    # tags must not be equal, or a draft would point at its person's identity row.
    return vault.tag("identity-account", platform.value, platform_user_id)


def person_tag(vault: Vault, person_id: int, platform: Platform) -> str:
    return vault.tag("identity-person", str(person_id), platform.value)


# Lookups try the tags under every index key the keyring holds: an index-key rotation re-tags the
# rows while servers run (`db_retag_after`).


def _account_tags(vault: Vault, platform: Platform, platform_user_id: str) -> list[str]:
    return vault.tags("identity-account", platform.value, platform_user_id)


def _person_tags(vault: Vault, person_id: int, platform: Platform) -> list[str]:
    return vault.tags("identity-person", str(person_id), platform.value)


def document(account: PlatformAccount) -> dict[str, object]:
    """The sealed body's content (the 0009 migration writes the same)."""
    return {"person_id": account.person_id, "platform": account.platform.value,
            "platform_user_id": account.platform_user_id}


def _open(session: Session, vault: Vault, row: Identity) -> PlatformAccount:
    data = vault.unseal(session, kind=KIND, record_id=row.key, blob=row.body)
    return PlatformAccount(int(data["person_id"]), Platform(data["platform"]),
                           str(data["platform_user_id"]))


def db_known(session: Session, vault: Vault, platform: Platform, platform_user_id: str) -> bool:
    """Whether a platform id belongs to someone on the roster's record (nothing is opened)."""
    tags = _account_tags(vault, platform, platform_user_id)
    return session.exec(select(Identity.key).where(col(Identity.key).in_(tags))).first() is not None


def db_person_id(session: Session, vault: Vault, platform: Platform,
                 platform_user_id: str) -> int | None:
    """The person a platform id belongs to (every event asks): one keyed hash, one query (the row
    by its primary key, with its data key; columns, no ORM objects), one open. It reads on the
    unit of work's connection without a flush first: an identity added in the same unit is found
    once the session has flushed it."""
    tags = _account_tags(vault, platform, platform_user_id)
    found = session.connection().execute(*_PERSON_ID.given(tags)).first()
    if found is None:
        return None
    key, body, version, wrapped = found
    opened = vault.unseal_wrapped(version, wrapped, kind=KIND, record_id=key, blob=body)
    return int(opened["person_id"])


# Built once: putting a statement together costs about as much as running it here.
_PERSON_ID = ByTags(lambda match: (
    select(Identity.key, Identity.body, DataKey.master_version, DataKey.wrapped)
    .outerjoin(DataKey, and_(col(DataKey.record_kind) == KIND,
                             col(DataKey.record_id) == col(Identity.key)))
    .where(match(col(Identity.key)))))


def db_account(session: Session, vault: Vault, person_id: int,
               platform: Platform) -> PlatformAccount | None:
    """A person's id on a platform (where a direct message to them goes), or None."""
    row = session.exec(select(Identity).where(
        col(Identity.person_key).in_(_person_tags(vault, person_id, platform)))).first()
    return None if row is None else _open(session, vault, row)


def db_platforms(session: Session, vault: Vault, person_id: int,
                 platforms: Iterable[Platform]) -> set[Platform]:
    """The platforms among `platforms` on which a person has an id (nothing is opened)."""
    tags = {tag: p for p in platforms for tag in _person_tags(vault, person_id, p)}
    found = session.exec(select(Identity.person_key)
                         .where(col(Identity.person_key).in_(list(tags)))).all()
    return {tags[tag] for tag in found}


def db_add(session: Session, vault: Vault, account: PlatformAccount) -> None:
    """Record a person's id on a platform (the caller has made sure neither tag is taken)."""
    key = account_tag(vault, account.platform, account.platform_user_id)
    session.add(Identity(key=key, person_key=person_tag(vault, account.person_id, account.platform),
                         body=vault.seal(session, kind=KIND, record_id=key,
                                         data=document(account))))


def db_remove(session: Session, vault: Vault, account: PlatformAccount) -> None:
    """Forget a person's id on a platform, and shred its sealed body. Flushed at once, so the
    same id can be given to someone else in the same unit of work."""
    tags = _account_tags(vault, account.platform, account.platform_user_id)
    row = session.exec(select(Identity).where(col(Identity.key).in_(tags))).first()
    if row is None:
        return
    vault.shred(session, kind=KIND, record_id=row.key)
    session.delete(row)
    session.flush()


def db_all(session: Session, vault: Vault) -> list[PlatformAccount]:
    """Every platform id on record, opened (the roster's import and listing; not per event)."""
    return [_open(session, vault, row) for row in session.exec(select(Identity)).all()]


def db_retag_after(session: Session, vault: Vault, last_key: str, *,
                   limit: int) -> tuple[int, str | None]:
    """Re-tag the next `limit` rows after `last_key` (in key order) under the vault's index key
    (an index-key rotation): a row tagged under another key is opened, shredded and written
    again under its new tags (its tag is its sealed body's record id). Returns how many were
    re-tagged and the key to continue after (None: none is left)."""
    rows = session.exec(select(Identity).where(col(Identity.key) > last_key)
                        .order_by(col(Identity.key)).limit(limit)).all()
    done = 0
    for row in rows:
        account = _open(session, vault, row)
        if (row.key == account_tag(vault, account.platform, account.platform_user_id)
                and row.person_key == person_tag(vault, account.person_id, account.platform)):
            continue  # re-tagged already (a resumed rotation), or written under the new key
        vault.shred(session, kind=KIND, record_id=row.key)
        session.delete(row)
        session.flush()  # its person tag is unique: gone before the new row takes it
        db_add(session, vault, account)
        done += 1
    return done, rows[-1].key if rows else None


def db_accounts_after(session: Session, vault: Vault, last_key: str, *,
                      limit: int) -> tuple[list[PlatformAccount], str | None]:
    """The next `limit` platform ids after `last_key` (in key order), opened, and the key to
    continue after (None: none is left): to walk them all in batches."""
    rows = session.exec(select(Identity).where(col(Identity.key) > last_key)
                        .order_by(col(Identity.key)).limit(limit)).all()
    return [_open(session, vault, row) for row in rows], rows[-1].key if rows else None
