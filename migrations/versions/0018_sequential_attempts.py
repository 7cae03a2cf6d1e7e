"""sequential attempts: the rules an attempt started with, the items its decision took and
its final log-likelihood ratio

All three are empty for fixed exams (every attempt before this revision).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

JSON_DATA = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequential', JSON_DATA, nullable=True))
        batch_op.add_column(sa.Column('decision_items', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decision_llr', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('decision_llr')
        batch_op.drop_column('decision_items')
        batch_op.drop_column('sequential')
