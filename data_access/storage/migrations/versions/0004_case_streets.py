"""the location streets met so far (case_streets), for the street filter, filled from the cases already stored

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_streets',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.execute("INSERT INTO case_streets (name) SELECT DISTINCT street FROM cases WHERE street IS NOT NULL")


def downgrade():
    op.drop_table('case_streets')
