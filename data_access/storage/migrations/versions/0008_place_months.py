"""whole-month totals per address and per point (stat_address_month, stat_point_month), from stat_place_day

Revision ID: 0008
Revises: 0007
"""
from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TABLES = {'stat_address_month': ('address_key',), 'stat_point_month': ('lat', 'lon')}
TYPES = {'address_key': sa.String(length=255), 'lat': sa.Double(), 'lon': sa.Double()}


def upgrade():
    for name, keys in TABLES.items():
        op.create_table(name,
            sa.Column('basis', sa.String(length=1), nullable=False),
            sa.Column('day', sa.Date(), nullable=False),
            *[sa.Column(k, TYPES[k], nullable=False) for k in keys],
            sa.Column('n', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('basis', 'day', *keys))
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.create_index(f'ix_{name}_n', ['basis', 'day', 'n'], unique=False)
    # An existing database: each month summed from its day rows (bound dates, no dialect date functions).
    bind = op.get_bind()
    first, last = bind.execute(sa.text("SELECT MIN(day), MAX(day) FROM stat_place_day")).first()
    if first is None:
        return
    month, last = date.fromisoformat(str(first)[:10]).replace(day=1), date.fromisoformat(str(last)[:10])
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        for name, keys in TABLES.items():
            key_list = ', '.join(keys)
            bind.execute(sa.text(
                f"INSERT INTO {name} (basis, day, {key_list}, n) SELECT basis, :month, {key_list}, SUM(n) "
                f"FROM stat_place_day WHERE day >= :month AND day < :following AND {keys[0]} IS NOT NULL "
                f"GROUP BY basis, {key_list}"
            ).bindparams(sa.bindparam('month', month, sa.Date()), sa.bindparam('following', following, sa.Date())))
        month = following


def downgrade():
    for name in reversed(list(TABLES)):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{name}_n')
        op.drop_table(name)
