"""category summary (stat_category_day and stat_category_month), filled from the cases already stored

Revision ID: 0007
Revises: 0006
"""
from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

KEYS = 'unit_id, cat_l1, cat_l2, street, tags'


def upgrade():
    for grain in ('day', 'month'):
        op.create_table(f'stat_category_{grain}',
            sa.Column('basis', sa.String(length=1), nullable=False),
            sa.Column('day', sa.Date(), nullable=False),
            sa.Column('unit_id', sa.Integer(), nullable=False),
            sa.Column('cat_l1', sa.String(length=64), nullable=False),
            sa.Column('cat_l2', sa.String(length=64), nullable=True),
            sa.Column('street', sa.String(length=32), nullable=True),
            sa.Column('tags', sa.String(length=255), nullable=True),
            sa.Column('n', sa.Integer(), nullable=False))
        with op.batch_alter_table(f'stat_category_{grain}', schema=None) as batch_op:
            batch_op.create_index(f'ix_stat_category_{grain}', ['basis', 'day', 'unit_id'], unique=False)
    # An existing database: days from the cases, each month summed from its days (frozen, portable SQL).
    for basis, day in (('r', 'received_day'), ('c', 'basis_cb_day')):
        op.execute(f"INSERT INTO stat_category_day (basis, day, {KEYS}, n) "
                   f"SELECT '{basis}', {day}, {KEYS}, COUNT(*) FROM cases GROUP BY {day}, {KEYS}")
    bind = op.get_bind()
    first, last = bind.execute(sa.text("SELECT MIN(day), MAX(day) FROM stat_category_day")).first()
    if first is None:
        return
    month, last = date.fromisoformat(str(first)[:10]).replace(day=1), date.fromisoformat(str(last)[:10])
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        bind.execute(sa.text(
            f"INSERT INTO stat_category_month (basis, day, {KEYS}, n) SELECT basis, :month, {KEYS}, SUM(n) "
            f"FROM stat_category_day WHERE day >= :month AND day < :following GROUP BY basis, {KEYS}"
        ).bindparams(sa.bindparam('month', month, sa.Date()), sa.bindparam('following', following, sa.Date())))
        month = following


def downgrade():
    for grain in ('month', 'day'):
        with op.batch_alter_table(f'stat_category_{grain}', schema=None) as batch_op:
            batch_op.drop_index(f'ix_stat_category_{grain}')
        op.drop_table(f'stat_category_{grain}')
