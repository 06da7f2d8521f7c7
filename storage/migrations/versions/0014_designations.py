"""designations: the people the committee may designate, and who is designated on which case

The roster gains a kind of person (`designee`) with their organisation or role (`affiliation`,
plain: the company directory). `designation` records who the committee designated on a case,
with what scope and until when; why is sealed. `live` is unique while a designation holds, so
two members designating the same person at once make one designation.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0014'
down_revision = '0013'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # A native enum on PostgreSQL; nothing in this migration uses the new value.
        op.execute(sa.text("ALTER TYPE personkind ADD VALUE IF NOT EXISTS 'DESIGNEE'"))
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('affiliation', sqlmodel.sql.sqltypes.AutoString(),
                                   nullable=True))
    op.create_table('designation',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('report_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('ended_by', sa.Integer(), nullable=True),
    sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('live', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['ended_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('live')
    )
    op.create_index(op.f('ix_designation_person_id'), 'designation', ['person_id'], unique=False)
    op.create_index(op.f('ix_designation_report_id'), 'designation', ['report_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_designation_report_id'), table_name='designation')
    op.drop_index(op.f('ix_designation_person_id'), table_name='designation')
    op.drop_table('designation')
    with op.batch_alter_table('person') as batch:
        batch.drop_column('affiliation')
    # PostgreSQL cannot drop an enum value; a 'DESIGNEE' left in the type is harmless.
