"""named rota patterns: a week of shifts with who stands them, applied to a range of weeks
(issue 19 §1)

Revision ID: 0025_rota_patterns
Revises: 0024_notices_confirm
Create Date: 2026-12-02 21:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0025_rota_patterns'
down_revision = '0024_notices_confirm'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rota_patterns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('required', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('required BETWEEN 1 AND 50', name=op.f('ck_rota_patterns_required_range')),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_rota_patterns_team_id_teams'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rota_patterns')),
        sa.UniqueConstraint('team_id', 'name', name='uq_rota_patterns_team_name'),
    )
    op.create_index(op.f('ix_rota_patterns_team_id'), 'rota_patterns', ['team_id'], unique=False)
    op.create_table(
        'rota_pattern_slots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pattern_id', sa.Integer(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('start', sa.String(length=5), nullable=False),
        sa.Column('end', sa.String(length=5), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.CheckConstraint('weekday BETWEEN 1 AND 7', name=op.f('ck_rota_pattern_slots_weekday')),
        sa.CheckConstraint("role IN ('primary', 'backup', 'member')", name=op.f('ck_rota_pattern_slots_role')),
        sa.ForeignKeyConstraint(['pattern_id'], ['rota_patterns.id'],
                                name=op.f('fk_rota_pattern_slots_pattern_id_rota_patterns'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_rota_pattern_slots_person_id_people'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rota_pattern_slots')),
    )
    op.create_index(op.f('ix_rota_pattern_slots_pattern_id'), 'rota_pattern_slots', ['pattern_id'], unique=False)


def downgrade():
    op.drop_table('rota_pattern_slots')
    op.drop_table('rota_patterns')
