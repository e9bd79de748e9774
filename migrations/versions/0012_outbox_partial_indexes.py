"""leave empty values out of the outbox's unique and shift indexes (a broadcast's rows have no
dedupe key, no shift and, until sent, no provider SID) and drop the per-row foreign key check on
messages.broadcast_id: both made a 100,000-recipient broadcast slower

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 18:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _not_null(column):
    where = sa.text(f"{column} IS NOT NULL")
    return dict(postgresql_where=where, sqlite_where=where)


def upgrade():
    with op.batch_alter_table('messages') as batch:
        batch.drop_constraint('uq_messages_provider_sid', type_='unique')
        batch.drop_constraint('uq_messages_dedupe_key', type_='unique')
        batch.drop_index('ix_messages_shift_id')
        batch.drop_constraint('fk_messages_broadcast_id_broadcasts', type_='foreignkey')
    op.create_index('uq_messages_provider_sid', 'messages', ['provider_sid'], unique=True, **_not_null('provider_sid'))
    op.create_index('uq_messages_dedupe_key', 'messages', ['dedupe_key'], unique=True, **_not_null('dedupe_key'))
    op.create_index('ix_messages_shift_id', 'messages', ['shift_id'], **_not_null('shift_id'))


def downgrade():
    for name in ('uq_messages_provider_sid', 'uq_messages_dedupe_key', 'ix_messages_shift_id'):
        op.drop_index(name, table_name='messages')
    with op.batch_alter_table('messages') as batch:
        batch.create_unique_constraint('uq_messages_provider_sid', ['provider_sid'])
        batch.create_unique_constraint('uq_messages_dedupe_key', ['dedupe_key'])
        batch.create_index('ix_messages_shift_id', ['shift_id'])
        batch.create_foreign_key('fk_messages_broadcast_id_broadcasts', 'broadcasts', ['broadcast_id'], ['id'],
                                 ondelete='SET NULL')
