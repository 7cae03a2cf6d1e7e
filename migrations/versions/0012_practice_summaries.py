"""practice summaries: each trainee's answer counts and recent results per practice module

Kept in step with practice_answers on every flush (courses.models.keep_summaries) so the
dashboards and the progress table read one row per trainee and module instead of ranking every
answer. Existing answers are summarised here, by the same rule: the last 10 answers of a module
(courses.practice_modules.MASTERY_WINDOW when this was written), newest by time, then by id.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO practice_summaries (user_id, course_id, module, answers, correct, recent,
                                recent_correct)
SELECT user_id, course_id, module, count(*),
       sum(CASE WHEN correct THEN 1 ELSE 0 END),
       sum(CASE WHEN rank <= 10 THEN 1 ELSE 0 END),
       sum(CASE WHEN rank <= 10 AND correct THEN 1 ELSE 0 END)
FROM (SELECT user_id, course_id, module, correct,
             row_number() OVER (PARTITION BY user_id, course_id, module
                                ORDER BY created_at DESC, id DESC) AS rank
      FROM practice_answers) AS ranked
GROUP BY user_id, course_id, module
"""


def upgrade():
    op.create_table('practice_summaries',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module', sa.Text(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('recent', sa.Integer(), nullable=False),
    sa.Column('recent_correct', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_practice_summaries_course_id_courses')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practice_summaries_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'course_id', 'module', name=op.f('pk_practice_summaries'))
    )
    with op.batch_alter_table('practice_summaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_summaries_course_id'), ['course_id'], unique=False)
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('practice_summaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_summaries_course_id'))

    op.drop_table('practice_summaries')
