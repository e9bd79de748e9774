"""progress reports queued on a phone: task_updates.client_uuid, unique, so a resend counts once

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 06:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task_updates') as batch:
        batch.add_column(sa.Column('client_uuid', sa.String(length=36), nullable=True))
        batch.create_unique_constraint(batch.f('uq_task_updates_client_uuid'), ['client_uuid'])


def downgrade():
    with op.batch_alter_table('task_updates') as batch:
        batch.drop_constraint(batch.f('uq_task_updates_client_uuid'), type_='unique')
        batch.drop_column('client_uuid')
