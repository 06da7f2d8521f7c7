"""evidence files: sealed files in chunks, and their capability links

`evidencefile` holds a file's metadata sealed under its own data key, `evidencechunk` its sealed
pieces, `filelink` the keyed hashes of single-use upload and download links (issue 23).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0017'
down_revision = '0016'


def upgrade() -> None:
    op.create_table('evidencefile',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_evidencefile_owner'), 'evidencefile', ['owner'], unique=False)
    op.create_table('evidencechunk',
    sa.Column('file_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('file_id', 'seq')
    )
    op.create_table('filelink',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_filelink_created_at'), 'filelink', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_filelink_created_at'), table_name='filelink')
    op.drop_table('filelink')
    op.drop_table('evidencechunk')
    op.drop_index(op.f('ix_evidencefile_owner'), table_name='evidencefile')
    op.drop_table('evidencefile')
