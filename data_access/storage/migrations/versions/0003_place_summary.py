"""place summary for hotspots (stat_place_day), filled from the cases already stored

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stat_place_day',
    sa.Column('basis', sa.String(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('cat_l1', sa.String(length=64), nullable=False),
    sa.Column('street', sa.String(length=32), nullable=True),
    sa.Column('address_key', sa.String(length=255), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('n', sa.Integer(), nullable=False),
    )
    with op.batch_alter_table('stat_place_day', schema=None) as batch_op:
        batch_op.create_index('ix_stat_place_day', ['basis', 'day', 'unit_id'], unique=False)
        batch_op.create_index('ix_stat_place_address', ['basis', 'address_key', 'day'], unique=False)
    # An existing database gets its place summary from the cases it already holds (from then on the write path
    # keeps it current). Plain SQL, frozen here, so that later changes to the code cannot change this step.
    for basis, day in (('r', 'received_day'), ('c', 'basis_cb_day')):
        op.execute(
            "INSERT INTO stat_place_day (basis, day, unit_id, cat_l1, street, address_key, address, lat, lon, n) "
            f"SELECT '{basis}', {day}, unit_id, cat_l1, street, address_key, address, lat, lon, COUNT(*) "
            "FROM cases WHERE address_key IS NOT NULL OR lat IS NOT NULL "
            f"GROUP BY {day}, unit_id, cat_l1, street, address_key, address, lat, lon")


def downgrade():
    with op.batch_alter_table('stat_place_day', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_place_address')
        batch_op.drop_index('ix_stat_place_day')
    op.drop_table('stat_place_day')
