"""secret calendar feeds of shifts, personal and per team (issue 20 §4)

Revision ID: 0031_calendar_feeds
Revises: 0030_heartbeats
Create Date: 2026-12-03 05:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0031_calendar_feeds'
down_revision = '0030_heartbeats'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_feeds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('salt', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_calendar_feeds_person_id_people'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_calendar_feeds_team_id_teams'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash')),
    )
    op.create_index('ix_calendar_feeds_person_team', 'calendar_feeds', ['person_id', 'team_id'], unique=False)


def downgrade():
    op.drop_index('ix_calendar_feeds_person_team', table_name='calendar_feeds')
    op.drop_table('calendar_feeds')
