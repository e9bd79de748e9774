"""Web Push subscriptions of the duty app, one per device (issue 20 §2)

Revision ID: 0032_push_subscriptions
Revises: 0031_calendar_feeds
Create Date: 2026-12-03 05:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0032_push_subscriptions'
down_revision = '0031_calendar_feeds'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'push_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('endpoint', sa.String(length=1000), nullable=False),
        sa.Column('p256dh', sa.String(length=100), nullable=False),
        sa.Column('auth', sa.String(length=40), nullable=False),
        sa.Column('user_agent', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_push_subscriptions_person_id_people'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
        sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint')),
    )
    op.create_index(op.f('ix_push_subscriptions_person_id'), 'push_subscriptions', ['person_id'], unique=False)


def downgrade():
    op.drop_table('push_subscriptions')
