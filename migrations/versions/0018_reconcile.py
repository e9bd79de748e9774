"""messages still "sent" (no final receipt yet), longest-unasked first: the reconcile job's queue

Revision ID: 0018_reconcile
Revises: 0017
Create Date: 2026-12-02 07:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0018_reconcile'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    where = sa.text("status = 'sent'")
    op.create_index('ix_messages_awaiting_receipt', 'messages', ['updated_at', 'id'], postgresql_where=where,
                    sqlite_where=where)


def downgrade():
    op.drop_index('ix_messages_awaiting_receipt', table_name='messages')
