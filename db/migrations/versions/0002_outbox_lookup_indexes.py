"""outbox lookup indexes: by chat (WhatsApp numbered replies, template resends) and by
remote message id (WhatsApp delivery statuses)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_chat", "outbox", ["channel", "chat_id"])
    op.create_index("ix_outbox_remote", "outbox", ["channel", "remote_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_remote", table_name="outbox")
    op.drop_index("ix_outbox_chat", table_name="outbox")
