"""H3 cells stored with the points (data_access.ingest.h3_cells): cases, stat_place_day and stat_point_month get h3_cell

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

from data_access.ingest.h3_cells import stored_cell

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = ('cases', 'stat_place_day', 'stat_point_month')
CHUNK = 10_000


def upgrade():
    for name in TABLES:
        op.add_column(name, sa.Column('h3_cell', sa.BigInteger()))
    # An existing database: each distinct point's cell once, in a helper table, then one joined UPDATE per table.
    # The month point totals hold every geocoded case's point (migration 0008), in far fewer rows than the cases.
    conn = op.get_bind()
    points = op.create_table('h3_points_tmp', sa.Column('lat', sa.Double(), nullable=False),
                             sa.Column('lon', sa.Double(), nullable=False), sa.Column('h3_cell', sa.BigInteger()),
                             sa.PrimaryKeyConstraint('lat', 'lon'))
    found = conn.execute(sa.text('SELECT DISTINCT lat, lon FROM stat_point_month WHERE lon IS NOT NULL'))
    rows = [{'lat': lat, 'lon': lon, 'h3_cell': stored_cell(lat, lon)} for lat, lon in found]
    for start in range(0, len(rows), CHUNK):
        conn.execute(points.insert(), rows[start:start + CHUNK])
    for name in TABLES:
        op.execute(_joined_update(conn.dialect.name, name))
    op.drop_table('h3_points_tmp')
    op.create_index('ix_stat_place_cell', 'stat_place_day', ['basis', 'h3_cell', 'day'])
    op.create_index('ix_stat_point_month_cell', 'stat_point_month', ['basis', 'day', 'h3_cell'])


def _joined_update(dialect: str, name: str) -> str:
    same_point = f'p.lat = {name}.lat AND p.lon = {name}.lon'
    if dialect in ('mysql', 'mariadb'):
        return f'UPDATE {name} JOIN h3_points_tmp p ON {same_point} SET {name}.h3_cell = p.h3_cell'
    return f'UPDATE {name} SET h3_cell = p.h3_cell FROM h3_points_tmp p WHERE {same_point}'


def downgrade():
    op.drop_index('ix_stat_point_month_cell', 'stat_point_month')
    op.drop_index('ix_stat_place_cell', 'stat_place_day')
    for name in reversed(TABLES):
        op.drop_column(name, 'h3_cell')
