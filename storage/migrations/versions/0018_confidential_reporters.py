"""confidential reporters (issue 24)

A confidential report's reporter is sealed in a row of its own (`reporteridentity`), and the
report says only that it is confidential (`report.confidential`).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0018'
down_revision = '0013'


def upgrade() -> None:
    op.create_table('reporteridentity',
    sa.Column('report_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('report_id')
    )
    # Not a batch: recreating `report` on SQLite would trip the foreign keys that point at it.
    op.add_column('report', sa.Column('confidential', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    op.drop_column('report', 'confidential')  # SQLite 3.35+ drops a column in place
    op.drop_table('reporteridentity')
