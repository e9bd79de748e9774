"""check-ins by time (dashboards: last 24 h, per day over 30 days)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:00:00

"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_checkins_occurred_at', 'checkins', ['occurred_at', 'kind'])


def downgrade():
    op.drop_index('ix_checkins_occurred_at', table_name='checkins')
