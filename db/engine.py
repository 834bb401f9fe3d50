"""Engine and sessions. One session per unit of work, passed in explicitly."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.util import LRUCache

POOL_SIZE = 16
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout ran out
T = TypeVar("T")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; SQLite gets WAL, foreign keys and a busy timeout (many writers, one file)."""
    engine = _make_engine(url, **kwargs)
    engine.update_execution_options(compiled_cache=CompiledCache(QUERY_CACHE_SIZE))
    return engine


QUERY_CACHE_SIZE = 500  # SQLAlchemy's default


class CompiledCache(LRUCache):  # type: ignore[type-arg]
    """SQLAlchemy's cache of compiled statements, asked first by the identity of the
    statement's cache key.

    Every execution looks its statement up by its cache key: a tuple describing the whole
    statement, which Python hashes anew each time (the key is kept with the statement, its
    hash is not). For the statements run on every update, built once, that hashing was the
    largest single cost SQLAlchemy had per statement on PostgreSQL (a `WITH` statement's key
    is thousands of elements). The key object is the same on every run of the same
    statement object, so its identity finds the compiled form without hashing it; the
    cache holds the key, so the identity cannot be reused while it is cached. Anything
    else (statements built on each call) goes to the usual lookup by value."""

    __slots__ = ("_by_identity",)

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self._by_identity: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def get(self, key: Any, default: Any = None) -> Any:
        # key: (dialect, statement's cache key, column keys, schema map?, executemany?)
        fast = self._identity(key)
        if fast is not None:
            hit = self._by_identity.get(fast)
            if hit is not None and hit[0] is key[1]:
                return hit[1]
        got = super().get(key)
        if got is None:
            return default
        self._remember(fast, key, got)
        return got

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._remember(self._identity(key), key, value)

    @staticmethod
    def _identity(key: Any) -> tuple[Any, ...] | None:
        if type(key) is tuple and len(key) == 5:
            return (id(key[1]), key[0], *key[2:])
        return None

    def _remember(self, fast: tuple[Any, ...] | None, key: Any, compiled: Any) -> None:
        if fast is None:
            return
        if len(self._by_identity) >= self.capacity:
            self._by_identity.clear()  # (statements built per call: their keys come and go)
        self._by_identity[fast] = (key[1], compiled)


def _make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith("postgresql+psycopg"):
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("cursor_factory", _lazy_description_cursor())
    # No pre-ping (a round trip before every checkout): a connection lost to a restart fails
    # its statement, the pool is invalidated, and the update is tried again from the inbox.
    # Pool: the leader's lock holds a connection for good, the default executor's threads
    # (handlers, intake, delivery's marks) and the scheduler's run side by side: with
    # SQLAlchemy's default of 5, connections beyond it were opened and closed all the time
    # under load (a PostgreSQL connection costs milliseconds of CPU to set up).
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", 2 * POOL_SIZE)
    return create_engine(url, **kwargs)


@functools.cache
def _lazy_description_cursor() -> type:
    """psycopg's cursor, its `description` building Column objects only when they are read.

    SQLAlchemy reads `description` after every statement but, for a statement it has run
    before (its result's shape cached with the compiled form), only asks whether it is None.
    psycopg built a Column (name decoded, type looked up) for every column each time: about
    90 an update, a tenth of the handler's CPU on PostgreSQL."""
    import psycopg
    from psycopg import pq

    returns_rows = (
        pq.ExecStatus.TUPLES_OK,
        pq.ExecStatus.SINGLE_TUPLE,
        pq.ExecStatus.TUPLES_CHUNK,
    )

    class Description(Sequence[Any]):
        __slots__ = ("_cursor", "_result", "_columns")

        def __init__(self, cursor: psycopg.Cursor[Any], result: Any) -> None:
            self._cursor, self._result = cursor, result
            self._columns: list[Any] | None = None

        def __len__(self) -> int:
            return int(self._result.nfields)

        def __getitem__(self, index: Any) -> Any:
            if self._columns is None:
                res: Any = self._result
                cur = self._cursor
                if cur.pgresult is res:
                    self._columns = [psycopg.Column(cur, i) for i in range(len(self))]
                else:  # the cursor has moved on: what this result said, as DB-API tuples
                    self._columns = [
                        ((res.fname(i) or b"").decode(), res.ftype(i), None, None, None, None, None)
                        for i in range(len(self))
                    ]
            return self._columns[index]

    class Cursor(psycopg.Cursor[Any]):
        @property
        def description(self) -> Any:
            res = self.pgresult
            if res and (res.nfields or res.status in returns_rows):
                return Description(self, res)
            return None

    return Cursor


