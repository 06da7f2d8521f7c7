"""indexes for the sweep (issue 25)

The sweep reads only the rows a rule can find due (`bot.schedule.horizons`): officers by their
due date on record, open cases not yet acknowledged or without feedback by their receipt, closed
cases by when they closed (retention). Each read is a range on one of these indexes, so a sweep
costs what is due, not the size of the roster or of the case history. Indexes only: no row
changes, nothing sealed is touched.
"""
from alembic import op


revision = '0020'
down_revision = '0019'

INDEXES = (
    ('ix_person_kind_attestation_due', 'person', ['kind', 'attestation_due']),
    ('ix_report_acknowledged_at_received_at', 'report', ['acknowledged_at', 'received_at']),
    ('ix_report_last_feedback_at_received_at', 'report', ['last_feedback_at', 'received_at']),
    ('ix_report_closed_at', 'report', ['closed_at']),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
