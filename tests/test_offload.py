"""Where blocking database work runs: on SQLite, on the event loop itself when the database is
free (no thread hop); in a thread when another thread holds it or on PostgreSQL, so the loop
never waits. Which updates are light enough to run there."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import select

import bot.features  # noqa: F401  (registers the commands the router is asked about)
from bot.core import Inbound, InboundFile
from bot.router import family_data, light
from db.engine import Database


async def test_free_sqlite_work_runs_on_the_loop_busy_or_postgresql_in_a_thread(
    db: Database,
) -> None:
    loop_thread = threading.current_thread().name

    def _where() -> str:
        with db.transaction() as s:
            s.execute(select(1))
            return threading.current_thread().name

    where = await db.run(_where)
    if db.engine.dialect.name == "sqlite":
        assert where == loop_thread
    else:
        assert where != loop_thread
        return

    # another thread has the database's turn (a report being built): the work waits for it
    # in a thread while the loop goes on
    held, release = threading.Event(), threading.Event()

    def builder() -> None:
        with db.transaction():
            held.set()
            release.wait(10)

    t = threading.Thread(target=builder)
    t.start()
    assert held.wait(10)
    task = asyncio.ensure_future(db.run(_where))
    ticks = 0
    for _ in range(5):
        await asyncio.sleep(0)  # the loop is not blocked: it keeps running other work
        ticks += 1
    assert ticks == 5 and not task.done()
    release.set()
    assert await task != loop_thread
    t.join()


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
