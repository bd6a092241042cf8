"""search index: the words of each item, for the web view's search

Revision ID: 0002
Revises: 0001

SQLite keeps them in an FTS5 table (rowid = item id; without FTS5 compiled in, search scans
instead); PostgreSQL in a tsvector column under a GIN index. Both are filled by the web
view's indexer, never by a poll (``watcher.store.search_index``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_updated", "items", ["updated_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE item_search ("
            " item_id BIGINT PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,"
            " version TIMESTAMP WITHOUT TIME ZONE NOT NULL,"
            " words TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_item_search_words ON item_search USING GIN (words)")
        return
    try:
        op.execute(
            "CREATE VIRTUAL TABLE item_search USING fts5("
            "words, version UNINDEXED, tokenize='ascii', detail='none')"
        )
    except sa.exc.OperationalError as error:  # an SQLite built without FTS5
        if "fts5" not in str(error):
            raise


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS item_search")
    op.drop_index("ix_items_updated", "items")
