"""movement criteria "alerts_ack_minutes" (the median time to acknowledge alerts) and "lead_assessed"
(a score given by the level above with evidence: movement_assessments) (issue 22 §1)

Revision ID: 0040_movement_criteria
Revises: 0038_commendation_forms
Create Date: 2026-12-03 17:05:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


revision = '0040_movement_criteria'
down_revision = '0038_commendation_forms'
branch_labels = None
depends_on = None

OLD_CRITERIA = ("metric IN ('residents_helped', 'venues_registered', 'shift_coverage', 'tasks_on_time', "
                "'alerts_acknowledged', 'practices_applied')")
NEW_CRITERIA = ("metric IN ('residents_helped', 'venues_registered', 'shift_coverage', 'tasks_on_time', "
                "'alerts_acknowledged', 'practices_applied', 'alerts_ack_minutes', 'lead_assessed')")


def _criteria(condition: str) -> None:
    with op.batch_alter_table('movement_criteria') as batch:
        batch.drop_constraint(op.f('ck_movement_criteria_metric'), type_='check')
        batch.create_check_constraint('metric', condition)


def upgrade():
    _criteria(NEW_CRITERIA)
    op.create_table('movement_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('movement_team_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('evidence_url', sa.String(length=500), nullable=False),
    sa.Column('assessed_by_id', sa.Integer(), nullable=True),
    sa.Column('assessed_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score >= 0 AND score <= 100', name=op.f('ck_movement_assessments_score')),
    sa.ForeignKeyConstraint(['assessed_by_id'], ['users.id'], name=op.f('fk_movement_assessments_assessed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['criterion_id'], ['movement_criteria.id'], name=op.f('fk_movement_assessments_criterion_id_movement_criteria'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['movement_team_id'], ['movement_teams.id'], name=op.f('fk_movement_assessments_movement_team_id_movement_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movement_assessments')),
    sa.UniqueConstraint('movement_team_id', 'criterion_id', name='uq_movement_assessments_team_criterion')
    )
    with op.batch_alter_table('movement_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_movement_assessments_criterion_id'), ['criterion_id'], unique=False)


def downgrade():
    op.drop_table('movement_assessments')
    op.execute("DELETE FROM movement_criteria WHERE metric IN ('alerts_ack_minutes', 'lead_assessed')")
    _criteria(OLD_CRITERIA)
