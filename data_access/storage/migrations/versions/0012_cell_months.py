"""stat_cell_month: each month's totals per stored H3 cell, summed from the month point totals

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stat_cell_month',
        sa.Column('basis', sa.String(length=1), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('h3_cell', sa.BigInteger(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('lat_n', sa.Double(), nullable=False),
        sa.Column('lon_n', sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint('basis', 'day', 'h3_cell'))
    op.execute('INSERT INTO stat_cell_month (basis, day, h3_cell, n, lat_n, lon_n) '
               'SELECT basis, day, h3_cell, SUM(n), SUM(lat * n), SUM(lon * n) FROM stat_point_month '
               'WHERE h3_cell IS NOT NULL GROUP BY basis, day, h3_cell')


def downgrade():
    op.drop_table('stat_cell_month')
