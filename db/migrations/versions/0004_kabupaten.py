"""the kabupaten's view: monitors' office scopes, weekly digest opt-outs, and the web
dashboard's one-time sign-in links and sessions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitor_scope",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_monitor_scope_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_monitor_scope_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_scope")),
        sa.UniqueConstraint("person_id", "office_id", name="uq_monitor_scope"),
    )
    op.create_index(op.f("ix_monitor_scope_person_id"), "monitor_scope", ["person_id"])
    op.create_index(op.f("ix_monitor_scope_office_id"), "monitor_scope", ["office_id"])
    op.create_table(
        "digest_optout",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_digest_optout_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_digest_optout")),
    )
    op.create_table(
        "dashboard_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_dashboard_link_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_link")),
        sa.UniqueConstraint("token", name=op.f("uq_dashboard_link_token")),
    )
    op.create_table(
        "dashboard_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_dashboard_session_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_session")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_dashboard_session_secret_hash")),
    )
    op.create_index(op.f("ix_dashboard_session_person_id"), "dashboard_session", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_dashboard_session_person_id"), table_name="dashboard_session")
    op.drop_table("dashboard_session")
    op.drop_table("dashboard_link")
    op.drop_table("digest_optout")
    op.drop_index(op.f("ix_monitor_scope_office_id"), table_name="monitor_scope")
    op.drop_index(op.f("ix_monitor_scope_person_id"), table_name="monitor_scope")
    op.drop_table("monitor_scope")
