"""blocked notices and delivery outages

A notice that a platform refuses until a person fixes something (the bot removed from the
committee channel, a revoked token) is kept and retried (`blocked`); its waiting age counts from
when it first became due (`due_at`, after an anonymous alert's deliberate delay). An outage of a
platform's committee channel is one row, so operators are e-mailed once per outage.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0004'
down_revision = '0003'


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage') as batch:
        batch.add_column(sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('blocked', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE outboxmessage SET due_at = next_attempt_at WHERE state = 'PENDING'")
    op.execute("UPDATE outboxmessage SET due_at = created_at WHERE due_at IS NULL")
    with op.batch_alter_table('outboxmessage') as batch:
        batch.alter_column('due_at', existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)
        batch.create_index(batch.f('ix_outboxmessage_due_at'), ['due_at'], unique=False)
    op.create_table('deliveryoutage',
    sa.Column('platform', sa.Enum('SLACK', 'TEAMS', 'CONSOLE', name='platform', create_type=False), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('emailed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('platform')
    )


def downgrade() -> None:
    op.drop_table('deliveryoutage')
    with op.batch_alter_table('outboxmessage') as batch:
        batch.drop_index(batch.f('ix_outboxmessage_due_at'))
        batch.drop_column('blocked')
        batch.drop_column('due_at')
