"""unit_targets: a unit's target 解决率 and 满意率 for a month beside its 综合成绩; each may be left to the rules

Revision ID: 0022
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    # unit_targets is referenced by no foreign key: SQLite's batch copy of it is safe.
    with op.batch_alter_table('unit_targets') as batch:
        batch.alter_column('score', existing_type=sa.Double(), nullable=True)
        batch.add_column(sa.Column('resolution', sa.Double(), nullable=True))
        batch.add_column(sa.Column('satisfaction', sa.Double(), nullable=True))


def downgrade():
    # Rows with rate targets only have no score to keep.
    op.execute(sa.text("DELETE FROM unit_targets WHERE score IS NULL"))
    with op.batch_alter_table('unit_targets') as batch:
        batch.drop_column('satisfaction')
        batch.drop_column('resolution')
        batch.alter_column('score', existing_type=sa.Double(), nullable=False)
