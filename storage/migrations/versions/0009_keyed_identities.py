"""keyed identities: platform ids and conversation references sealed, found by keyed tags

`identity` kept (person id, platform, platform user id) and `conversationref` kept
"teams:user:<AAD id>" and its reference in plain text: anyone with the database (or a backup)
could tell who each row was about. Both are rebuilt sealed, each row found by a keyed tag
(`storage.identities`, `storage.references`). Rows already there are sealed here, under the
master keyring the caller hands in (`storage.migrate.upgrade(keyring=...)`, as `candor db
upgrade` loads it); without it the migration stops before changing anything. The plain tables
are dropped in the same transaction (SQLite's `secure_delete` zeroes their pages; the caller
checkpoints the WAL). How many rows moved is handed back for the audit log, counts only. Going
down opens them (with the key) and writes them back in plain.

Written against the tables as they are at this revision (core SQL, not today's models), with the
same tags and sealed documents as `storage.identities` and `storage.references`.
"""
import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage import identities, references
from storage.clock import start_of_day
from storage.crypto import Vault, open_bytes, seal_record
from storage.identities import PlatformAccount
from storage.keyring import Keyring, KeyringError
from storage.vocabulary import Platform

revision = '0009'
down_revision = '0008'

_DATAKEY = sa.table('datakey', sa.column('record_kind', sa.String), sa.column('record_id', sa.String),
                    sa.column('master_version', sa.Integer), sa.column('wrapped', sa.LargeBinary))
# The tables as they are before (PLAIN_*) and after (SEALED_*) this revision.
_PLATFORM = sa.Enum('SLACK', 'TEAMS', 'CONSOLE', name='platform', create_type=False)  # PostgreSQL's type exists
_PLAIN_IDENTITY = sa.table('identity', sa.column('id', sa.Integer), sa.column('person_id', sa.Integer),
                           sa.column('platform', _PLATFORM), sa.column('platform_user_id', sa.String))
_PLAIN_REFERENCE = sa.table('conversationref', sa.column('key', sa.String), sa.column('value', sa.String),
                            sa.column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime))
_SEALED_IDENTITY = sa.table('identity', sa.column('key', sa.String), sa.column('person_key', sa.String),
                            sa.column('body', sa.LargeBinary))
_SEALED_REFERENCE = sa.table('conversationref', sa.column('key', sa.String), sa.column('kind', sa.String),
                             sa.column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime),
                             sa.column('body', sa.LargeBinary))


def _vault() -> Vault:
    """The vault for the rows to seal (or, going down, to open): the keyring comes from the
    caller, and is asked for only when there are rows."""
    attributes = op.get_context().config.attributes  # type: ignore[union-attr]
    provide: Callable[[], Keyring] | None = attributes.get('keyring')
    if provide is None:
        raise KeyringError(
            "the database holds platform ids and conversation references to seal (schema 0009), "
            "which needs the master key: set CANDOR_KEY_FILE or CANDOR_MASTER_KEY and run "
            "`candor db upgrade`; nothing was changed")
    return Vault(provide())


def _seal(connection: sa.Connection, vault: Vault, *, kind: str, record_id: str, data: dict[str, Any]) -> bytes:
    data_key = AESGCM.generate_key(bit_length=256)
    version, wrapped = vault.wrap(data_key, kind=kind, record_id=record_id)
    connection.execute(_DATAKEY.insert().values(record_kind=kind, record_id=record_id,
                                                master_version=version, wrapped=wrapped))
    return seal_record(data_key, data, kind=kind, record_id=record_id)


def _open(connection: sa.Connection, vault: Vault, *, kind: str, record_id: str, blob: bytes) -> dict[str, Any]:
    version, wrapped = connection.execute(sa.select(_DATAKEY.c.master_version, _DATAKEY.c.wrapped).where(
        _DATAKEY.c.record_kind == kind, _DATAKEY.c.record_id == record_id)).one()
    data_key = vault.unwrap(version, wrapped, kind=kind, record_id=record_id)
    opened: dict[str, Any] = json.loads(open_bytes(data_key, blob, kind=kind, record_id=record_id))
    return opened


