"""WhatsApp identifiers since 2026: a person's parent business-scoped user id (shared across
a managed business's portfolios) and their WhatsApp username (for display only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("whatsapp_parent_user_id", sa.String(length=96), nullable=True))
        batch.add_column(sa.Column("whatsapp_username", sa.String(length=64), nullable=True))
        batch.create_index(
            batch.f("ix_person_whatsapp_parent_user_id"), ["whatsapp_parent_user_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_index(batch.f("ix_person_whatsapp_parent_user_id"))
        batch.drop_column("whatsapp_username")
        batch.drop_column("whatsapp_parent_user_id")
