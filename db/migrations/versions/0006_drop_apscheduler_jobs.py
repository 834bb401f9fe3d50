"""The `reminder` table is the only store of reminders: APScheduler's jobs live in memory,
rebuilt from it when a process takes the lead, so APScheduler's own `apscheduler_jobs`
table (which it created and kept a second copy in) goes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP TABLE IF EXISTS apscheduler_jobs")


def downgrade() -> None:
    pass  # nothing to restore: the jobs are rebuilt from `reminder` on start-up
