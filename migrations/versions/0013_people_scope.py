"""invitations.purpose: 'invite' sets a first password only, 'reset' replaces an existing one

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 22:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations') as batch:
        batch.add_column(sa.Column('purpose', sa.String(length=16), nullable=False, server_default='invite'))


def downgrade():
    with op.batch_alter_table('invitations') as batch:
        batch.drop_column('purpose')
