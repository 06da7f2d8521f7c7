"""notes on a case and its lead

`casenote` holds the notes members (and designees) add to a case: who wrote it and when, plain;
the text and whether it is a recommendation, sealed. `report.lead_id` is the member who leads the
case (plain, as `acknowledged_by` is: it names a member, never a reporter).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0015'
down_revision = '0013'


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
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_report_lead_id_person', 'person', ['lead_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_constraint('fk_report_lead_id_person', type_='foreignkey')
        batch_op.drop_column('lead_id')
    with op.batch_alter_table('casenote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_casenote_report_id'))
    op.drop_table('casenote')
