"""durable inbox (every incoming update recorded before it is acknowledged) replaces
processed_update; outbox.resent records a message sent again after a crash;
attachment.description keeps what the sender wrote with a file

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("handled_at", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("channel", "external_id", name="uq_inbox_external"),
    )
    op.create_index("ix_inbox_pending", "inbox", ["status", "actor", "id"])
    op.drop_table("processed_update")
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("resent", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("attachment") as batch:
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attachment") as batch:
        batch.drop_column("description")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("resent")
    op.create_table(
        "processed_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processed_update")),
        sa.UniqueConstraint("channel", "external_id", name="uq_processed"),
    )
    op.drop_index("ix_inbox_pending", table_name="inbox")
    op.drop_table("inbox")
