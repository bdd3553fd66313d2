"""unit_targets: a unit's target 综合成绩 for a month, over the rules' targets.score (预警, month-end projection)

Revision ID: 0018
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('unit_targets',
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('score', sa.Double(), nullable=False),
        sa.Column('set_by', sa.String(length=64), nullable=False),
        sa.Column('set_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('unit_id', 'period'))


def downgrade():
    op.drop_table('unit_targets')
