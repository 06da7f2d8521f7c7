"""outbox and determinations name no one: no person's id in a plain outbox key, no person's chat
beside a delivered notice, no officer beside the Board's determination

Before this revision an outbox row's plain `key` named people (`attest-remind:<person id>:...`,
`unacked:<report id>:member:<person id>`, one row per member not kept away from the case, so the
row missing named who was), and a delivered direct message kept the person's chat (a Slack DM id,
a Teams chat id) and the post's id in `platform_channel` and `platform_message_id`. Here:

- a key naming a person is rewritten as `bot.delivery.outbox.private_key` writes it now (its kind, then a
  keyed tag of the rest, under the keyring's index key), and so is a failure notice's key about it;
- an escalation's rows to members become one row per case and platform, `unacked:<case>:members`
  (what the sweep writes now, so the escalation is not sent again); the other members' rows of
  the case are kept (a pending one is still delivered) under a keyed tag that names no one;
- a direct message's chat and post id are cleared (nothing edits a direct message);
- a determination's officer (`determination.subject_id`) moves into its sealed body, and the
  column goes ("officer X: material violation, termination" was readable in a dump).

Tags and seals need the keyring, which the caller hands in (`storage.migrate.upgrade(keyring=...)`,
as `candor db upgrade` loads it); it is asked for only when there is something to tag or seal.
Going down brings the officer's column back, filled from the sealed bodies (with the key), and
changes the outbox back in nothing: a keyed tag cannot be undone, the older code reads the keys as
opaque and unique, and a cleared chat id was never read again.
"""
import json
import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from storage.crypto import Vault, open_bytes, seal_record
from storage.keyring import Keyring, KeyringError

revision = '0012'
down_revision = '0011'

_OUTBOX = sa.table('outboxmessage', sa.column('id', sa.String), sa.column('key', sa.String),
                   sa.column('kind', sa.String), sa.column('created_at', sa.DateTime),
                   sa.column('platform_channel', sa.String),
                   sa.column('platform_message_id', sa.String))
_DETERMINATION = sa.table('determination', sa.column('id', sa.String), sa.column('subject_id', sa.Integer),
                          sa.column('body', sa.LargeBinary))
_DATAKEY = sa.table('datakey', sa.column('record_kind', sa.String), sa.column('record_id', sa.String),
                    sa.column('master_version', sa.Integer), sa.column('wrapped', sa.LargeBinary))
_DETERMINATION_KIND = 'determination'
_FAILURE = 'delivery-failed:'
_KEY_TAG = 'outbox-key'  # as bot.delivery.outbox.private_key tags a key
# The keys that named a person, without their platform (`@slack`) or failure prefix.
_PERSONAL = re.compile(r'^(attest-remind|attest-overdue):\d+:')
_MEMBER = re.compile(r'^unacked:([^:]+):member:\d+$')


def _vault() -> Vault:
    attributes = op.get_context().config.attributes  # type: ignore[union-attr]
    provide: Callable[[], Keyring] | None = attributes.get('keyring')
    if provide is None:
        raise KeyringError(
            "the outbox holds keys naming people, and determinations their officer, to replace by "
            "keyed tags and seals (schema 0012), which "
            "needs the master key: set CANDOR_KEY_FILE or CANDOR_MASTER_KEY and run "
            "`candor db upgrade`; nothing was changed")
    return Vault(provide())


def _split(key: str) -> tuple[str, str, str]:
    """(failure prefix or "", the notice's key, "@platform" or "")."""
    prefix = _FAILURE if key.startswith(_FAILURE) else ''
    rest = key[len(prefix):]
    notice, at, platform = rest.rpartition('@')
    return (prefix, notice, at + platform) if at else (prefix, rest, '')


