"""messages still "sent" (no final receipt yet), longest-unasked first: the reconcile job's queue;
a kept receipt remembers the message its callback URL named (early_receipts.message_id)

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
    with op.batch_alter_table('early_receipts') as batch:
        batch.add_column(sa.Column('message_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('early_receipts') as batch:
        batch.drop_column('message_id')
    op.drop_index('ix_messages_awaiting_receipt', table_name='messages')
