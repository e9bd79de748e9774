"""task_comments: a conversation on every task (issue 18 §4), each message with an optional photo
(a re-encoded JPEG under TASK_PHOTO_DIR) and the client_uuid of a phone's queue

Revision ID: 0023_task_comments
Revises: 0022_campaigns
Create Date: 2026-12-02 21:10:00

"""
from alembic import op
import sqlalchemy as sa

import models.base

revision = '0023_task_comments'
down_revision = '0022_campaigns'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'task_comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.String(length=2000), nullable=True),
        sa.Column('photo', sa.String(length=64), nullable=True),
        sa.Column('photo_width', sa.Integer(), nullable=True),
        sa.Column('photo_height', sa.Integer(), nullable=True),
        sa.Column('client_uuid', sa.String(length=36), nullable=True),
        sa.CheckConstraint('body IS NOT NULL OR photo IS NOT NULL', name=op.f('ck_task_comments_body_or_photo')),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_comments_task_id_tasks'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_task_comments_user_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_task_comments_person_id_people'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_task_comments')),
        sa.UniqueConstraint('client_uuid', name=op.f('uq_task_comments_client_uuid')),
    )
    op.create_index('ix_task_comments_task_at', 'task_comments', ['task_id', 'at', 'id'])


def downgrade():
    op.drop_index('ix_task_comments_task_at', table_name='task_comments')
    op.drop_table('task_comments')
