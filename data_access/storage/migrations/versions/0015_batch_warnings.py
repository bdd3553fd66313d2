"""import_batches.warnings: the counted leniencies of an import (date-only values, clock skew, text cut to fit, …)

Revision ID: 0015
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batches') as batch:
        batch.add_column(sa.Column('warnings', sa.Text(), nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite ≥ 3.35): a batch copy of import_batches would break the cases' foreign keys.
    op.drop_column('import_batches', 'warnings')
