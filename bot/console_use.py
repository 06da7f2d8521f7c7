"""Whether `candor console` may act on a database, and the marker that says the console made it.

The console acts as anyone the person at the terminal names (`/as EMAIL`), and the audit log
records the person acted as. On a database the console made for itself (a development one) that
is its point; on a production database it would let whoever runs it act as any officer or member,
and the audit log would blame them. So the console leaves a marker in a database it creates (one
audit event, `console.created`), and refuses any other database (and any PostgreSQL one) unless
its operator says `--allow-production`; then every event it audits names that operator (the OS
user and host) beside the actor (`Core.operator`).

Lives here: `CREATED`, `mark_created`, `created_by_console`. Each opens its own unit of work, as
the administrator's use cases do. May touch: the audit log (one event written, one read).
"""

from __future__ import annotations

from sqlmodel import select

from bot.core import Core
from storage.db import Database
from storage.models import AuditEvent
from storage.vocabulary import AuditAction, RecordKind

CREATED = AuditAction.CONSOLE_CREATED


def mark_created(db: Database, core: Core) -> None:
    """Record that the console made this database (it found no schema and laid it)."""
    with db.write() as session:
        core.audit_event(session, actor="console", action=CREATED, record_kind=RecordKind.DATABASE,
                         record_id="console")


def created_by_console(db: Database) -> bool:
    """True when the console made this database (its marker is in the audit log)."""
    with db.read() as session:
        return session.exec(select(AuditEvent.seq).where(AuditEvent.action == CREATED)
                            .limit(1)).first() is not None