def _data_key(connection: sa.Connection, vault: Vault, record_id: str) -> bytes | None:
    """A determination's data key; None when its case was shredded (its body opens no more)."""
    found = connection.execute(sa.select(_DATAKEY.c.master_version, _DATAKEY.c.wrapped).where(
        _DATAKEY.c.record_kind == _DETERMINATION_KIND, _DATAKEY.c.record_id == record_id)).first()
    if found is None:
        return None
    return vault.unwrap(found.master_version, found.wrapped, kind=_DETERMINATION_KIND, record_id=record_id)


def _seal_subjects(connection: sa.Connection, vault: Vault, rows: list[sa.Row]) -> int:
    """Each determination's officer into its sealed body, under its own data key."""
    for row in rows:
        data_key = _data_key(connection, vault, row.id)
        if data_key is None:
            continue  # shredded: the officer goes with the column
        document = json.loads(open_bytes(data_key, row.body, kind=_DETERMINATION_KIND, record_id=row.id))
        document['subject_id'] = row.subject_id
        body = seal_record(data_key, document, kind=_DETERMINATION_KIND, record_id=row.id)
        connection.execute(_DETERMINATION.update().where(_DETERMINATION.c.id == row.id).values(body=body))
    return len(rows)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_OUTBOX.c.id, _OUTBOX.c.key, _OUTBOX.c.created_at)
                              .order_by(_OUTBOX.c.created_at, _OUTBOX.c.id)).all()
    naming = [r for r in rows if _PERSONAL.match(_split(r.key)[1]) or _MEMBER.match(_split(r.key)[1])]
    determinations = list(connection.execute(sa.select(_DETERMINATION).where(
        _DETERMINATION.c.subject_id.is_not(None))).all())
    vault = _vault() if naming or determinations else None  # before anything changes
    sealed: dict[str, int] = {}
    if determinations and vault is not None:
        sealed['determination_officers'] = _seal_subjects(connection, vault, determinations)
    with op.batch_alter_table('determination', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_determination_subject_id'))
        batch_op.drop_column('subject_id')
    if naming and vault is not None:
        taken = {r.key for r in rows}
        first_of_case: set[str] = set()
        for row in naming:
            prefix, notice, platform = _split(row.key)
            member = _MEMBER.match(notice)
            if member and not prefix and f'{member[1]}{platform}' not in first_of_case:
                # The case's escalation to its members, under the key the sweep writes now.
                first_of_case.add(f'{member[1]}{platform}')
                new = f'unacked:{member[1]}:members{platform}'
            elif member:
                new = f'{prefix}unacked:{member[1]}:{vault.tag(_KEY_TAG, notice)}{platform}'
            else:
                kind = notice.partition(':')[0]
                new = f'{prefix}{kind}:{vault.tag(_KEY_TAG, notice)}{platform}'
            if new in taken:
                continue  # cannot happen for keys written by Candor; never two rows one key
            taken.discard(row.key)
            taken.add(new)
            connection.execute(_OUTBOX.update().where(_OUTBOX.c.id == row.id).values(key=new))
        sealed['outbox_keys'] = len(naming)
    connection.execute(_OUTBOX.update().where(_OUTBOX.c.kind == 'dm')
                       .values(platform_channel=None, platform_message_id=None))
    if sealed:  # counted on the audit log; and SQLite's file is checkpointed, the old values zeroed
        op.get_context().config.attributes.setdefault('sealed', {}).update(sealed)  # type: ignore[union-attr]


def downgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table('determination', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_determination_subject_id_person', 'person', ['subject_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_determination_subject_id'), ['subject_id'], unique=False)
    rows = connection.execute(sa.select(_DETERMINATION.c.id, _DETERMINATION.c.body)).all()
    vault = _vault() if rows else None
    for row in rows:
        data_key = _data_key(connection, vault, row.id) if vault is not None else None
        if data_key is None:
            continue
        document = json.loads(open_bytes(data_key, row.body, kind=_DETERMINATION_KIND, record_id=row.id))
        connection.execute(_DETERMINATION.update().where(_DETERMINATION.c.id == row.id)
                           .values(subject_id=document.get('subject_id')))
