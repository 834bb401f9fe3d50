"""The durable inbox (docs/design-notes.md, decision 3): every incoming update is written here and
committed before the channel is told it arrived (the next `getUpdates` offset, the webhook's
200), then handled from here, one person's updates in order.

Intake calls `Inbox.record`; a duplicate (same channel and sender's id) is recorded once.
The `Dispatcher` hands items to the channel adapters, one at a time per actor (a person),
many actors at once. The core marks an item `done` inside the same transaction as its effect
(`Inbox.mark`), so an update has effect exactly once: a crash before that commit leaves
it `pending`, and it is handled again after the restart.

Two ways to be fed, one way to handle:
- local (one process, SQLite or PostgreSQL): intake passes the new items straight to this
  process's dispatcher; on start-up the pending ones are loaded again (`Inbox.pending`).
- shared (several processes on PostgreSQL): every worker claims the oldest pending item of
  each actor that is not leased (`Inbox.claim`), with a lease; a worker that dies has its
  items taken over when the lease runs out. The `done` mark only applies while the item is
  still pending, so a late worker's transaction rolls back instead of applying it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, aliased

from bot.clock import Clock
from db.engine import Database
from db.models import InboxUpdate

log = logging.getLogger(__name__)


@dataclass
class Item:
    """One recorded update on its way through the core: recorded, handled, delivered."""

    id: int
    channel: str
    actor: str
    payload: dict[str, Any]
    done: bool = False  # set once the handler's transaction committed its `done` mark
    attempts: int = 0
    # how the channel adapter settled an update no handler marked (`Inbox.settle`)
    status: str = "ignored"
    error: str | None = None
    # the database outage that stopped its handling, raised again past the channel
    # library's own error handling so that the dispatcher tries the update again
    outage: BaseException | None = None


# The item being handled in this task (set by the dispatcher, read by the runtime's `handle`).
current_item: contextvars.ContextVar[Item | None] = contextvars.ContextVar(
    "current_item", default=None
)


def is_transient(exc: BaseException) -> bool:
    """A database that cannot be reached right now (restart, network): try again later."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _no_nul(value: Any) -> Any:
    """NUL characters removed from every string, NaN and infinities as text (PostgreSQL's
    JSON refuses both, though Python's JSON reads them: a body carrying one could never be
    recorded, and the sender would retry it forever)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    return value


# Run once per update: built once, and run as a plain statement (no ORM bookkeeping).
_MARK = (
    update(InboxUpdate)
    .where(InboxUpdate.id == bindparam("item"), InboxUpdate.status == "pending")
    .values(status=bindparam("status"), handled_at=bindparam("at"), error=bindparam("error"))
)


def _insert(dialect: str) -> Any:
    """INSERT of inbox rows, skipping one recorded before (same channel and external id)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(InboxUpdate)
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(InboxUpdate.id, InboxUpdate.external_id)
    )


_INSERT = {d: _insert(d) for d in ("postgresql", "sqlite")}


