"""index the queue in the order dispatchers take it (urgent first, then due time), so a claim reads
its 50 rows off the index instead of sorting every due row

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 17:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

QUEUED = sa.text("status = 'queued'")


def upgrade():
    op.drop_index('ix_messages_due', table_name='messages')
    op.create_index('ix_messages_due', 'messages', [sa.text('urgent DESC'), 'next_attempt_at', 'id'],
                    postgresql_where=QUEUED, sqlite_where=QUEUED)


def downgrade():
    op.drop_index('ix_messages_due', table_name='messages')
    op.create_index('ix_messages_due', 'messages', ['next_attempt_at'], postgresql_where=QUEUED, sqlite_where=QUEUED)
