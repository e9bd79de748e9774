"""people.sms_capable: False for fixed-line numbers (SMS cannot reach them), backfilled from the phone

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 06:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people') as batch:
        batch.add_column(sa.Column('sms_capable', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_index('ix_people_no_sms', 'people', ['id'], postgresql_where=sa.text('sms_capable = false'),
                    sqlite_where=sa.text('sms_capable = false'))
    # Backfill: only the few numbers that do not look like Vietnamese mobiles are parsed (E.164
    # +84 followed by 3, 5, 7, 8 or 9 is a mobile range; everything else is asked of phonenumbers).
    from coordination.org.people import can_receive_sms

    conn = op.get_bind()
    people = sa.table('people', sa.column('id', sa.Integer), sa.column('phone', sa.String),
                      sa.column('sms_capable', sa.Boolean))
    rows = conn.execute(sa.select(people.c.id, people.c.phone).where(
        sa.not_(sa.or_(*[people.c.phone.like(f'+84{d}%') for d in '35789'])))).all()
    landlines = [pid for pid, phone in rows if not can_receive_sms(phone)]
    for start in range(0, len(landlines), 900):
        conn.execute(sa.update(people).where(people.c.id.in_(landlines[start:start + 900])).values(sms_capable=False))


def downgrade():
    op.drop_index('ix_people_no_sms', table_name='people')
    with op.batch_alter_table('people') as batch:
        batch.drop_column('sms_capable')
