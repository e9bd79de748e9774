"""commendation forms and titles, ad-hoc commendations, the recipient's role (issue 22 §4)

Revision ID: 0038_commendation_forms
Revises: 0035_movements
Create Date: 2026-12-03 13:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0038_commendation_forms'
down_revision = '0037_practices'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('commendations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('form_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('deciding_level', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('ad_hoc', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('act_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('recipient_role', sa.String(length=10), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_commendations_deciding_level'),
                                         "deciding_level IN ('commune', 'province', 'ministry')")
        batch_op.create_check_constraint(batch_op.f('ck_commendations_recipient_role'),
                                         "recipient_role IN ('lead', 'member')")
        batch_op.create_check_constraint(batch_op.f('ck_commendations_ad_hoc_act_on'),
                                         "NOT ad_hoc OR act_on IS NOT NULL")
        batch_op.create_index('ix_commendations_status_created', ['status', 'created_at'], unique=False)
    # Proposals made before: the recipient's role as their memberships in the team stand now.
    op.execute("""
        UPDATE commendations SET recipient_role = CASE
          WHEN EXISTS (SELECT 1 FROM memberships m WHERE m.person_id = commendations.person_id
                       AND m.team_id = commendations.team_id
                       AND m.role IN ('co_chair_health', 'co_chair_ict', 'leader_in_charge', 'lead'))
          THEN 'lead' ELSE 'member' END
        WHERE person_id IS NOT NULL""")


def downgrade():
    with op.batch_alter_table('commendations', schema=None) as batch_op:
        batch_op.drop_index('ix_commendations_status_created')
        batch_op.drop_constraint(batch_op.f('ck_commendations_ad_hoc_act_on'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_commendations_recipient_role'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_commendations_deciding_level'), type_='check')
        batch_op.drop_column('recipient_role')
        batch_op.drop_column('act_on')
        batch_op.drop_column('ad_hoc')
        batch_op.drop_column('deciding_level')
        batch_op.drop_column('form_name')
        batch_op.drop_column('form_code')
