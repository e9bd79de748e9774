"""outbox rows name their person without a foreign key; drop the redundant person index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 11:20:00

"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages') as batch:
        batch.drop_constraint(op.f('fk_messages_person_id_people'), type_='foreignkey')
        batch.drop_index(op.f('ix_messages_person_id'))


def downgrade():
    with op.batch_alter_table('messages') as batch:
        batch.create_index(op.f('ix_messages_person_id'), ['person_id'])
        batch.create_foreign_key(op.f('fk_messages_person_id_people'), 'people', ['person_id'], ['id'],
                                 ondelete='SET NULL')
