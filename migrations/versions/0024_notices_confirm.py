"""task notices (messages.purpose 'task_notice'); broadcasts that ask for confirmation
(broadcasts.confirm) and count their reminder rounds (broadcasts.reminded)

Revision ID: 0024_notices_confirm
Revises: 0023_task_comments
Create Date: 2026-12-02 21:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0024_notices_confirm'
down_revision = '0023_task_comments'
branch_labels = None
depends_on = None

OLD = "purpose IN ('reminder', 'escalation', 'handoff', 'broadcast', 'ack_request', 'invitation', 'other')"
NEW = ("purpose IN ('reminder', 'escalation', 'handoff', 'broadcast', 'ack_request', 'invitation', 'task_notice', "
       "'other')")


def _swap(condition: str) -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_constraint(op.f('ck_messages_purpose'), type_='check')
        batch.create_check_constraint('purpose', condition)


def upgrade():
    _swap(NEW)
    with op.batch_alter_table('broadcasts') as batch:
        batch.add_column(sa.Column('confirm', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('reminded', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('broadcasts') as batch:
        batch.drop_column('reminded')
        batch.drop_column('confirm')
    op.execute("DELETE FROM messages WHERE purpose = 'task_notice'")
    _swap(OLD)
