"""The database: where light blocking work runs (on the event loop, or in a thread rather
than wait for a lock), which updates are light, and psycopg's description built on demand."""

from __future__ import annotations

import asyncio
import threading
from unittest.mock import patch

from sqlalchemy import bindparam, select, update
from sqlalchemy.util import LRUCache

import bot.features  # noqa: F401  (registers the commands the router is asked about)
from bot.core import Inbound, InboundFile
from bot.router import family_data, light
from db.engine import CompiledCache, Database
from db.models import Office


async def test_light_work_runs_on_the_loop_and_goes_to_a_thread_rather_than_wait(
    db: Database, office: int
) -> None:
    """SQLite: on the loop when the database is free, in a thread while another thread holds
    it. PostgreSQL: on the loop, and in a thread when it would wait for a row lock."""
    loop_thread = threading.current_thread().name
    tried: list[str] = []

    def lock_office() -> str:
        tried.append(threading.current_thread().name)
        with db.transaction() as s:
            s.execute(select(Office.id).where(Office.id == office).with_for_update())
            return threading.current_thread().name

    assert await db.run(lock_office) == loop_thread

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
    if db.engine.dialect.name == "postgresql":  # tried on the loop first, gave up the wait
        assert tried[0] == loop_thread and tried[-1] != loop_thread
    else:  # the database's turn was taken: straight to a thread
        assert tried == [tried[-1]] and tried[-1] != loop_thread


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


def test_postgresql_description_read_when_asked_and_after_the_cursor_moved_on(db: Database) -> None:
    """psycopg's `description` is built only when read (SQLAlchemy asks only whether it is
    None for statements it ran before); read, it says what psycopg's own would."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect() as conn:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.execute("SELECT 1 AS n, 'x'::text AS word")
        desc = cur.description
        assert len(desc) == 2
        assert (desc[0][0], desc[0][1], desc[1][0], desc[1][1]) == ("n", 23, "word", 25)
        assert desc[1].name == "word"  # psycopg's own Column
        cur.execute("SELECT 1 AS n, 'x'::text AS word")
        first = cur.description
        cur.execute("SELECT now() AS at")
        assert [(d[0], d[1]) for d in first] == [("n", 23), ("word", 25)]
        assert [(d[0], d[1]) for d in cur.description] == [("at", 1184)]
        cur.execute("UPDATE office SET name = name WHERE false")
        assert cur.description is None
        # through SQLAlchemy: a statement's result keys, the first time and when cached
        for _ in range(2):
            assert list(conn.exec_driver_sql("SELECT 2 AS two").keys()) == ["two"]


def test_the_loops_postgresql_connections_keep_the_urls_own_options() -> None:
    from db.engine import _with_lock_timeout

    assert _with_lock_timeout("postgresql+psycopg://u@h/db") == "-c lock_timeout=50"
    url = "postgresql+psycopg://u@h/db?options=-csearch_path%3Dsakip"
    assert _with_lock_timeout(url) == "-csearch_path=sakip -c lock_timeout=50"


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


def test_a_statement_built_once_is_found_by_its_key_object_and_one_built_per_call_by_value(
    db: Database, office: int
) -> None:
    """The compiled-statement cache answers a statement run again from the identity of its
    cache key (no hashing of the key), and a statement built anew on each call (an equal key
    in another object) from the usual lookup by value: compiled once either way, and each
    gets its own parameters' result."""
    cache = db.engine.get_execution_options()["compiled_cache"]
    assert isinstance(cache, CompiledCache)
    compiled: list[object] = []
    fallback: list[object] = []
    super_get = LRUCache.get

    def counting_get(self: LRUCache, key: object, default: object = None) -> object:  # type: ignore[type-arg]
        fallback.append(key)
        return super_get(self, key, default)

    once = select(Office.name).where(Office.id == bindparam("office"))
    with db.engine.connect() as conn, patch.object(LRUCache, "get", counting_get):
        names = [conn.execute(once, {"office": office}).scalar() for _ in range(3)]
        assert fallback[:1] and len(fallback) == 1  # compiled on the first run only
        fallback.clear()
        for n in (office, -1):
            per_call = select(Office.name).where(Office.id == bindparam("office"))
            compiled.append(conn.execute(per_call, {"office": n}).scalar())
        assert len(fallback) == 2  # new key objects: asked by value, and found
    assert names == [names[0]] * 3 and names[0]
    assert compiled == [names[0], None]
    with db.engine.connect() as conn:  # by value, from a fresh start: the same compiled form
        key_count = len(cache)
        conn.execute(select(Office.name).where(Office.id == bindparam("office")), {"office": 1})
        assert len(cache) == key_count
