"""task_updates.flagged: a progress report far above what remains to the target, stored because its
reporter confirmed it (or because it came from a phone's queue), waits for a lead to check or correct it

Revision ID: 0020_task_corrections
Revises: 0019_memberships_active
Create Date: 2026-12-02 19:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0020_task_corrections'
down_revision = '0019_memberships_active'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task_updates') as batch:
        batch.add_column(sa.Column('flagged', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('task_updates') as batch:
        batch.drop_column('flagged')
