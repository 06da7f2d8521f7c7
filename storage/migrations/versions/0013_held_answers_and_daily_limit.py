"""held answers and the anonymous daily limit; guess counters by the day

An anonymous reporter's answer is held sealed (`pendinganswer`) and recorded later by the
recorder, like their report. `reportcount` counts one person's anonymous reports per day under a
keyed subject. The guess counters count per day from now on (their slot was an hour's number):
the hourly rows are deleted, a counter of failures that is forgotten within two hours anyway.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0013'
down_revision = '0012'


def upgrade() -> None:
    op.create_table('pendinganswer',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('reportcount',
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('subject')
    )
    op.create_index(op.f('ix_reportcount_day'), 'reportcount', ['day'], unique=False)
    op.execute(sa.text('DELETE FROM guesscount'))


def downgrade() -> None:
    op.execute(sa.text('DELETE FROM guesscount'))
    op.drop_index(op.f('ix_reportcount_day'), table_name='reportcount')
    op.drop_table('reportcount')
    op.drop_table('pendinganswer')
