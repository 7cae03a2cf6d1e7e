"""manual digests: the SHA-256 of each version's Markdown, so that a worker finds the
rendering it keeps without loading the Markdown

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

EMPTY = hashlib.sha256(b"").hexdigest()
versions = sa.table("manual_versions", sa.column("id", sa.Integer),
                    sa.column("markdown", sa.Text), sa.column("digest", sa.String(64)))


def upgrade():
    with op.batch_alter_table('manual_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest', sa.String(length=64), nullable=False,
                                      server_default=EMPTY))
    connection = op.get_bind()
    ids = connection.scalars(sa.select(versions.c.id).order_by(versions.c.id)).all()
    for version_id in ids:  # one Markdown (up to 1 MB) in memory at a time
        markdown = connection.scalar(
            sa.select(versions.c.markdown).where(versions.c.id == version_id)) or ""
        connection.execute(versions.update().where(versions.c.id == version_id)
                           .values(digest=hashlib.sha256(markdown.encode()).hexdigest()))
    with op.batch_alter_table('manual_versions', schema=None) as batch_op:
        batch_op.alter_column('digest', server_default=None)


def downgrade():
    with op.batch_alter_table('manual_versions', schema=None) as batch_op:
        batch_op.drop_column('digest')
