"""form receipts and status-guess counters

A report's receipt is kept sealed for a few minutes under its form's one-time token (shown again
when the first acknowledgement was lost), and failed case-status checks are counted per person
and per case code typed, by window, to limit guessing.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0006'
down_revision = '0005'


def upgrade() -> None:
    op.create_table('formreceipt',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_formreceipt_created_at'), 'formreceipt', ['created_at'], unique=False)
    op.create_table('guesscount',
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('subject', 'slot')
    )


def downgrade() -> None:
    op.drop_table('guesscount')
    op.drop_index(op.f('ix_formreceipt_created_at'), table_name='formreceipt')
    op.drop_table('formreceipt')
