"""the recovery escrow

The committee's recovery key (its public half) and the keyring sealed to it, so that a threshold
of the committee's SLIP-39 shares recovers a lost key file from the database alone.

Revision ID: 0004
Revises: 0006
Create Date: 2026-12-01 12:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
