"""spreadsheet imports; audit events by team; the audit trail made append-only on PostgreSQL

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 14:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

APPEND_ONLY = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""
# SQLite (the embedded demo database) gets the same guarantee with two triggers. A later batch
# ALTER of audit_events on SQLite recreates the table and must create these again.
APPEND_ONLY_SQLITE = [
    f"CREATE TRIGGER audit_events_no_{op_name.lower()} BEFORE {op_name} ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, 'audit_events is append-only ({op_name} refused)'); END"
    for op_name in ("UPDATE", "DELETE")
]


def upgrade():
    op.create_table(
        'import_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('summary', sa.JSON(), nullable=True),
        sa.Column('rows', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('previewed', 'imported')", name=op.f('ck_import_batches_status')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_import_batches_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches')),
    )
    op.create_index('ix_import_batches_user_id', 'import_batches', ['user_id'])
    with op.batch_alter_table('audit_events') as batch:
        batch.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch.drop_index('ix_audit_events_province_code')
        batch.create_index('ix_audit_events_province_id', ['province_code', 'id'])
        batch.create_index('ix_audit_events_team_id', ['team_id', 'id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY)
    else:
        for statement in APPEND_ONLY_SQLITE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events; DROP FUNCTION audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_index('ix_audit_events_team_id')
        batch.drop_index('ix_audit_events_province_id')
        batch.create_index('ix_audit_events_province_code', ['province_code'])
        batch.drop_column('team_id')
    op.drop_index('ix_import_batches_user_id', table_name='import_batches')
    op.drop_table('import_batches')
