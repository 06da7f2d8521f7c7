"""outbox names no one: no person's id in a plain key, no person's chat beside a delivered notice

Before this revision an outbox row's plain `key` named people (`attest-remind:<person id>:...`,
`unacked:<report id>:member:<person id>`, one row per member not kept away from the case, so the
row missing named who was), and a delivered direct message kept the person's chat (a Slack DM id,
a Teams chat id) and the post's id in `platform_channel` and `platform_message_id`. Here:

- a key naming a person is rewritten as `bot.outbox.private_key` writes it now (its kind, then a
  keyed tag of the rest, under the keyring's index key), and so is a failure notice's key about it;
- an escalation's rows to members become one row per case and platform, `unacked:<case>:members`
  (what the sweep writes now, so the escalation is not sent again); the other members' rows of
  the case are kept (a pending one is still delivered) under a keyed tag that names no one;
- a direct message's chat and post id are cleared (nothing edits a direct message).

Tags need the keyring, which the caller hands in (`storage.migrate.upgrade(keyring=...)`, as
`candor db upgrade` loads it); it is asked for only when a key names a person. Going down changes
nothing back: a keyed tag cannot be undone, the older code reads the keys as opaque and unique,
and a cleared chat id was never read again.
"""
import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from storage.crypto import Vault
from storage.keyring import Keyring, KeyringError

revision = '0012'
down_revision = '0009'

_OUTBOX = sa.table('outboxmessage', sa.column('id', sa.String), sa.column('key', sa.String),
                   sa.column('kind', sa.String), sa.column('created_at', sa.DateTime),
                   sa.column('platform_channel', sa.String),
                   sa.column('platform_message_id', sa.String))
_FAILURE = 'delivery-failed:'
_KEY_TAG = 'outbox-key'  # as bot.outbox.private_key tags a key
# The keys that named a person, without their platform (`@slack`) or failure prefix.
_PERSONAL = re.compile(r'^(attest-remind|attest-overdue):\d+:')
_MEMBER = re.compile(r'^unacked:([^:]+):member:\d+$')


def _vault() -> Vault:
    attributes = op.get_context().config.attributes  # type: ignore[union-attr]
    provide: Callable[[], Keyring] | None = attributes.get('keyring')
    if provide is None:
        raise KeyringError(
            "the outbox holds keys naming people to replace by keyed tags (schema 0012), which "
            "needs the master key: set CANDOR_KEY_FILE or CANDOR_MASTER_KEY and run "
            "`candor db upgrade`; nothing was changed")
    return Vault(provide())


def _split(key: str) -> tuple[str, str, str]:
    """(failure prefix or "", the notice's key, "@platform" or "")."""
    prefix = _FAILURE if key.startswith(_FAILURE) else ''
    rest = key[len(prefix):]
    notice, at, platform = rest.rpartition('@')
    return (prefix, notice, at + platform) if at else (prefix, rest, '')


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_OUTBOX.c.id, _OUTBOX.c.key, _OUTBOX.c.created_at)
                              .order_by(_OUTBOX.c.created_at, _OUTBOX.c.id)).all()
    naming = [r for r in rows if _PERSONAL.match(_split(r.key)[1]) or _MEMBER.match(_split(r.key)[1])]
    if naming:
        vault = _vault()  # before anything changes
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
        # Counted on the audit log; and SQLite's file is checkpointed, the old keys zeroed.
        op.get_context().config.attributes.setdefault('sealed', {}).update(  # type: ignore[union-attr]
            {"outbox_keys": len(naming)})
    connection.execute(_OUTBOX.update().where(_OUTBOX.c.kind == 'dm')
                       .values(platform_channel=None, platform_message_id=None))


def downgrade() -> None:
    pass
