"""sources.title: the feed's own title, the outlet's name where the config gives none

Revision ID: 0004_source_title
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_source_title"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("title")
