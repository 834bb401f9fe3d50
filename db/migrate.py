"""Alembic, driven from code: `sakip-bot db upgrade` and the schema check at start-up.

Alembic (with Mako and Pygments, about 0.3 s of imports) is imported only to migrate or to
ask it about revisions; the check at start-up (`is_up_to_date`) reads the migration files'
`revision`/`down_revision` lines and the `alembic_version` table without it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).parent
_REVISION_LINE = re.compile(r"^(down_revision|revision)\b[^=]*=\s*(.+?)\s*$", re.M)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def head_revision(url: str = "sqlite://") -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def script_heads() -> set[str]:
    """The head revisions of the migration files: revisions no other file builds on."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (HERE / "migrations" / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            parsed = ast.literal_eval(value)
            found = {parsed} if isinstance(parsed, str) else set(parsed or ())
            (revisions if name == "revision" else parents).update(found)
    return revisions - parents


def is_up_to_date(engine: Engine) -> bool:
    """The database is at the head revision (without importing Alembic)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return current == script_heads()
