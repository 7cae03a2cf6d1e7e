"""gold item bank with revisions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

JSON_DATA = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('media', sa.String(length=255), nullable=True),
    sa.Column('spec', JSON_DATA, nullable=False),
    sa.Column('gold', JSON_DATA, nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('sections', JSON_DATA, nullable=False),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('pools', JSON_DATA, nullable=False),
    sa.Column('status', sa.Enum('active', 'retired', name='item_status'), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_items_course_id_courses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('course_id', 'key', name=op.f('uq_items_course_id_key'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_course_id'), ['course_id'], unique=False)

    op.create_table('item_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('spec', JSON_DATA, nullable=False),
    sa.Column('gold', JSON_DATA, nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_item_revisions_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_revisions_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_revisions')),
    sa.UniqueConstraint('item_id', 'number', name=op.f('uq_item_revisions_item_id_number'))
    )
    with op.batch_alter_table('item_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_revisions_item_id'), ['item_id'], unique=False)



def downgrade():
    with op.batch_alter_table('item_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_revisions_item_id'))

    op.drop_table('item_revisions')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_course_id'))

    op.drop_table('items')
    sa.Enum(name="item_status").drop(op.get_bind(), checkfirst=True)
