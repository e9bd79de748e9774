"""a contact chain per person: channels and their delays in an escalation (issue 20 §3)

Revision ID: 0034_contact_methods
Revises: 0033_shift_changes
Create Date: 2026-12-03 06:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0034_contact_methods'
down_revision = '0033_shift_changes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contact_methods',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('delay_minutes', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.CheckConstraint("channel IN ('sms', 'voice', 'push')", name=op.f('ck_contact_methods_channel')),
        sa.CheckConstraint('delay_minutes >= 0', name=op.f('ck_contact_methods_delay_minutes')),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_contact_methods_person_id_people'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_methods')),
        sa.UniqueConstraint('person_id', 'channel', name=op.f('uq_contact_methods_person_id')),
    )


def downgrade():
    op.drop_table('contact_methods')