def _row(
    channel: str, ext: str, actor: str, payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """An inbox row as intake writes it: pending, its text made storable."""
    return {
        "channel": channel,
        "external_id": _no_nul(ext)[:128],
        "actor": _no_nul(actor)[:96],
        "payload": _no_nul(payload),
        "status": "pending",
        "attempts": 0,
        "received_at": now,
    }


class Inbox:
    """The `inbox` table: record, mark, load and claim updates."""

    def __init__(self, db: Database, clock: Clock, lease_seconds: float = 60.0) -> None:
        self.db = db
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self._dialect = db.engine.dialect.name
        self._insert = _INSERT[self._dialect]

    def record(
        self, channel: str, entries: Iterable[tuple[str, str, dict[str, Any]]]
    ) -> list[Item]:
        """Write updates (external id, actor, payload) in one transaction; return the new
        ones, in order. An update recorded before is skipped (the sender retried)."""
        now = self.clock.now()
        rows = [_row(channel, ext, actor, payload, now) for ext, actor, payload in entries]
        if not rows:
            return []
        with self.db.plain_transaction() as conn:
            got = {ext: i for i, ext in conn.execute(self._insert, rows).all()}
        return [
            Item(got[r["external_id"]], channel, r["actor"], r["payload"])
            for r in rows
            if r["external_id"] in got
        ]

    @staticmethod
    def mark(
        s: Session, item: Item, now: datetime, status: str = "done", error: str | None = None
    ) -> bool:
        """Inside the handler's transaction: the item leaves `pending`. False when it already
        had (another worker got there first): the caller must roll back."""
        res = s.connection().execute(
            _MARK, {"item": item.id, "status": status, "at": now, "error": error}
        )
        return bool(res.rowcount)

    def settle(self, item: Item, status: str, error: str | None = None) -> None:
        """Mark an item outside any handler (ignored or unreadable updates)."""
        with self.db.transaction() as s:
            self.mark(s, item, self.clock.now(), status, error)
        item.done = True

    def status(self, channel: str, external_id: str) -> str | None:
        """Where a recorded update stands (`pending`, `done`, …), None if never recorded."""
        with self.db.transaction() as s:
            return s.scalar(
                select(InboxUpdate.status).where(
                    InboxUpdate.channel == channel, InboxUpdate.external_id == external_id
                )
            )

    def pending(self, limit: int = 10_000) -> list[Item]:
        """What was recorded but not handled (after a restart), oldest first."""
        with self.db.transaction() as s:
            rows = s.execute(
                select(
                    InboxUpdate.id,
                    InboxUpdate.channel,
                    InboxUpdate.actor,
                    InboxUpdate.payload,
                    InboxUpdate.attempts,
                )
                .where(InboxUpdate.status == "pending")
                .order_by(InboxUpdate.id)
                .limit(limit)
            ).all()
        return [Item(r.id, r.channel, r.actor, r.payload, attempts=r.attempts) for r in rows]

    def claim(self, limit: int = 32) -> list[Item]:
        """Shared mode: lease the oldest pending item of each actor that nobody holds. An
        actor's next item becomes claimable only when the one before it left `pending`, so
        one person's updates run one at a time and in order, across processes."""
        now = self.clock.now()
        earlier = aliased(InboxUpdate)
        head = (
            select(InboxUpdate.id)
            .where(
                InboxUpdate.status == "pending",
                (InboxUpdate.lease_until.is_(None)) | (InboxUpdate.lease_until < now),
                ~exists().where(
                    and_(
                        earlier.actor == InboxUpdate.actor,
                        earlier.status == "pending",
                        earlier.id < InboxUpdate.id,
                    )
                ),
            )
            .order_by(InboxUpdate.id)
            .limit(limit)
        )
        if self._dialect == "postgresql":
            head = head.with_for_update(skip_locked=True)
        stmt = (
            update(InboxUpdate)
            .where(InboxUpdate.id.in_(head.scalar_subquery()))
            .values(lease_until=now + self.lease, attempts=InboxUpdate.attempts + 1)
            .returning(
                InboxUpdate.id,
                InboxUpdate.channel,
                InboxUpdate.actor,
                InboxUpdate.payload,
                InboxUpdate.attempts,
            )
        )
        with self.db.transaction() as s:
            rows = sorted(s.execute(stmt).all(), key=lambda r: r.id)
        return [Item(r.id, r.channel, r.actor, r.payload, attempts=r.attempts) for r in rows]


Handler = Callable[[Item], Awaitable[None]]
Handlers = Mapping[str, Handler]


class Dispatcher:
    """Runs the channel handlers over inbox items: one at a time per actor, in order; up to
    `concurrency` actors at once. A database outage pauses an item (it stays pending and
    is tried again); an item whose handler fails for another reason is set aside as
    `failed` with the error, so nobody behind it waits forever."""

    def __init__(
        self,
        inbox: Inbox,
        handlers: Handlers,
        concurrency: int = 32,
        retry_delay: float = 1.0,
    ) -> None:
        self.inbox = inbox
        self.handlers = handlers
        self.retry_delay = retry_delay
        self._sem = asyncio.Semaphore(concurrency)
        self._queues: dict[str, deque[Item]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._known: set[int] = set()
        self._outage_logged = False
        self.idle = asyncio.Event()
        self.idle.set()
        self._claimer: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    @property
    def busy(self) -> int:
        """Items queued or being handled (tests wait for zero)."""
        return sum(len(q) for q in self._queues.values())

    def submit(self, items: Iterable[Item]) -> None:
        for item in items:
            if item.id in self._known:
                continue
            self._known.add(item.id)
            self._queues.setdefault(item.actor, deque()).append(item)
            if item.actor not in self._tasks:
                self._tasks[item.actor] = asyncio.create_task(
                    self._run_actor(item.actor), name=f"inbox:{item.actor}"
                )
        if self._queues:
            self.idle.clear()

    async def _run_actor(self, actor: str) -> None:
        queue = self._queues[actor]
        try:
            while queue:
                item = queue[0]
                async with self._sem:
                    finished = await self._handle(item)
                if finished:
                    queue.popleft()
                    self._known.discard(item.id)
                else:
                    await asyncio.sleep(self.retry_delay)
        finally:
            self._tasks.pop(actor, None)
            if not queue:
                self._queues.pop(actor, None)
            if not self._queues:
                self.idle.set()
                self._wake.set()

    async def _handle(self, item: Item) -> bool:
        """True when the item is finished (done, skipped or failed); False to try again."""
        handler = self.handlers.get(item.channel)
        token = current_item.set(item)
        try:
            if handler is None:
                await self.inbox.db.run(self.inbox.settle, item, "skipped", "no channel")
                return True
            await handler(item)
            if not item.done:  # not marked by a handler: unused kind, unreadable, or a status
                await self.inbox.db.run(self.inbox.settle, item, item.status, item.error)
            self._outage_logged = False
            return True
        except Exception as exc:
            if is_transient(exc):
                if not self._outage_logged:
                    log.warning(
                        "database unavailable; update %s waits: %s",
                        item.id,
                        exc.__class__.__name__,
                    )
                    self._outage_logged = True
                return False
            log.exception(
                "update %s (%s) could not be handled; set aside",
                item.id,
                item.channel,
            )
            with contextlib.suppress(Exception):
                await self.inbox.db.run(self.inbox.settle, item, "failed", repr(exc)[:500])
            return True
        finally:
            current_item.reset(token)

    # --- shared mode ------------------------------------------------------------------------
    def start_claiming(self, interval: float = 0.05, batch: int = 32) -> None:
        """Several processes share the inbox: claim leased items instead of being fed."""
        self._claimer = asyncio.create_task(self._claim_loop(interval, batch), name="inbox-claim")

    def wake(self) -> None:
        self._wake.set()

    async def _claim_loop(self, interval: float, batch: int) -> None:
        while True:
            self._wake.clear()
            room = max(0, batch - self.busy)
            got: list[Item] = []
            if room:
                try:
                    got = await self.inbox.db.run(self.inbox.claim, room)
                except Exception as exc:
                    if not is_transient(exc):
                        log.exception("inbox claim failed")
                    await asyncio.sleep(1.0)
                    continue
            if got:
                self.submit(got)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval)

    async def stop(self) -> None:
        tasks = list(self._tasks.values()) + ([self._claimer] if self._claimer else [])
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._claimer = None
