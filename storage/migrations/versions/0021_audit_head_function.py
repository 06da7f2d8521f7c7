"""the audit chain's lock and head in one round trip (issue 25), PostgreSQL only

Every audited transaction on PostgreSQL took the chain's advisory lock, then read the chain's
head: two round trips, the second only once the first had returned, because the head must be
read with a snapshot taken after the lock is held (READ COMMITTED takes one per statement).
`candor_audit_head(lock_id)` does both in one call: a VOLATILE PL/pgSQL function takes a fresh
snapshot for each statement it runs, so its read sees every link committed before the lock was
granted. It reads the schema it was made in (its search path is fixed at creation), and Candor
calls it with a `bigint`, its own argument type. Nothing sealed is touched; SQLite (one writer)
has no lock and no function.
"""
from alembic import op


revision = '0021'
down_revision = '0020'


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("""
        CREATE FUNCTION candor_audit_head(lock_id bigint) RETURNS SETOF auditevent
        LANGUAGE plpgsql VOLATILE
        SET search_path FROM CURRENT  -- the chain's own schema, whatever the caller's path
        AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock_id);
            -- a statement of its own: its snapshot is taken once the lock is held
            RETURN QUERY SELECT * FROM auditevent ORDER BY seq DESC LIMIT 1;
        END
        $$
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP FUNCTION candor_audit_head(bigint)")
