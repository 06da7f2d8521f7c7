"""pending reports: an anonymous report accepted now, recorded later

An anonymous report's request writes only a sealed pending row (a random id, a keyed tag of its
case code, its day); the recorder run by `candor serve` (and `candor sweep`) records the report at
a random later moment and shreds the row.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0008'
down_revision = '0007'


def upgrade() -> None:
    op.create_table('pendingreport',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('code_tag', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_tag')
    )


def downgrade() -> None:
    op.drop_table('pendingreport')
