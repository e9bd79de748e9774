"""messages.channel: the outbox carries SMS, voice calls and (later) push notifications
(issue 20 §1)

Revision ID: 0027_message_channels
Revises: 0025_rota_patterns
Create Date: 2026-12-03 05:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0027_message_channels'
down_revision = '0025_rota_patterns'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=8), server_default='sms', nullable=False))
        batch.create_check_constraint('channel', "channel IN ('sms', 'voice', 'push')")


def downgrade():
    op.execute("DELETE FROM messages WHERE channel <> 'sms'")
    with op.batch_alter_table('messages') as batch:
        batch.drop_constraint(op.f('ck_messages_channel'), type_='check')
        batch.drop_column('channel')
