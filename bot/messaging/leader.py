"""Which process runs what must run once: the Telegram poller (Telegram allows one
`getUpdates` consumer per bot), the outbox delivery (the channels' rate limits are per bot
and per number) and the scheduler.

On PostgreSQL the leader is whoever holds a session advisory lock on a connection of its
own; when that process dies its connection closes, PostgreSQL releases the lock, and the
next process that asks (every `retry` seconds) takes over. A leader that loses its
connection (a database restart) steps down at once, so two leaders never overlap for
long. On SQLite there is one process, and it always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection

from db.engine import Database

log = logging.getLogger(__name__)
LOCK_KEY = 0x53414B4950  # "SAKIP"


class Leader:
    def __init__(self, db: Database, retry: float = 2.0, check: float = 2.0) -> None:
        self.db = db
        self.retry, self.check = retry, check
        self.held = False
        self._conn: Connection | None = None

    def _try_acquire(self) -> bool:
        conn = self.db.engine.connect()
        try:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
            )
            conn.commit()
        except Exception:
            conn.close()
            raise
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def _alive(self) -> bool:
        conn = self._conn
        if conn is None:
            return False
        try:
            conn.execute(text("SELECT 1"))
            conn.commit()
            return True
        except Exception:
            return False

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.invalidate()  # never back to the pool: its lock goes with it
                conn.close()

    async def run(
        self,
        elected: Callable[[], Awaitable[None]],
        deposed: Callable[[], Awaitable[None]],
        stop: asyncio.Event,
        eligible: bool = True,
    ) -> None:
        """Lead whenever we can until `stop`; call `elected`/`deposed` on each change."""
        if not eligible:
            await stop.wait()
            return
        if self.db.engine.dialect.name != "postgresql":
            self.held = True
            try:
                await elected()
                await stop.wait()
            finally:
                self.held = False
                await deposed()
            return
        said = False  # an outage is logged once, not at every try
        try:
            while not stop.is_set():
                try:
                    got = await asyncio.to_thread(self._try_acquire)
                except Exception as exc:
                    if not said:
                        log.warning("leader lock unavailable (%s)", exc.__class__.__name__)
                        said = True
                    got = False
                if got:
                    said = False
                    log.info("this process now runs the poller, delivery and scheduler")
                    self.held = True
                    await elected()
                    while not stop.is_set() and await asyncio.to_thread(self._alive):
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), self.check)
                    self.held = False
                    await deposed()
                    await asyncio.to_thread(self._release)
                    if not stop.is_set():
                        log.warning("lost the leader lock (database connection); stepping down")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.retry)
        finally:
            if self.held:
                self.held = False
                await deposed()
            await asyncio.to_thread(self._release)
