"""process heartbeats (a row per scheduler and dispatcher, for /ops) and failed messages by time
(issue 21 §2)

Revision ID: 0030_heartbeats
Revises: 0027_message_channels
Create Date: 2026-12-03 06:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0030_heartbeats'
down_revision = '0027_message_channels'
branch_labels = None
depends_on = None

FAILED = "status IN ('failed', 'undelivered')"


def upgrade():
    op.create_table(
        'process_heartbeats',
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('instance', sa.String(length=120), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
        sa.Column('detail', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('kind', 'instance', name=op.f('pk_process_heartbeats')),
    )
    op.create_index('ix_messages_failed_updated', 'messages', ['updated_at'],
                    postgresql_where=sa.text(FAILED), sqlite_where=sa.text(FAILED))


def downgrade():
    op.drop_index('ix_messages_failed_updated', table_name='messages')
    op.drop_table('process_heartbeats')