# PostgreSQL work on the event loop gives up a lock wait after this long (and goes to a thread)
LOOP_LOCK_WAIT_MS = 50


def _with_lock_timeout(url: str) -> str:
    """libpq `options` for the loop's connections: the URL's own, and the short lock wait."""
    own = make_url(url).query.get("options", "")
    own = own if isinstance(own, str) else " ".join(own)
    return f"{own} -c lock_timeout={LOOP_LOCK_WAIT_MS}".strip()


class Database:
    """The engine plus a session factory; `with db.transaction() as s:` is a unit of work."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; threads that collide wait in SQLite's busy handler,
        # which sleeps in growing steps. Taking turns in the process is much faster.
        self._turn = threading.RLock() if url.startswith("sqlite") else None
        # PostgreSQL's work on the loop has connections of its own (one at a time is in use:
        # the loop runs one piece of work at a time), whose lock waits are cut short
        self._loop_engine = (
            None
            if self._turn is not None
            else make_engine(
                url,
                pool_size=2,
                max_overflow=4,
                # nor may a connection being opened to an unreachable server hold it long
                connect_args={
                    "options": _with_lock_timeout(url),
                    "connect_timeout": 2,
                },
            )
        )
        self._here = threading.local()  # .loop: this thread is the loop running work
        # the same pools, their connections in autocommit while checked out this way
        self._autocommit = {
            e: e.execution_options(isolation_level="AUTOCOMMIT") for e in self.engines
        }

    @property
    def engines(self) -> tuple[Engine, ...]:
        """Every engine whose connections run the bot's statements (for listeners)."""
        return (self.engine,) if self._loop_engine is None else (self.engine, self._loop_engine)

    async def run(self, work: Callable[..., T], /, *args: Any) -> T:
        """Light blocking database work, from the event loop: run right here when that cannot
        hold the loop for long, else in a thread. A hop to a worker thread and back (a
        wake-up on each side, four context switches) costs more than a light piece of
        work, with one person at a time and with many.

        - SQLite: here when no other thread holds the database's turn (a local file's
          statements take microseconds); when one does (a report being built, the
          scheduler's fan-out), in a thread that waits for it, so the loop never does.
        - PostgreSQL: here, on the loop's own connections, whose lock waits end after
          `LOOP_LOCK_WAIT_MS`; work that would wait longer (a row held by a report being
          built) is rolled back and done again in a thread, which waits."""
        turn = self._turn
        if turn is not None:
            if turn.acquire(blocking=False):
                try:
                    return work(*args)
                finally:
                    turn.release()
        elif self._loop_engine is not None:
            self._here.loop = True
            try:
                return work(*args)
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                    raise
            finally:
                self._here.loop = False
        return await asyncio.to_thread(work, *args)

    def _bind(self) -> Engine:
        return self._loop_engine if getattr(self._here, "loop", False) else self.engine  # type: ignore[return-value]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with (
            self._turn or nullcontext(),
            self.sessions(bind=self._bind()) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def plain_transaction(self) -> Iterator[Connection]:
        """A transaction on a bare connection, for plain statements only: no ORM session to
        build and tear down (about 35 µs on SQLite and 100 µs on PostgreSQL a transaction,
        which intake pays for every batch of updates)."""
        with self._turn or nullcontext(), self._bind().begin() as conn:
            yield conn

    @contextmanager
    def single_statement(self) -> Iterator[Connection]:
        """A connection for one statement that commits on its own. On PostgreSQL it runs in
        autocommit: no `BEGIN` and `COMMIT` round trips around it (two of a sent mark's
        three). SQLite sends nothing for those, and gets `plain_transaction`."""
        if self._turn is not None:
            with self.plain_transaction() as conn:
                yield conn
            return
        with self._autocommit[self._bind()].connect() as conn:
            yield conn

    def session(self) -> Session:
        return self.sessions(bind=self._bind())

    def dispose(self) -> None:
        for engine in self.engines:
            engine.dispose()
