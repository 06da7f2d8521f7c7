"""notes on a case and its lead

`casenote` holds the notes members (and designees) add to a case: who wrote it and when, plain;
the text and whether it is a recommendation, sealed. `caselead` names the member who leads a case
(plain, as `report.acknowledged_by` is: it names a member, never a reporter). Both are new tables:
nothing already there is rewritten.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0015'
down_revision = '0014'


def upgrade() -> None:
    op.create_table('casenote',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('report_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('casenote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_casenote_report_id'), ['report_id'], unique=False)
    op.create_table('caselead',
    sa.Column('report_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('report_id')
    )
    with op.batch_alter_table('caselead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_caselead_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('caselead', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_caselead_person_id'))
    op.drop_table('caselead')
    with op.batch_alter_table('casenote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_casenote_report_id'))
    op.drop_table('casenote')