def _create_sealed() -> None:
    op.create_table('identity',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('person_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('key'),
    sa.UniqueConstraint('person_key')
    )
    op.create_table('conversationref',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('conversationref', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversationref_kind'), ['kind'], unique=False)


def _create_plain() -> None:
    op.create_table('identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('platform', _PLATFORM, nullable=False),
    sa.Column('platform_user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'platform_user_id')
    )
    with op.batch_alter_table('identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_person_id'), ['person_id'], unique=False)
    op.create_table('conversationref',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def upgrade() -> None:
    connection = op.get_bind()
    plain_ids = connection.execute(sa.select(_PLAIN_IDENTITY).order_by(_PLAIN_IDENTITY.c.id)).all()
    plain_refs = connection.execute(sa.select(_PLAIN_REFERENCE).order_by(_PLAIN_REFERENCE.c.key)).all()
    vault = _vault() if plain_ids or plain_refs else None  # before anything changes

    op.drop_table('conversationref')
    with op.batch_alter_table('identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_person_id'))
    op.drop_table('identity')
    _create_sealed()
    if vault is None:
        return

    persons: set[str] = set()
    for row in plain_ids:
        account = PlatformAccount(int(row.person_id), Platform[row.platform], str(row.platform_user_id))
        person_key = identities.person_tag(vault, account.person_id, account.platform)
        if person_key in persons:
            continue  # one id per person and platform, as the code has always kept it
        persons.add(person_key)
        key = identities.account_tag(vault, account.platform, account.platform_user_id)
        body = _seal(connection, vault, kind=identities.KIND, record_id=key, data=identities.document(account))
        connection.execute(_SEALED_IDENTITY.insert().values(key=key, person_key=person_key, body=body))
    for row in plain_refs:
        key = references.name_tag(vault, row.key)
        body = _seal(connection, vault, kind=references.KIND, record_id=key,
                     data=references.document(row.key, json.loads(row.value)))
        kind = ":".join(row.key.split(":")[:2])  # "teams:user:<AAD id>" -> "teams:user"
        connection.execute(_SEALED_REFERENCE.insert().values(
            key=key, kind=kind, updated_at=start_of_day(row.updated_at), body=body))
    op.get_context().config.attributes.setdefault('sealed', {}).update(  # type: ignore[union-attr]
        {"identities": len(persons), "references": len(plain_refs)})


def downgrade() -> None:
    # The plain tables come back with their rows (opened with the key, needed only when there
    # are rows): a downgrade loses nothing, though the ids are then plain again.
    connection = op.get_bind()
    sealed_ids = connection.execute(sa.select(_SEALED_IDENTITY)).all()
    sealed_refs = connection.execute(sa.select(_SEALED_REFERENCE)).all()
    vault = _vault() if sealed_ids or sealed_refs else None
    accounts = [_open(connection, vault, kind=identities.KIND, record_id=row.key, blob=row.body)
                for row in sealed_ids] if vault else []
    refs = [(_open(connection, vault, kind=references.KIND, record_id=row.key, blob=row.body), row)
            for row in sealed_refs] if vault else []
    connection.execute(_DATAKEY.delete().where(
        _DATAKEY.c.record_kind.in_([identities.KIND, references.KIND])))
    with op.batch_alter_table('conversationref', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversationref_kind'))
    op.drop_table('conversationref')
    op.drop_table('identity')
    _create_plain()
    for account in accounts:
        connection.execute(_PLAIN_IDENTITY.insert().values(
            person_id=account["person_id"], platform=Platform(account["platform"]).name,
            platform_user_id=account["platform_user_id"]))
    for opened, row in refs:
        connection.execute(_PLAIN_REFERENCE.insert().values(
            key=opened["name"], value=json.dumps(opened["reference"], sort_keys=True), updated_at=row.updated_at))
