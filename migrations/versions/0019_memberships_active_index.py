"""active memberships by (team, role, person): province boards count their people and find commune
leads from the index alone, instead of scanning every membership in the country

Revision ID: 0019_memberships_active
Revises: 0018_reconcile
Create Date: 2026-12-02 10:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0019_memberships_active'
down_revision = '0018_reconcile'
branch_labels = None
depends_on = None


def upgrade():
    where = sa.text("end_date IS NULL")
    op.create_index('ix_memberships_active_team_role_person', 'memberships', ['team_id', 'role', 'person_id'],
                    postgresql_where=where, sqlite_where=where)


def downgrade():
    op.drop_index('ix_memberships_active_team_role_person', table_name='memberships')
