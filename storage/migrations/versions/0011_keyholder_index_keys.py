"""keyholders report their index keys: an index-key rotation waits on every live server

Each running server's report names (by fingerprint, an HMAC under the key) the index keys it
holds, the one it tags under first, so `candor keys rotate --index-key` tags nothing under a new
index key before every live server looks rows up under it, and re-tags nothing before every one
tags under it.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0011'
down_revision = '0010'


def upgrade() -> None:
    with op.batch_alter_table('keyholder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('index_keys', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('keyholder', schema=None) as batch_op:
        batch_op.drop_column('index_keys')
