"""shift changes: giving a shift back, asking a teammate to take it, a lead's override (issue 19 §2)

Revision ID: 0033_shift_changes
Revises: 0032_push_subscriptions
Create Date: 2026-12-03 05:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0033_shift_changes'
down_revision = '0032_push_subscriptions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'shift_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shift_id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('from_person_id', sa.Integer(), nullable=True),
        sa.Column('to_person_id', sa.Integer(), nullable=True),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('warnings', sa.String(length=500), nullable=True),
        sa.CheckConstraint("kind IN ('give_back', 'swap', 'override')", name=op.f('ck_shift_changes_kind')),
        sa.CheckConstraint("state IN ('open', 'accepted', 'refused', 'declined', 'cancelled', 'expired')",
                           name=op.f('ck_shift_changes_state')),
        sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_shift_changes_shift_id_shifts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['assignment_id'], ['shift_assignments.id'],
                                name=op.f('fk_shift_changes_assignment_id_shift_assignments'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['from_person_id'], ['people.id'], name=op.f('fk_shift_changes_from_person_id_people'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['to_person_id'], ['people.id'], name=op.f('fk_shift_changes_to_person_id_people'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_shift_changes_requested_by_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_shift_changes_decided_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_changes')),
    )
    op.create_index(op.f('ix_shift_changes_shift_id'), 'shift_changes', ['shift_id'], unique=False)
    op.create_index(op.f('ix_shift_changes_to_person_id'), 'shift_changes', ['to_person_id'], unique=False)
    op.create_index('uq_shift_changes_open', 'shift_changes', ['assignment_id'], unique=True,
                    sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))
    op.create_index('ix_shift_changes_open_deadline', 'shift_changes', ['deadline_at'], unique=False,
                    sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))


def downgrade():
    op.drop_table('shift_changes')
