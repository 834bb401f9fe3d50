"""The internal meeting (SOP step 6) is held in every round: a meeting records who set it,
whom it invited and its outcome (no corrections, or corrections); a section reopened by the
meeting's corrections carries its own correction deadline ("batas perbaikan"), against
which its corrected reply is timed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("set_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("set_at", db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("invited", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("outcome_at", db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("outcome_by_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fix_deadline", db.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("fix_deadline")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        for name in ("outcome_by_id", "outcome_at", "outcome", "invited", "set_at", "set_by_id"):
            batch_op.drop_column(name)
