"""round requests: a trainee with no attempts left asks for another round; instructors answer

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'round_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('cycle', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_round_requests_course_id_courses')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_round_requests_decided_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_round_requests_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_round_requests')),
        sa.UniqueConstraint('user_id', 'course_id', 'cycle',
                            name=op.f('uq_round_requests_user_id_course_id_cycle')),
    )
    with op.batch_alter_table('round_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_requests_course_id'), ['course_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_round_requests_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('round_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_requests_user_id'))
        batch_op.drop_index(batch_op.f('ix_round_requests_course_id'))
    op.drop_table('round_requests')
