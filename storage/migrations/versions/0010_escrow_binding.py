"""the recovery escrow bound to the key file

`recoverykey.binding`: an HMAC under a key derived from the keyring's index key over the row's
id, public key, split date and counts (`storage.escrow.binding`), so that writing the database
alone can no longer choose the public key the keyring is sealed to. Rows already there are left
unbound on purpose: binding them here would trust whatever public key the database holds today.
An unbound escrow is refused by every reseal until the committee makes a new split.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0010'
down_revision = '0009'


def upgrade() -> None:
    with op.batch_alter_table('recoverykey') as batch:
        batch.add_column(sa.Column('binding', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('recoverykey') as batch:
        batch.drop_column('binding')
