"""sequential exam mode: the exam's mode and its sequential test's settings

Existing rows get the server defaults: mode "fixed" (today's exams, unchanged) and the
sequential defaults of exams.rules (p0 0.70, p1 0.85, 5% error each way, 10 to 123 items, the
cut where the likelihood ratio is even).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

COLUMNS = (
    ('mode', sa.String(length=16), 'fixed'),
    ('sequential_p0', sa.Float(), '0.7'),
    ('sequential_p1', sa.Float(), '0.85'),
    ('sequential_alpha', sa.Float(), '0.05'),
    ('sequential_beta', sa.Float(), '0.05'),
    ('sequential_min_items', sa.Integer(), '10'),
    ('sequential_max_items', sa.Integer(), '123'),
)


def upgrade():
    with op.batch_alter_table('exam_settings', schema=None) as batch_op:
        for name, kind, default in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=False, server_default=default))
        batch_op.add_column(sa.Column('sequential_cut', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('exam_settings', schema=None) as batch_op:
        for name in ('sequential_cut', *(name for name, _, _ in reversed(COLUMNS))):
            batch_op.drop_column(name)
