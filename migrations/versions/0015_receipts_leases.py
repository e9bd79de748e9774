"""status callbacks that arrive before their message's SID is written (early_receipts); the
outbox's claims become short leases (no schema change: the lease starts at messages.updated_at)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 06:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('early_receipts',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('error_code', sa.String(length=20), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_early_receipts'))
    )


def downgrade():
    op.drop_table('early_receipts')
