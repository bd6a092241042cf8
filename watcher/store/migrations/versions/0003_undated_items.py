"""a partial index of the items dated when first seen (watcher sources counts them)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_items_undated",
        "items",
        ["source_id"],
        unique=False,
        sqlite_where=sa.text("published_estimated IS 1"),
        postgresql_where=sa.text("published_estimated IS true"),
    )


def downgrade() -> None:
    op.drop_index("ix_items_undated", table_name="items")
