"""`sakip-bot run` starts without what it does not need: the schema check at start-up reads
the migration files (Alembic, Mako and Pygments stay unimported), and report libraries load
only when a report is built (issue 13: start to first getUpdates under 1.5 s)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from db.engine import Database
from db.migrate import head_revision, is_up_to_date, script_heads, upgrade

ROOT = Path(__file__).resolve().parents[1]


def test_the_start_up_check_finds_the_head_alembic_finds():
    assert script_heads() == {head_revision()}


def test_the_start_up_check_tells_a_new_database_from_a_migrated_one(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'check.db'}"
    db = Database(url)
    try:
        assert not is_up_to_date(db.engine)
        upgrade(url)
        assert is_up_to_date(db.engine)
        with db.engine.begin() as conn:  # as if a newer migration had not run yet
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        assert not is_up_to_date(db.engine)
    finally:
        db.dispose()


def test_run_imports_neither_alembic_nor_the_report_libraries():
    code = (
        "import sys, bot.cli, bot.app; from db.migrate import is_up_to_date; "
        "print(' '.join(m for m in ('alembic', 'mako', 'matplotlib', 'reportlab', 'openpyxl') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
