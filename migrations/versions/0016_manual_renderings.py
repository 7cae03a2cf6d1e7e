"""manual renderings: each published version's sections rendered once and kept

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from courses.rendering import RENDERER_VERSION, kept_sections, render_to_keep

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

JSON_DATA = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
VERSIONS = sa.table(
    'manual_versions',
    sa.column('id', sa.Integer()),
    sa.column('status', sa.String()),
    sa.column('markdown', sa.Text()),
)


def upgrade():
    renderings = op.create_table(
        'manual_renderings',
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('sections', JSON_DATA, nullable=False),
        sa.Column('renderer', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['manual_versions.id'],
                                name=op.f('fk_manual_renderings_version_id_manual_versions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('version_id', name=op.f('pk_manual_renderings')),
    )
    # The versions published so far: rendered once, here, one at a time (up to 1 MB each).
    bind = op.get_bind()
    published = bind.execute(
        sa.select(VERSIONS.c.id)
        .where(sa.cast(VERSIONS.c.status, sa.String()) == 'published')).scalars().all()
    for version_id in published:
        markdown = bind.execute(
            sa.select(VERSIONS.c.markdown).where(VERSIONS.c.id == version_id)).scalar_one()
        bind.execute(renderings.insert().values(
            version_id=version_id, sections=kept_sections(render_to_keep(markdown)),
            renderer=RENDERER_VERSION))


def downgrade():
    op.drop_table('manual_renderings')
