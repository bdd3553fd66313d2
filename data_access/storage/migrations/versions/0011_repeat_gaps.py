"""cases.repeat_gap_days: 重复诉求 as a column (data_access.ingest.repeat_gaps), filled for an existing database

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

from data_access.ingest.repeat_gaps import fill_repeat_gaps

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('cases', sa.Column('repeat_gap_days', sa.Integer()))
    fill_repeat_gaps(op.get_bind())


def downgrade():
    op.drop_column('cases', 'repeat_gap_days')
