"""campaigns: a bulk assignment to more than one commune team is a campaign (đợt/chiến dịch) with
its own page; its tasks are those sharing its batch; one campaign is backfilled per existing batch
of more than one task

Revision ID: 0022_campaigns
Revises: 0021_work_kinds
Create Date: 2026-12-02 21:00:00

"""
from alembic import op
import sqlalchemy as sa

from coordination.tasks.campaigns import BACKFILL_SQL

revision = '0022_campaigns'
down_revision = '0021_work_kinds'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch', sa.String(length=36), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('province_code', sa.String(length=8), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('target_unit', sa.String(length=60), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['kind'], ['work_kinds.code'], name=op.f('fk_campaigns_kind_work_kinds'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['province_code'], ['admin_units.code'],
                                name=op.f('fk_campaigns_province_code_admin_units'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
        sa.UniqueConstraint('batch', name=op.f('uq_campaigns_batch')),
    )
    op.create_index(op.f('ix_campaigns_province_code'), 'campaigns', ['province_code'])
    op.execute(BACKFILL_SQL)  # old batches read as campaigns


def downgrade():
    op.drop_index(op.f('ix_campaigns_province_code'), table_name='campaigns')
    op.drop_table('campaigns')
