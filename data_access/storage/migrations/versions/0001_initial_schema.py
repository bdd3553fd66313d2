"""initial schema

Revision ID: 0001
Revises: 
"""
from alembic import op
import sqlalchemy as sa

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('app_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('n_rows', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('categories',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cat_l1', sa.String(length=64), nullable=False),
    sa.Column('cat_l2', sa.String(length=64), nullable=False),
    sa.Column('cat_l3', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cat_l1', 'cat_l2', 'cat_l3', name='uq_categories_path')
    )
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('mapping', sa.String(length=64), nullable=False),
    sa.Column('crs', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('n_rows', sa.Integer(), nullable=False),
    sa.Column('n_new', sa.Integer(), nullable=False),
    sa.Column('n_updated', sa.Integer(), nullable=False),
    sa.Column('n_unchanged', sa.Integer(), nullable=False),
    sa.Column('n_rejected', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batches_checksum'), ['checksum'], unique=False)

    op.create_table('stat_unit_day',
    sa.Column('basis', sa.String(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('volume', sa.Integer(), nullable=False),
    sa.Column('assessed', sa.Integer(), nullable=False),
    sa.Column('solved_full', sa.Integer(), nullable=False),
    sa.Column('solved_part', sa.Integer(), nullable=False),
    sa.Column('solved_none', sa.Integer(), nullable=False),
    sa.Column('sat_full', sa.Integer(), nullable=False),
    sa.Column('sat_basic', sa.Integer(), nullable=False),
    sa.Column('sat_none', sa.Integer(), nullable=False),
    sa.Column('fdy_den', sa.Integer(), nullable=False),
    sa.Column('fdy_num', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('basis', 'day', 'unit_id')
    )
    with op.batch_alter_table('stat_unit_day', schema=None) as batch_op:
        batch_op.create_index('ix_stat_unit_day_unit', ['unit_id', 'basis', 'day'], unique=False)

    op.create_table('stat_unit_day_close',
    sa.Column('basis', sa.String(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('deadline_class', sa.String(length=8), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('basis', 'day', 'unit_id', 'deadline_class', 'hours')
    )
    op.create_table('stat_unit_day_resp',
    sa.Column('basis', sa.String(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.String(length=8), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('basis', 'day', 'unit_id', 'urgency', 'hours')
    )
    op.create_table('units',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('unit_type', sa.String(length=16), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('name')
    )
    op.create_table('batch_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('previous', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('batch_changes', schema=None) as batch_op:
        batch_op.create_index('ix_batch_changes_batch', ['batch_id'], unique=False)
        batch_op.create_index('ix_batch_changes_case', ['case_no'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('received_day', sa.Date(), nullable=False),
    sa.Column('basis_cb_day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('dispatch_mode', sa.String(length=8), nullable=True),
    sa.Column('request_type', sa.String(length=8), nullable=True),
    sa.Column('cat_l1', sa.String(length=64), nullable=False),
    sa.Column('cat_l2', sa.String(length=64), nullable=True),
    sa.Column('cat_l3', sa.String(length=64), nullable=True),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('address_key', sa.String(length=255), nullable=True),
    sa.Column('street', sa.String(length=32), nullable=True),
    sa.Column('community', sa.String(length=64), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('urgency', sa.String(length=8), nullable=True),
    sa.Column('deadline_class', sa.String(length=8), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(), nullable=True),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('callback_at', sa.DateTime(), nullable=True),
    sa.Column('response_hours', sa.Integer(), nullable=True),
    sa.Column('close_hours', sa.Integer(), nullable=True),
    sa.Column('solved', sa.String(length=8), nullable=True),
    sa.Column('satisfaction', sa.String(length=8), nullable=True),
    sa.Column('dispatch_count', sa.Integer(), nullable=False),
    sa.Column('excluded', sa.Boolean(), nullable=False),
    sa.Column('exclusion_reason', sa.String(length=255), nullable=True),
    sa.Column('caller_key', sa.String(length=64), nullable=True),
    sa.Column('caller_masked', sa.String(length=20), nullable=True),
    sa.Column('tags', sa.String(length=255), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_no')
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_address', ['address_key', 'received_day'], unique=False)
        batch_op.create_index('ix_cases_batch', ['batch_id'], unique=False)
        batch_op.create_index('ix_cases_caller', ['caller_key', 'received_at'], unique=False)
        batch_op.create_index('ix_cases_cbday_unit', ['basis_cb_day', 'unit_id'], unique=False)
        batch_op.create_index('ix_cases_day_cat', ['received_day', 'cat_l1'], unique=False)
        batch_op.create_index('ix_cases_street_day', ['street', 'received_day'], unique=False)
        batch_op.create_index('ix_cases_unit_day', ['unit_id', 'received_day'], unique=False)

    op.create_table('rejected_rows',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rejected_rows', schema=None) as batch_op:
        batch_op.create_index('ix_rejected_batch', ['batch_id'], unique=False)

    op.create_table('score_adjustments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=24), nullable=False),
    sa.Column('points', sa.Double(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('score_adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_adjustments_period', ['period', 'unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('score_adjustments', schema=None) as batch_op:
        batch_op.drop_index('ix_adjustments_period')

    op.drop_table('score_adjustments')
    with op.batch_alter_table('rejected_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_rejected_batch')

    op.drop_table('rejected_rows')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_unit_day')
        batch_op.drop_index('ix_cases_street_day')
        batch_op.drop_index('ix_cases_day_cat')
        batch_op.drop_index('ix_cases_cbday_unit')
        batch_op.drop_index('ix_cases_caller')
        batch_op.drop_index('ix_cases_batch')
        batch_op.drop_index('ix_cases_address')

    op.drop_table('cases')
    with op.batch_alter_table('batch_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_batch_changes_case')
        batch_op.drop_index('ix_batch_changes_batch')

    op.drop_table('batch_changes')
    op.drop_table('units')
    op.drop_table('stat_unit_day_resp')
    op.drop_table('stat_unit_day_close')
    with op.batch_alter_table('stat_unit_day', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_unit_day_unit')

    op.drop_table('stat_unit_day')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batches_checksum'))

    op.drop_table('import_batches')
    op.drop_table('categories')
    op.drop_table('audit_log')
    op.drop_table('app_settings')
