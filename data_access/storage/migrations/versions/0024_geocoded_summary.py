"""geocoded cases per unit and day (stat_unit_day_geocoded), filled from the place summary: a week's 高频点位 takes
the share of a placeholder point of this total instead of reading every place row of the week

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stat_unit_day_geocoded',
        sa.Column('basis', sa.String(length=1), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('basis', 'day', 'unit_id'))
    # stat_place_day holds every case with a coordinate (its rows are the cases with an address or a point), a
    # row per distinct place: far fewer rows to read than the case table, with the same sums.
    op.execute("INSERT INTO stat_unit_day_geocoded (basis, day, unit_id, n) "
               "SELECT basis, day, unit_id, SUM(n) FROM stat_place_day WHERE lat IS NOT NULL "
               "GROUP BY basis, day, unit_id")


def downgrade():
    op.drop_table('stat_unit_day_geocoded')
