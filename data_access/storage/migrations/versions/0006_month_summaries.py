"""the unit summaries per calendar month (stat_unit_month, _resp, _close), filled from the day summaries

Revision ID: 0006
Revises: 0005
"""
from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# month table → (its key columns besides basis and day, its count columns), as the day tables have them
TABLES = {
    'stat_unit_month': (('unit_id',), ('volume', 'assessed', 'solved_full', 'solved_part', 'solved_none', 'sat_full',
                                       'sat_basic', 'sat_none', 'fdy_den', 'fdy_num')),
    'stat_unit_month_resp': (('unit_id', 'urgency', 'hours'), ('n',)),
    'stat_unit_month_close': (('unit_id', 'deadline_class', 'hours'), ('n',)),
}
KEY_TYPES = {'unit_id': sa.Integer(), 'urgency': sa.String(length=8), 'deadline_class': sa.String(length=8),
             'hours': sa.Integer()}


def upgrade():
    for name, (keys, counts) in TABLES.items():
        op.create_table(name,
            sa.Column('basis', sa.String(length=1), nullable=False),
            sa.Column('day', sa.Date(), nullable=False),
            *[sa.Column(k, KEY_TYPES[k], nullable=False) for k in keys],
            *[sa.Column(c, sa.Integer(), nullable=False) for c in counts],
            sa.PrimaryKeyConstraint('basis', 'day', *keys))
    # An existing database: each month's rows summed from its day rows (bound dates, no dialect date functions).
    bind = op.get_bind()
    first, last = bind.execute(sa.text("SELECT MIN(day), MAX(day) FROM stat_unit_day")).first()
    if first is None:
        return
    month, last = date.fromisoformat(str(first)[:10]).replace(day=1), date.fromisoformat(str(last)[:10])
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        for name, (keys, counts) in TABLES.items():
            key_list = ', '.join(keys)
            bind.execute(sa.text(
                f"INSERT INTO {name} (basis, day, {key_list}, {', '.join(counts)}) "
                f"SELECT basis, :month, {key_list}, {', '.join(f'SUM({c})' for c in counts)} "
                f"FROM {name.replace('_month', '_day')} WHERE day >= :month AND day < :following "
                f"GROUP BY basis, {key_list}").bindparams(sa.bindparam('month', month, sa.Date()),
                                                         sa.bindparam('following', following, sa.Date())))
        month = following


def downgrade():
    for name in reversed(list(TABLES)):
        op.drop_table(name)
