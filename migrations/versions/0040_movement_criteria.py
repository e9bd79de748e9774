"""movement criterion "alerts_ack_minutes": the median time to acknowledge alerts (issue 22 §1)

Revision ID: 0040_movement_criteria
Revises: 0038_commendation_forms
Create Date: 2026-12-03 17:05:00

"""
from alembic import op


revision = '0040_movement_criteria'
down_revision = '0038_commendation_forms'
branch_labels = None
depends_on = None

OLD_CRITERIA = ("metric IN ('residents_helped', 'venues_registered', 'shift_coverage', 'tasks_on_time', "
                "'alerts_acknowledged', 'practices_applied')")
NEW_CRITERIA = ("metric IN ('residents_helped', 'venues_registered', 'shift_coverage', 'tasks_on_time', "
                "'alerts_acknowledged', 'practices_applied', 'alerts_ack_minutes')")


def _criteria(condition: str) -> None:
    with op.batch_alter_table('movement_criteria') as batch:
        batch.drop_constraint(op.f('ck_movement_criteria_metric'), type_='check')
        batch.create_check_constraint('metric', condition)


def upgrade():
    _criteria(NEW_CRITERIA)


def downgrade():
    op.execute("DELETE FROM movement_criteria WHERE metric = 'alerts_ack_minutes'")
    _criteria(OLD_CRITERIA)
