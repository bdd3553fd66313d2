"""saved_mappings (column mappings saved by name in the database), units.street (the unit directory's CSV),
units.created_batch_id (the batch that
created a unit at import, so undoing it removes the unit when nothing else uses it), unit_aliases (the names
and codes of units merged into another, so later imports still find them)

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saved_mappings',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'))
    op.add_column('units', sa.Column('created_batch_id', sa.Integer(), nullable=True))
    op.add_column('units', sa.Column('street', sa.String(length=32), nullable=True))
    op.create_table('unit_aliases',
        sa.Column('alias', sa.String(length=64), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('alias'))


def downgrade():
    op.drop_table('unit_aliases')
    # Plain DROP COLUMN (SQLite ≥ 3.35): a batch copy of `units` would break the cases' foreign keys.
    op.drop_column('units', 'street')
    op.drop_column('units', 'created_batch_id')
    op.drop_table('saved_mappings')
