"""alerts: alert_hits (one per alert and item), alert_messages, deliveries of either kind

Deliveries were keyed to digest runs only; ``run_id`` becomes nullable and ``alert_message_id``
is added, so an alert message goes through the same outbox. Existing deliveries keep their rows.

Revision ID: 0005_alerts
Revises: 0004_source_title
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_alerts"
down_revision = "0004_source_title"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_messages",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(length=200), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_messages_alert", "alert_messages", ["alert_id", "built_at"])
    op.create_table(
        "alert_hits",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(length=200), nullable=False),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("story_id", sa.String(length=200), nullable=True),
        sa.Column("followup_id", sa.String(length=200), nullable=True),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("message_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["alert_messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert_id", "item_id", name="uq_alert_item"),
    )
    op.create_index("ix_alert_hits_pending", "alert_hits", ["message_id", "due_at"])
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("run_id", existing_type=BigId, nullable=True)
        batch_op.add_column(sa.Column("alert_message_id", BigId, nullable=True))
        batch_op.create_foreign_key(
            "fk_deliveries_alert_message",
            "alert_messages",
            ["alert_message_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            "uq_alert_delivery_channel", ["alert_message_id", "channel_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alert_delivery_channel", type_="unique")
        batch_op.drop_constraint("fk_deliveries_alert_message", type_="foreignkey")
        batch_op.drop_column("alert_message_id")
        batch_op.alter_column("run_id", existing_type=BigId, nullable=False)
    op.drop_index("ix_alert_hits_pending", table_name="alert_hits")
    op.drop_table("alert_hits")
    op.drop_index("ix_alert_messages_alert", table_name="alert_messages")
    op.drop_table("alert_messages")
