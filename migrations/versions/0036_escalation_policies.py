"""escalation policies per team, defaulted per province (issue 20 §3)

Revision ID: 0036_escalation_policies
Revises: 0035_movements
Create Date: 2026-12-03 13:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0036_escalation_policies'
down_revision = '0035_movements'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'escalation_policies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('province_code', sa.String(length=8), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('repeats', sa.Integer(), nullable=False),
        sa.Column('steps', sa.Text(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('repeats >= 0 AND repeats <= 5', name=op.f('ck_escalation_policies_repeats')),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_escalation_policies_team_id_teams'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_escalation_policies_updated_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_policies')),
        sa.UniqueConstraint('team_id', name=op.f('uq_escalation_policies_team_id')),
    )
    op.create_index('uq_escalation_policies_province_default', 'escalation_policies', ['province_code'],
                    unique=True, postgresql_where=sa.text('team_id IS NULL'), sqlite_where=sa.text('team_id IS NULL'))


def downgrade():
    op.drop_index('uq_escalation_policies_province_default', table_name='escalation_policies')
    op.drop_table('escalation_policies')
