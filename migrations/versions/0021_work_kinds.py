"""kinds of work become a catalogue (work_kinds) the ministry extends: VNeID level 2, online public
services, cashless payment, digital skills, e-commerce, online fraud next to the 2021 kinds;
tasks.kind refers to it instead of a fixed CHECK list

Revision ID: 0021_work_kinds
Revises: 0020_task_corrections
Create Date: 2026-12-02 19:30:00

"""
from alembic import op
import sqlalchemy as sa

from coordination.tasks.kinds import seed_rows

revision = '0021_work_kinds'
down_revision = '0020_task_corrections'
branch_labels = None
depends_on = None

OLD_KINDS = ("support_health_declaration", "support_qr_checkin", "support_vaccination_registration",
             "support_vaccination_certificate", "support_home_care", "venue_qr_registration", "data_verification",
             "vaccination_drive", "other")


def upgrade():
    table = op.create_table(
        'work_kinds',
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name_vi', sa.String(length=120), nullable=False),
        sa.Column('name_en', sa.String(length=120), nullable=False),
        sa.Column('unit', sa.String(length=60), nullable=False),
        sa.Column('counts_as_residents_helped', sa.Boolean(), nullable=False),
        sa.Column('retired', sa.Boolean(), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_work_kinds')),
    )
    op.bulk_insert(table, seed_rows())
    with op.batch_alter_table('tasks') as batch:
        batch.drop_constraint(op.f('ck_tasks_kind'), type_='check')
        batch.create_foreign_key(op.f('fk_tasks_kind_work_kinds'), 'work_kinds', ['kind'], ['code'],
                                 ondelete='RESTRICT')


def downgrade():
    op.execute(f"DELETE FROM tasks WHERE kind NOT IN {OLD_KINDS}")
    with op.batch_alter_table('tasks') as batch:
        batch.drop_constraint(op.f('fk_tasks_kind_work_kinds'), type_='foreignkey')
        batch.create_check_constraint('kind', f"kind IN {OLD_KINDS}")
    op.drop_table('work_kinds')
