"""Count columns of the unit summaries default to 0: schema.py generates them from data_access.storage.measures.COUNTS
(one declaration per base count), each with the same default, so that a count added later is one line there plus
its migration.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

SUMMARIES = ('stat_unit_day', 'stat_unit_month', 'stat_district_month')
COUNTS = ('volume', 'assessed', 'solved_full', 'solved_part', 'solved_none', 'sat_full', 'sat_basic', 'sat_none',
          'fdy_den', 'fdy_num')  # resp_base and close_base have had it since 0014


def _set_default(default):
    # Batch mode: SQLite cannot alter a column's default in place (it copies the table; nothing references these).
    for table in SUMMARIES:
        with op.batch_alter_table(table) as batch:
            for column in COUNTS:
                batch.alter_column(column, existing_type=sa.Integer(), existing_nullable=False,
                                   server_default=default)


def upgrade():
    _set_default('0')


def downgrade():
    _set_default(None)
