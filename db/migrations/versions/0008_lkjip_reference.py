"""The LKjIP's figures that do not come from the rounds: an indicator's realisations of
earlier years and its Renstra end-of-period target (`indicator.reference`), and a person's
rank (pangkat/golongan) for the signature blocks (`person.rank`)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("indicator") as batch:
        batch.add_column(sa.Column("reference", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("person") as batch:
        batch.add_column(
            sa.Column("rank", sa.String(length=100), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("rank")
    with op.batch_alter_table("indicator") as batch:
        batch.drop_column("reference")
