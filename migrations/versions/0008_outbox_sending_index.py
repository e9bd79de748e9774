"""index the rows being sent, so a dispatcher's claim never scans the whole outbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 11:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_messages_sending', 'messages', ['updated_at'], postgresql_where=sa.text("status = 'sending'"),
                    sqlite_where=sa.text("status = 'sending'"))


def downgrade():
    op.drop_index('ix_messages_sending', table_name='messages')
