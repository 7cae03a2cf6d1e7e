"""course staff: owners and instructors per course

Existing courses get one owner: the account that created the course (the `course_created`
audit entry), while it is still an instructor or admin. Courses imported from the command line
have no creator and start without staff: an admin adds it. Nobody else is backfilled, so no
instructor keeps access to a course that is not theirs.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO course_staff (course_id, user_id, role, added_by_id, created_at)
SELECT courses.id, audit_entries.actor_id, {owner}, NULL, audit_entries.created_at
FROM courses
JOIN audit_entries ON audit_entries.target = 'course:' || CAST(courses.id AS VARCHAR(20))
JOIN users ON users.id = audit_entries.actor_id
WHERE audit_entries.action = 'course_created'
  AND users.role IN ('instructor', 'admin')
  AND audit_entries.id = (SELECT MIN(earliest.id) FROM audit_entries AS earliest
                          WHERE earliest.action = 'course_created'
                            AND earliest.target = audit_entries.target)
"""


def upgrade():
    op.create_table('course_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('owner', 'instructor', name='course_staff_role'), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_course_staff_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_staff_course_id_courses')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_staff_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_staff')),
    sa.UniqueConstraint('course_id', 'user_id', name=op.f('uq_course_staff_course_id_user_id'))
    )
    with op.batch_alter_table('course_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_staff_user_id'), ['user_id'], unique=False)

    postgres = op.get_bind().dialect.name == 'postgresql'
    op.execute(BACKFILL.format(owner="CAST('owner' AS course_staff_role)" if postgres
                               else "'owner'"))


def downgrade():
    with op.batch_alter_table('course_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_staff_user_id'))

    op.drop_table('course_staff')
    sa.Enum(name='course_staff_role').drop(op.get_bind(), checkfirst=True)
