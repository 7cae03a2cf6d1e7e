"""dropout: a window per course, withdrawal from a course, one dropout record per trainee

Existing courses get the default window of 7 days; nobody has withdrawn or dropped out yet:
`bootcamp graders refresh` finds them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dropouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('dropped_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_dropouts_course_id_courses')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dropouts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dropouts')),
    sa.UniqueConstraint('user_id', 'course_id', name=op.f('uq_dropouts_user_id_course_id'))
    )
    with op.batch_alter_table('dropouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dropouts_course_id'), ['course_id'], unique=False)

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dropout_window_days', sa.Integer(), server_default='7', nullable=False))

    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))

def downgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('dropout_window_days')

    with op.batch_alter_table('dropouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dropouts_course_id'))

    op.drop_table('dropouts')
