"""exam settings: how much a result shows

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

RESULT_DETAIL = sa.Enum('score', 'sections', 'counts', name='result_detail')


def upgrade():
    RESULT_DETAIL.create(op.get_bind(), checkfirst=True)
    with op.batch_alter_table('exam_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result_detail', RESULT_DETAIL, nullable=False,
                                      server_default='sections'))


def downgrade():
    with op.batch_alter_table('exam_settings', schema=None) as batch_op:
        batch_op.drop_column('result_detail')

    RESULT_DETAIL.drop(op.get_bind(), checkfirst=True)
