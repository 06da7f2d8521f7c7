"""key holders: the master key versions each running server holds

Each `candor serve` reports the versions of the keyring it has loaded, and renews the report
while it runs; `candor keys rotate` and `retire` read these reports, so that nothing is wrapped
under a version a live server cannot open, and no version a live server wraps under is removed.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0007'
down_revision = '0006'


def upgrade() -> None:
    op.create_table('keyholder',
    sa.Column('server', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('process', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('versions', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('wrapping', sa.Integer(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('live_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('server')
    )
    with op.batch_alter_table('keyholder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_keyholder_live_until'), ['live_until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('keyholder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keyholder_live_until'))
    op.drop_table('keyholder')
