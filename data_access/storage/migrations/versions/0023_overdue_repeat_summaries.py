"""overdue and repeat summaries (stat_unit_day_overdue, stat_unit_day_repeat and stat_unit_month_repeat), filled from
the cases already stored: the agenda's 超期 and 重复诉求 counts read them instead of a period of the case table

Revision ID: 0023
Revises: 0022
"""
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

BASES = (('r', 'received_day'), ('c', 'basis_cb_day'))
# Frozen, portable SQL of the summaries' queries (data_access.ingest.summaries) at this revision.
OPEN = 'closed_at IS NULL AND has_closed_at'
OPEN_START = f'CASE WHEN {OPEN} THEN COALESCE(dispatched_at, received_at) END'
OVERDUE_KEYS = f'unit_id, deadline_class, close_hours, {OPEN_START}'
OUTSIDE_HISTOGRAM = 'close_hours IS NOT NULL AND NOT (NOT excluded AND has_closed_at)'


def upgrade():
    op.create_table('stat_unit_day_overdue',
        sa.Column('basis', sa.String(length=1), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('deadline_class', sa.String(length=8), nullable=True),
        sa.Column('close_hours', sa.Integer(), nullable=True),
        sa.Column('open_start', sa.DateTime(), nullable=True),
        sa.Column('n', sa.Integer(), nullable=False))
    with op.batch_alter_table('stat_unit_day_overdue', schema=None) as batch_op:
        batch_op.create_index('ix_stat_unit_day_overdue', ['basis', 'day', 'unit_id'], unique=False)
    for grain in ('day', 'month'):
        op.create_table(f'stat_unit_{grain}_repeat',
            sa.Column('basis', sa.String(length=1), nullable=False),
            sa.Column('day', sa.Date(), nullable=False),
            sa.Column('unit_id', sa.Integer(), nullable=False),
            sa.Column('repeat_gap_days', sa.Integer(), nullable=False),
            sa.Column('n', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('basis', 'day', 'unit_id', 'repeat_gap_days'))
    for basis, day in BASES:
        op.execute(f"INSERT INTO stat_unit_day_overdue (basis, day, unit_id, deadline_class, close_hours, "
                   f"open_start, n) SELECT '{basis}', {day}, {OVERDUE_KEYS}, COUNT(*) FROM cases "
                   f"WHERE ({OUTSIDE_HISTOGRAM}) OR ({OPEN}) GROUP BY {day}, {OVERDUE_KEYS}")
        op.execute(f"INSERT INTO stat_unit_day_repeat (basis, day, unit_id, repeat_gap_days, n) "
                   f"SELECT '{basis}', {day}, unit_id, repeat_gap_days, COUNT(*) FROM cases "
                   f"WHERE repeat_gap_days IS NOT NULL GROUP BY {day}, unit_id, repeat_gap_days")
    _fill_months()


def _fill_months():
    """Each month of stat_unit_month_repeat summed from its days."""
    bind = op.get_bind()
    first, last = bind.execute(sa.text("SELECT MIN(day), MAX(day) FROM stat_unit_day_repeat")).first()
    if first is None:
        return
    month, last = date.fromisoformat(str(first)[:10]).replace(day=1), date.fromisoformat(str(last)[:10])
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        bind.execute(sa.text(
            "INSERT INTO stat_unit_month_repeat (basis, day, unit_id, repeat_gap_days, n) "
            "SELECT basis, :month, unit_id, repeat_gap_days, SUM(n) FROM stat_unit_day_repeat "
            "WHERE day >= :month AND day < :following GROUP BY basis, unit_id, repeat_gap_days"
        ).bindparams(sa.bindparam('month', month, sa.Date()), sa.bindparam('following', following, sa.Date())))
        month = following


def downgrade():
    with op.batch_alter_table('stat_unit_day_overdue', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_unit_day_overdue')
    for table in ('stat_unit_day_overdue', 'stat_unit_day_repeat', 'stat_unit_month_repeat'):
        op.drop_table(table)
