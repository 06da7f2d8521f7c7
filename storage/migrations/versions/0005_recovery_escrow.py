"""the recovery escrow

The committee's recovery key (its public half) and the keyring sealed to it, so that a threshold
of the committee's SLIP-39 shares recovers a lost key file from the database alone.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0005'
down_revision = '0004'


def upgrade() -> None:
    op.create_table('recoverykey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sealed_keyring', sa.LargeBinary(), nullable=True),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('versions', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('shares', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('passphrase', sa.Boolean(), nullable=False),
    sa.Column('split_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('sealed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('reseals', sa.Integer(), nullable=False),
    sa.Column('replaced_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('recoverykey')
