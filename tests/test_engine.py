"""The database: where light blocking work runs (SQLite: on the event loop, or in a thread
rather than wait for the database; PostgreSQL: in a thread), which updates are light, and
the bounds on every PostgreSQL statement."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError

import bot.features  # noqa: F401  (registers the commands the router is asked about)
from bot.core import Inbound, InboundFile
from bot.router import family_data, light
from db.engine import Database
from db.models import Office


async def test_light_work_runs_on_the_loop_and_goes_to_a_thread_rather_than_wait(
    db: Database, office: int
) -> None:
    """SQLite: on the loop when the database is free, in a thread while another thread holds
    it. PostgreSQL: always in a thread (every statement is a network round trip)."""
    loop_thread = threading.current_thread().name
    tried: list[str] = []

    def lock_office() -> str:
        tried.append(threading.current_thread().name)
        with db.transaction() as s:
            s.execute(select(Office.id).where(Office.id == office).with_for_update())
            return threading.current_thread().name

    pg = db.engine.dialect.name == "postgresql"
    assert (await db.run(lock_office) == loop_thread) is not pg

    # another thread holds the database (SQLite) or the office's row (PostgreSQL), as a
    # report being built does: the work waits in a thread while the loop goes on
    held, release = threading.Event(), threading.Event()

    def builder() -> None:
        with db.transaction() as s:
            s.execute(select(Office.id).where(Office.id == office).with_for_update())
            held.set()
            release.wait(10)

    t = threading.Thread(target=builder)
    t.start()
    assert held.wait(10)
    tried.clear()
    task = asyncio.ensure_future(db.run(lock_office))
    ticks = 0
    for _ in range(5):
        await asyncio.sleep(0)  # the loop is not blocked: it keeps running other work
        ticks += 1
    assert ticks == 5 and not task.done()
    release.set()
    assert await task != loop_thread
    t.join()
    assert tried == [tried[-1]] and tried[-1] != loop_thread  # straight to a thread


def test_light_updates() -> None:
    text = Inbound(channel="telegram", user_id="1", chat_id="1", text="85,5")
    assert light(text)
    assert light(Inbound(channel="telegram", user_id="1", chat_id="1", command="isi"))
    assert light(Inbound(channel="telegram", user_id="1", chat_id="1", command="tidakada"))
    form_button = family_data("tok", "form_submit", 3)
    assert light(Inbound(channel="telegram", user_id="1", chat_id="1", button=form_button))
    # may build a report, draw a chart, or store a file: never on the loop
    assert not light(Inbound(channel="telegram", user_id="1", chat_id="1", command="kompilasi"))
    assert not light(Inbound(channel="telegram", user_id="1", chat_id="1", command="status"))
    assert not light(Inbound(channel="telegram", user_id="1", chat_id="1", button="tok"))
    f = InboundFile(name="bukti.pdf", mime="application/pdf", size=10, content=b"x")
    assert not light(Inbound(channel="telegram", user_id="1", chat_id="1", file=f))


def test_every_postgresql_statement_and_lock_wait_is_bounded(db: Database) -> None:
    """A stalled server or a forgotten lock holder fails the statement (the inbox tries the
    update again) instead of holding a thread and its connection for good; the URL's own
    options are kept."""
    from db.engine import LOCK_TIMEOUT_MS, STATEMENT_TIMEOUT_MS, _with_timeouts

    bounds = f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS}"
    assert _with_timeouts("postgresql+psycopg://u@h/db") == bounds
    url = "postgresql+psycopg://u@h/db?options=-csearch_path%3Dsakip"
    assert _with_timeouts(url) == f"-csearch_path=sakip {bounds}"
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect() as conn:
        assert conn.scalar(text("SHOW statement_timeout")) == f"{STATEMENT_TIMEOUT_MS // 1000}s"
        assert conn.scalar(text("SHOW lock_timeout")) == f"{LOCK_TIMEOUT_MS // 1000}s"
        conn.execute(text("SET LOCAL statement_timeout = 50"))
        with pytest.raises(OperationalError):  # a transient failure: tried again later
            conn.execute(text("SELECT pg_sleep(2)"))


def test_a_single_statement_commits_on_its_own_and_the_pool_gets_its_connection_back(
    db: Database, office: int
) -> None:
    """`single_statement` (a sent mark): the statement's change is visible to everyone as
    soon as it ran — on PostgreSQL in autocommit, with no BEGIN or COMMIT round trip — and
    the connection, back in the pool, is transactional again."""
    raw = None
    with db.single_statement() as conn:
        conn.execute(update(Office).where(Office.id == office).values(name="Kecamatan Baru"))
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as other:  # another connection sees it already
                assert other.scalar(select(Office.name).where(Office.id == office)) == (
                    "Kecamatan Baru"
                )
            raw = conn.connection.driver_connection
            assert raw is not None and raw.autocommit
    if raw is not None:
        assert not raw.autocommit  # back in the pool, reset
    with db.transaction() as s:
        assert s.scalar(select(Office.name).where(Office.id == office)) == "Kecamatan Baru"
