"""Engine and sessions. One session per unit of work, passed in explicitly."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

POOL_SIZE = 16
T = TypeVar("T")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; SQLite gets WAL, foreign keys and a busy timeout (many writers, one file)."""
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
    # No pre-ping (a round trip before every checkout): a connection lost to a restart fails
    # its statement, the pool is invalidated, and the update is tried again from the inbox.
    # Pool: the leader's lock holds a connection for good, the default executor's threads
    # (handlers, intake, delivery's marks) and the scheduler's run side by side: with
    # SQLAlchemy's default of 5, connections beyond it were opened and closed all the time
    # under load (a PostgreSQL connection costs milliseconds of CPU to set up).
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", 2 * POOL_SIZE)
    return create_engine(url, **kwargs)


class Database:
    """The engine plus a session factory; `with db.transaction() as s:` is a unit of work."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; threads that collide wait in SQLite's busy handler,
        # which sleeps in growing steps. Taking turns in the process is much faster.
        self._turn = threading.RLock() if url.startswith("sqlite") else None

    async def run(self, work: Callable[..., T], /, *args: Any) -> T:
        """Blocking database work, from the event loop. On SQLite it runs right here when no
        other thread holds the database's turn: a local file's statements take microseconds
        and wait on no network, and a hop to a worker thread and back (two wake-ups, four
        context switches) cost more than the work — about a third of the message path's CPU
        with one person at a time. When another thread has the turn (a report being built,
        the scheduler's fan-out) the work waits for it in a thread, so the loop never does.
        PostgreSQL's work always goes to a thread: its round trips would hold the loop."""
        turn = self._turn
        if turn is not None and turn.acquire(blocking=False):
            try:
                return work(*args)
            finally:
                turn.release()
        return await asyncio.to_thread(work, *args)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._turn or nullcontext(), self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def plain_transaction(self) -> Iterator[Connection]:
        """A transaction on a bare connection, for plain statements only: no ORM session to
        build and tear down (about 35 µs on SQLite and 100 µs on PostgreSQL a transaction,
        which intake pays for every batch of updates)."""
        with self._turn or nullcontext(), self.engine.begin() as conn:
            yield conn

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()
