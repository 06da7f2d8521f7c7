"""outbox rows in doubt

A notice whose delivery may have reached the platform without Candor recording it (its relay
died mid-delivery, or the platform answered ambiguously) stays in doubt until it is delivered,
so that every later try first looks for the earlier post.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 04:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage') as batch:
        batch.add_column(sa.Column('in_doubt', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('outboxmessage') as batch:
        batch.drop_column('in_doubt')
