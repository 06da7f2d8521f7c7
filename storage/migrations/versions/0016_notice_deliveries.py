"""the written notice: a notice letter's delivery to its officer

A determination whose action is a written notice produces a letter; a committee member records the
day it was delivered (`noticedelivery`, one per determination). How it was delivered is sealed
and shredded with the case.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0016'
down_revision = '0015'


def upgrade() -> None:
    op.create_table('noticedelivery',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('report_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('determination_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['determination_id'], ['determination.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('determination_id')
    )
    with op.batch_alter_table('noticedelivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_noticedelivery_report_id'), ['report_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('noticedelivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_noticedelivery_report_id'))
    op.drop_table('noticedelivery')
