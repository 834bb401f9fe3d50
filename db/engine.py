"""Engine and sessions. One session per unit of work, passed in explicitly."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from db.plain import write_staged

POOL_SIZE = 16
T = TypeVar("T")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; SQLite gets WAL, foreign keys and a busy timeout (many writers, one file);
    PostgreSQL bounds every statement and every lock wait (`STATEMENT_TIMEOUT_MS`)."""
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
    if url.startswith("postgresql"):
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("options", _with_timeouts(url))
        # nor may a connection being opened to an unreachable server hold a thread long
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    # No pre-ping (a round trip before every checkout): a connection lost to a restart fails
    # its statement, the pool is invalidated, and the update is tried again from the inbox.
    # Pool: the leader's lock holds a connection for good, the default executor's threads
    # (handlers, intake, delivery's marks) and the scheduler's run side by side: with
    # SQLAlchemy's default of 5, connections beyond it were opened and closed all the time
    # under load (a PostgreSQL connection costs milliseconds of CPU to set up).
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", 2 * POOL_SIZE)
    return create_engine(url, **kwargs)


# PostgreSQL: no statement of the bot's runs longer, and no lock is waited for longer, than
# this (a stalled server or a forgotten lock holder fails the work, which the inbox retries,
# instead of holding a thread and its connection for good). The longest legitimate statement
# (a kabupaten's report read) takes well under a second.
STATEMENT_TIMEOUT_MS = 30_000
LOCK_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 5


def _with_timeouts(url: str) -> str:
    """libpq `options` for the bot's connections: the URL's own, and the two bounds."""
    own = make_url(url).query.get("options", "")
    own = own if isinstance(own, str) else " ".join(own)
    bounds = f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS}"
    return f"{own} {bounds}".strip()


class Database:
    """The engine plus a session factory; `with db.transaction() as s:` is a unit of work."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; threads that collide wait in SQLite's busy handler,
        # which sleeps in growing steps. Taking turns in the process is much faster.
        self._turn = threading.RLock() if url.startswith("sqlite") else None
        # the same pool, its connections in autocommit while checked out this way
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def engines(self) -> tuple[Engine, ...]:
        """Every engine whose connections run the bot's statements (for listeners)."""
        return (self.engine,)

    async def run(self, work: Callable[..., T], /, *args: Any) -> T:
        """Light blocking database work, from the event loop, without holding the loop on
        the network or behind another thread:

        - SQLite: right here when no other thread holds the database's turn (a local file's
          statements take microseconds, less than a hop to a worker thread and back); when
          one does (a report being built, the scheduler's fan-out), in a thread that waits
          for it, so the loop never does.
        - PostgreSQL: in a thread (the default executor). Every statement is a network round
          trip to a server that may stall: on the loop, each person's statements would wait
          behind everyone else's, and a stalled server would freeze polling and delivery."""
        turn = self._turn
        if turn is not None and turn.acquire(blocking=False):
            try:
                return work(*args)
            finally:
                turn.release()
        return await asyncio.to_thread(work, *args)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work: committed at the end of the block, after the rows it staged
        (`db.plain`) are written; rolled back if the block raises."""
        with self._turn or nullcontext(), self.sessions() as session, session.begin():
            yield session
            write_staged(session)

    @contextmanager
    def plain_transaction(self) -> Iterator[Connection]:
        """A transaction on a bare connection, for plain statements only: no ORM session to
        build and tear down (about 35 µs on SQLite and 100 µs on PostgreSQL a transaction,
        which intake pays for every batch of updates)."""
        with self._turn or nullcontext(), self.engine.begin() as conn:
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
        with self._autocommit.connect() as conn:
            yield conn

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()
