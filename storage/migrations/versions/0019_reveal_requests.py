"""reveal requests and votes (issue 24)

A member's request to show a confidential reporter's name (`revealrequest`: the quorum of the
members allowed on the case, or the reporter's consent; its reason sealed) and each member's
answer to a quorum request (`revealvote`: agree or decline, once; a reason for declining sealed).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0019'
down_revision = '0018'


def upgrade() -> None:
    op.create_table('revealrequest',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('report_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('open_slot', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_slot')
    )
    op.create_index(op.f('ix_revealrequest_report_id'), 'revealrequest', ['report_id'],
                    unique=False)
    op.create_index(op.f('ix_revealrequest_state'), 'revealrequest', ['state'], unique=False)
    op.create_table('revealvote',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('agree', sa.Boolean(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['revealrequest.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id', 'member_id')
    )
    op.create_index(op.f('ix_revealvote_request_id'), 'revealvote', ['request_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_revealvote_request_id'), table_name='revealvote')
    op.drop_table('revealvote')
    op.drop_index(op.f('ix_revealrequest_state'), table_name='revealrequest')
    op.drop_index(op.f('ix_revealrequest_report_id'), table_name='revealrequest')
    op.drop_table('revealrequest')
