"""messages may be handoff digests

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 11:00:00

"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OLD = "purpose IN ('reminder', 'escalation', 'broadcast', 'ack_request', 'invitation', 'other')"
NEW = "purpose IN ('reminder', 'escalation', 'handoff', 'broadcast', 'ack_request', 'invitation', 'other')"


def _swap(condition: str) -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_constraint(op.f('ck_messages_purpose'), type_='check')
        batch.create_check_constraint('purpose', condition)


def upgrade():
    _swap(NEW)


def downgrade():
    op.execute("DELETE FROM messages WHERE purpose = 'handoff'")
    _swap(OLD)
