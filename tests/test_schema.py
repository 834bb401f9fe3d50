"""Every schema change is a migration: the migrated database matches the models exactly,
on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from db.migrate import head_revision
from db.models import Base


def test_migrations_match_the_models(db_url: str):
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn)
            assert ctx.get_current_revision() == head_revision()
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
