"""exams: settings, attempts, responses, qualifications, disputes, notices; item alternatives

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

JSON_DATA = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ENUMS = ('attempt_kind', 'attempt_state', 'qualification_status', 'dispute_status')


def upgrade():
    op.create_table('exam_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('quotas', JSON_DATA, nullable=False),
    sa.Column('shuffle', sa.Boolean(), nullable=False),
    sa.Column('pass_mark', sa.Float(), nullable=False),
    sa.Column('critical_rule', sa.Boolean(), nullable=False),
    sa.Column('time_limit_seconds', sa.Integer(), nullable=True),
    sa.Column('attempts_allowed', sa.Integer(), nullable=True),
    sa.Column('retry_delay_seconds', sa.Integer(), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=True),
    sa.Column('refresh_item_count', sa.Integer(), nullable=False),
    sa.Column('refresh_grace_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_exam_settings_course_id_courses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_settings')),
    sa.UniqueConstraint('course_id', name=op.f('uq_exam_settings_course_id'))
    )
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_notices_course_id_courses')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notices_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('qualification', 'refresh', name='attempt_kind'), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('manual_version_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('open', 'graded', name='attempt_state'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=16), nullable=True),
    sa.Column('pass_mark', sa.Float(), nullable=False),
    sa.Column('critical_rule', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('critical_missed', JSON_DATA, nullable=False),
    sa.Column('regraded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_attempts_course_id_courses')),
    sa.ForeignKeyConstraint(['manual_version_id'], ['manual_versions.id'], name=op.f('fk_attempts_manual_version_id_manual_versions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attempts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts')),
    sa.UniqueConstraint('user_id', 'course_id', 'cycle', 'kind', 'number', name=op.f('uq_attempts_user_id_course_id_cycle_kind_number'))
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempts_course_id'), ['course_id'], unique=False)
        batch_op.create_index('ix_attempts_state_deadline', ['state', 'deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_attempts_one_open', ['user_id', 'course_id'], unique=True, postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))

    op.create_table('qualifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('not_started', 'in_training', 'qualified', 'failed', 'needs_refresh', 'expired', 'revoked', name='qualification_status'), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('manual_version_id', sa.Integer(), nullable=True),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refresh_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refresh_sections', JSON_DATA, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_qualifications_attempt_id_attempts')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_qualifications_course_id_courses')),
    sa.ForeignKeyConstraint(['manual_version_id'], ['manual_versions.id'], name=op.f('fk_qualifications_manual_version_id_manual_versions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_qualifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualifications')),
    sa.UniqueConstraint('user_id', 'course_id', name=op.f('uq_qualifications_user_id_course_id'))
    )
    with op.batch_alter_table('qualifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualifications_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qualifications_user_id'), ['user_id'], unique=False)

    op.create_table('responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('answer', JSON_DATA, nullable=True),
    sa.Column('answer_seq', sa.BigInteger(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('item_revision', sa.Integer(), nullable=True),
    sa.Column('points', sa.Float(), nullable=True),
    sa.Column('correct', sa.Boolean(), nullable=True),
    sa.Column('details', JSON_DATA, nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_responses_attempt_id_attempts')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_responses_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
    sa.UniqueConstraint('attempt_id', 'position', name=op.f('uq_responses_attempt_id_position'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responses_item_id'), ['item_id'], unique=False)

    op.create_table('disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('practice_answer_id', sa.Integer(), nullable=True),
    sa.Column('answer', JSON_DATA, nullable=True),
    sa.Column('item_revision', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'accepted', 'rejected', name='dispute_status'), nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_disputes_course_id_courses')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_disputes_item_id_items')),
    sa.ForeignKeyConstraint(['practice_answer_id'], ['practice_answers.id'], name=op.f('fk_disputes_practice_answer_id_practice_answers')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_disputes_resolved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_disputes_response_id_responses')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_disputes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disputes_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disputes_user_id'), ['user_id'], unique=False)

    op.create_table('qualification_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('qualification_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_qualification_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_qualification_changes_attempt_id_attempts')),
    sa.ForeignKeyConstraint(['qualification_id'], ['qualifications.id'], name=op.f('fk_qualification_changes_qualification_id_qualifications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_changes'))
    )
    with op.batch_alter_table('qualification_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualification_changes_qualification_id'), ['qualification_id'], unique=False)

    with op.batch_alter_table('item_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alternatives', JSON_DATA, nullable=False, server_default='[]'))

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alternatives', JSON_DATA, nullable=False, server_default='[]'))



def downgrade():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('alternatives')

    with op.batch_alter_table('item_revisions', schema=None) as batch_op:
        batch_op.drop_column('alternatives')

    with op.batch_alter_table('qualification_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qualification_changes_qualification_id'))

    op.drop_table('qualification_changes')
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disputes_user_id'))
        batch_op.drop_index(batch_op.f('ix_disputes_item_id'))
        batch_op.drop_index(batch_op.f('ix_disputes_course_id'))

    op.drop_table('disputes')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_item_id'))

    op.drop_table('responses')
    with op.batch_alter_table('qualifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qualifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_qualifications_course_id'))

    op.drop_table('qualifications')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('uq_attempts_one_open', postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
        batch_op.drop_index(batch_op.f('ix_attempts_user_id'))
        batch_op.drop_index('ix_attempts_state_deadline')
        batch_op.drop_index(batch_op.f('ix_attempts_course_id'))

    op.drop_table('attempts')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_user_id_created_at')

    op.drop_table('notices')
    op.drop_table('exam_settings')
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
