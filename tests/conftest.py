"""Fixtures: a database (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set), a
controllable clock, the example office, the local Bot API server, and the real bot
(python-telegram-bot Application polling that server) with people as Telegram users."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from bot.clock import FakeClock
from bot.settings import Settings, load_settings
from db.engine import Database
from db.migrate import upgrade

if TYPE_CHECKING:
    from tests.harness import Harness

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "astambul.yaml"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
TOKEN = "123456:TEST-TOKEN"
# Monday 23 November 2026, 08.00 WITA
START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per test session: a template SQLite file, or the PostgreSQL database."""
    if PG_URL:
        db = Database(PG_URL)
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.dispose()
        upgrade(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def db_url(migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """A clean, migrated database for one test."""
    if PG_URL:
        db = Database(PG_URL)
        with db.engine.begin() as conn:
            tables = (
                conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
                .scalars()
                .all()
            )
            if tables:
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        db.dispose()
        yield PG_URL
    else:
        target = tmp_path / "sakip.db"
        shutil.copy(migrated_template, target)
        yield f"sqlite:///{target}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=db_url,
        data_dir=tmp_path / "data",
        admin_telegram_ids="9000",
        telegram_timeout=3.0,
        telegram_chat_rate=0,  # tests check the per-chat limiter separately
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.db_url)
    yield database
    database.dispose()


@pytest.fixture
def office(db: Database, clock: FakeClock) -> int:
    """The example office (Kecamatan Astambul) imported from examples/astambul.yaml."""
    from bot.office.load import import_file

    with db.transaction() as s:
        return import_file(s, EXAMPLE, clock.now()).office_id


@pytest.fixture
async def harness(
    settings: Settings, clock: FakeClock, office: int, db: Database
) -> AsyncIterator[Harness]:
    """The real bot polling the local Bot API server, with the office's people linked."""
    from tests.harness import Harness

    h = Harness(settings, clock, db, TOKEN)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


@pytest.fixture
async def wa_harness(
    settings: Settings, clock: FakeClock, office: int, db: Database
) -> AsyncIterator[Harness]:
    """The bot with both channels: Telegram polling and the WhatsApp webhook (local fakes)."""
    from tests.harness import Harness

    h = Harness(settings, clock, db, TOKEN, whatsapp=True)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
