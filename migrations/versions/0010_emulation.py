"""emulation movement: targets, commendation proposals, remote teams

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 15:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('province_code', sa.String(length=8), nullable=False),
        sa.Column('metric', sa.String(length=20), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("metric IN ('residents_helped', 'venues_registered', 'shift_coverage', 'tasks_on_time')",
                           name=op.f('ck_targets_metric')),
        sa.CheckConstraint('value > 0', name=op.f('ck_targets_value_positive')),
        sa.CheckConstraint('period_end >= period_start', name=op.f('ck_targets_period')),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_targets_team_id_teams'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_targets_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_targets')),
        sa.UniqueConstraint('team_id', 'metric', 'period_start', 'period_end', name='uq_targets_team_metric_period'),
    )
    op.create_index('ix_targets_province_code', 'targets', ['province_code'])
    op.create_index('ix_targets_province_period', 'targets', ['province_code', 'period_start', 'period_end'])
    op.create_table(
        'commendations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('province_code', sa.String(length=8), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=1000), nullable=False),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('proposed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_reason', sa.String(length=1000), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('proposed', 'reviewed', 'approved', 'rejected')",
                           name=op.f('ck_commendations_status')),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_commendations_team_id_teams'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_commendations_person_id_people'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_commendations_proposed_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_commendations_reviewed_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_commendations_decided_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_commendations')),
    )
    op.create_index('ix_commendations_province_code', 'commendations', ['province_code'])
    op.create_index('ix_commendations_status_decided', 'commendations', ['status', 'decided_at'])
    with op.batch_alter_table('teams') as batch:
        batch.add_column(sa.Column('remote', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('teams') as batch:
        batch.drop_column('remote')
    op.drop_table('commendations')
    op.drop_table('targets')
