"""manual versions: section outline kept at publish

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from courses.rendering import manual_outline, render_manual

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

JSON_DATA = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
VERSIONS = sa.table(
    'manual_versions',
    sa.column('id', sa.Integer()),
    sa.column('status', sa.String()),
    sa.column('markdown', sa.Text()),
    sa.column('outline', JSON_DATA),
)


def upgrade():
    with op.batch_alter_table('manual_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outline', JSON_DATA, nullable=False, server_default='[]'))

    # Published versions never change: render each one once, here, and never again to count.
    bind = op.get_bind()
    published = bind.execute(
        sa.select(VERSIONS.c.id)
        .where(sa.cast(VERSIONS.c.status, sa.String()) == 'published')).scalars().all()
    for version_id in published:
        markdown = bind.execute(
            sa.select(VERSIONS.c.markdown).where(VERSIONS.c.id == version_id)).scalar_one()
        bind.execute(VERSIONS.update().where(VERSIONS.c.id == version_id)
                     .values(outline=manual_outline(render_manual(markdown))))


def downgrade():
    with op.batch_alter_table('manual_versions', schema=None) as batch_op:
        batch_op.drop_column('outline')
