"""outbox rows in doubt

A notice whose delivery may have reached the platform without Candor recording it (its relay
died mid-delivery, or the platform answered ambiguously) stays in doubt until it is delivered,
so that every later try first looks for the earlier post.
"""
import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage') as batch:
        batch.add_column(sa.Column('in_doubt', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('outboxmessage') as batch:
        batch.drop_column('in_doubt')
