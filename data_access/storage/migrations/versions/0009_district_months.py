"""district month totals (stat_district_month, _resp, _close): all units' month counts together

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# district table → (its keys besides basis and day, its count columns), as the unit month tables have them
TABLES = {
    'stat_district_month': ((), ('volume', 'assessed', 'solved_full', 'solved_part', 'solved_none', 'sat_full',
                                 'sat_basic', 'sat_none', 'fdy_den', 'fdy_num')),
    'stat_district_month_resp': (('urgency', 'hours'), ('n',)),
    'stat_district_month_close': (('deadline_class', 'hours'), ('n',)),
}
KEY_TYPES = {'urgency': sa.String(length=8), 'deadline_class': sa.String(length=8), 'hours': sa.Integer()}


def upgrade():
    for name, (keys, counts) in TABLES.items():
        op.create_table(name,
            sa.Column('basis', sa.String(length=1), nullable=False),
            sa.Column('day', sa.Date(), nullable=False),
            *[sa.Column(k, KEY_TYPES[k], nullable=False) for k in keys],
            *[sa.Column(c, sa.Integer(), nullable=False) for c in counts],
            sa.PrimaryKeyConstraint('basis', 'day', *keys))
        # An existing database: the sums of the unit month tables (already one row per month).
        key_list = ''.join(f', {k}' for k in keys)
        op.execute(f"INSERT INTO {name} (basis, day{key_list}, {', '.join(counts)}) "
                   f"SELECT basis, day{key_list}, {', '.join(f'SUM({c})' for c in counts)} "
                   f"FROM {name.replace('_district_', '_unit_')} GROUP BY basis, day{key_list}")


def downgrade():
    for name in reversed(list(TABLES)):
        op.drop_table(name)
