"""Provided or not (METRICS.md §2): per case whether its batch provided each rate's input field, per batch which it
did not, and the response / close denominators in the unit summaries. Existing data had every column: provided.

Revision ID: 0014
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

FIELDS = ('responded_at', 'solved', 'satisfaction', 'closed_at')
SUMMARIES = ('stat_unit_day', 'stat_unit_month', 'stat_district_month')
BASES = ('resp_base', 'close_base')


def upgrade():
    for name in FIELDS:
        op.add_column('cases', sa.Column(f'has_{name}', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('import_batches', sa.Column('not_provided', sa.String(length=64), nullable=False,
                                              server_default=''))
    for table in SUMMARIES:
        for column in BASES:
            op.add_column(table, sa.Column(column, sa.Integer(), nullable=False, server_default='0'))
        # Every case so far had a response and a close column: both denominators are the assessed cases.
        op.execute(f'UPDATE {table} SET resp_base = assessed, close_base = assessed')


def downgrade():
    for table in SUMMARIES:
        for column in BASES:
            op.drop_column(table, column)
    op.drop_column('import_batches', 'not_provided')
    for name in FIELDS:
        op.drop_column('cases', f'has_{name}')
