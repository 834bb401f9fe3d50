"""Delivering the outbox (docs/design-notes.md, decision 3): in order per chat, one message per chat at a
time, within the channels' limits, retried on 429 (after `retry_after`), 5xx, timeouts and
connection resets.

The crash window is one message wide per chat. A row is marked `sending` (committed) only
immediately before its request, and `sent` with the remote message id after it. A crash
between the two leaves that one row `sending`: on start-up it is put back in the queue and
sent again once (`resent` counts it) — it may show twice, since Telegram has no idempotency
key; a message never attempted is simply sent. Edits are idempotent and simply retried.
A handler's reply is written `pending` with its change; the rows a transaction wrote are
handed to delivery as soon as it commits (`outbox.watch`), so nobody waits for the sweep.

Marks are batched: the rows of many chats become `sending` (or `sent`) in one transaction,
run off the event loop, so a fan-out costs a few commits per batch, not two per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.messaging import detached, outbox
from bot.procedure.roles import Role, holders
from bot.texts import t
from db.engine import Database
from db.models import Office, Outbox, Person, StoredFile

log = logging.getLogger(__name__)


@dataclass
class Message:
    """What a channel sender needs to deliver one outbox row."""

    id: int
    chat_id: str
    kind: str  # text | document | photo | edit
    text: str | None
    buttons: outbox.Buttons
    file_path: str | None = None
    file_name: str | None = None
    file_mime: str | None = None
    edit_remote_id: str | None = None
    template: dict | None = None
    attempts: int = 0
    file_id: int | None = None  # still to look up: the stored file's path, name and type
    edit_of_id: int | None = None  # still to look up: the original's remote message id

    @classmethod
    def of(cls, row: Any) -> Message:
        """From an outbox row (or the row `_take` returned); its file and original are
        looked up by `DeliveryWorker._complete`."""
        template = dict(row.template or {})
        return cls(
            row.id,
            row.chat_id,
            row.kind,
            row.text,
            row.buttons or [],
            template=template or None,
            attempts=row.attempts,
            edit_remote_id=template.get("edit_remote"),
            file_id=row.file_id,
            edit_of_id=row.edit_of_id,
        )


class Retry(Exception):
    """Try again after `delay` seconds (rate limit, server error, timeout)."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


class Undeliverable(Exception):
    """Will never succeed (blocked, chat not found, bad request): report, do not retry."""


class Reroute(Exception):
    """Cannot go on this channel, but the person is reachable on another one."""

    def __init__(self, reason: str, channel: str, chat_id: str) -> None:
        super().__init__(reason)
        self.channel, self.chat_id = channel, chat_id


class Defer(Exception):
    """Not now: a quota is used up until `until` (business time). Not a failed attempt."""

    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.until = until


class Sender(Protocol):
    async def send(self, msg: Message) -> str:
        """Deliver and return the remote message id; raise Retry or Undeliverable."""
        ...


@dataclass(frozen=True)
class Plain:
    """A database operation of plain statements only: it runs on a bare connection, so a
    batch of them needs no ORM session (the `sent` mark of every message is one)."""

    run: Callable[[Connection], Any]
    # one statement, which may commit on its own (`Database.single_statement`)
    single: bool = False


Op = Callable[[Session], Any] | Plain


# Once per message, built once and run as plain statements: a row taken (`sending`, just
# before its request, returning what the request needs) and marked `sent`.
_TAKE = (
    update(Outbox)
    .where(Outbox.id == bindparam("row"), Outbox.status == "pending")
    .values(status="sending", attempts=Outbox.attempts + 1)
    .returning(
        Outbox.id,
        Outbox.chat_id,
        Outbox.kind,
        Outbox.text,
        Outbox.buttons,
        Outbox.file_id,
        Outbox.edit_of_id,
        Outbox.template,
        Outbox.attempts,
    )
)
_SENT = (
    update(Outbox)
    .where(Outbox.id == bindparam("row"))
    .values(status="sent", remote_id=bindparam("remote"), sent_at=bindparam("at"), error=None)
)
# a message whose text carries a secret: marked sent with its masked text (`outbox.KEEP_TEXT`)
_SENT_KEEP = _SENT.values(text=bindparam("keep"))
# What a request needs besides its row: the stored file; the original an edit names.
_FILE = select(StoredFile.path, StoredFile.name, StoredFile.mime).where(
    StoredFile.id == bindparam("file")
)
_ORIGINAL = select(Outbox.remote_id, Outbox.status).where(Outbox.id == bindparam("row"))
_NOT_NOW = (  # an edit whose original is not out: pending again, or failed with it
    update(Outbox)
    .where(Outbox.id == bindparam("row"))
    .values(
        status=bindparam("status"),
        attempts=Outbox.attempts - 1,
        error=bindparam("error"),
        reported=bindparam("reported"),
    )
)


class Batcher:
    """Runs small database operations from many tasks in one transaction (`Database.run`)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._ops: list[tuple[Op, asyncio.Future[Any]]] = []
        self._running: asyncio.Task[None] | None = None

    async def run(self, op: Op) -> Any:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._ops.append((op, fut))
        if self._running is None:
            self._running = detached(self._flush())
        return await fut

    async def _flush(self) -> None:
        try:
            while self._ops:
                await asyncio.sleep(0)  # let the other ready tasks add theirs
                batch, self._ops = self._ops, []
                try:
                    results = await self.db.run(self._apply, [op for op, _ in batch])
                except Exception as exc:
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(exc)
                    continue
                for (_, fut), res in zip(batch, results, strict=True):
                    if not fut.done():
                        fut.set_result(res)
        finally:
            self._running = None

    def _apply(self, ops: list[Op]) -> list[Any]:
        if len(ops) == 1 and isinstance(ops[0], Plain) and ops[0].single:
            with self.db.single_statement() as conn:  # one message's mark: the common case
                return [ops[0].run(conn)]
        if all(isinstance(op, Plain) for op in ops):
            with self.db.plain_transaction() as conn:
                return [op.run(conn) for op in ops]  # type: ignore[union-attr]
        with self.db.transaction() as s:
            return [op.run(s.connection()) if isinstance(op, Plain) else op(s) for op in ops]


class DeliveryWorker:
    """Sends outbox rows through the channel senders: a queue per chat, chats in parallel."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        senders: dict[str, Sender],
        file_root: str,
        max_attempts: int = 12,
        backoff: float = 0.5,
        sweep_interval: float = 2.0,
        max_inflight: int = 12,
    ) -> None:
        self.db = db
        self.clock = clock
        self.senders = senders
        self.file_root = file_root
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.sweep_interval = sweep_interval
        self.marks = Batcher(db)
        self._inflight = asyncio.Semaphore(max_inflight)
        self._chats: dict[str, deque[int]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._known: set[int] = set()
        self.running = False  # started (what a crash left `sending` is recovered) and not stopped
        self._wake = asyncio.Event()
        self._sweeper: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outage_logged = False
        self.idle = asyncio.Event()
        self.idle.set()
        self.on_failed: list[Callable[[int], Awaitable[None] | None]] = []

    # --- feeding ------------------------------------------------------------------------
    def submit(self, rows: list[tuple[int, str, str]]) -> None:
        """New rows (id, channel, chat id), e.g. just committed by a handler."""
        for row_id, channel, chat_id in rows:
            if row_id in self._known or channel not in self.senders:
                continue
            self._known.add(row_id)
            key = f"{channel}:{chat_id}"
            self._chats.setdefault(key, deque()).append(row_id)
            if key not in self._tasks:
                self._tasks[key] = detached(self._run_chat(key), name=f"send:{key}")
        if self._chats:
            self.idle.clear()

    def submit_threadsafe(self, rows: list[tuple[int, str, str]]) -> None:
        """From a worker thread (the core, the scheduler): hand rows to the event loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.submit, rows)

    def wake(self) -> None:
        """Look in the database for due rows now (written elsewhere, or due again)."""
        self._wake.set()

    @property
    def busy(self) -> int:
        return sum(len(q) for q in self._chats.values())

    # --- lifecycle --------------------------------------------------------------------------
    def recover(self) -> int:
        """After a crash: a row left `sending` may or may not have arrived. Put it back to be
        sent again once, and record that it was (it may show twice)."""
        with self.db.transaction() as s:
            res = s.execute(
                update(Outbox)
                .where(Outbox.status == "sending")
                .values(
                    status="pending",
                    resent=Outbox.resent + 1,
                    error=t("delivery_resent"),
                )
            )
            return int(res.rowcount or 0)  # type: ignore[attr-defined]

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        n = await self.db.run(self.recover)
        if n:
            log.warning("%d message(s) in doubt after a stop; sending them again once", n)
        self.running = True
        self._sweeper = detached(self._sweep_loop(), name="outbox-sweep")

    async def stop(self) -> None:
        self.running = False
        tasks = list(self._tasks.values()) + ([self._sweeper] if self._sweeper else [])
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._sweeper = None
        self._tasks.clear()
        self._chats.clear()
        self._known.clear()
        self.idle.set()

    async def _sweep_loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                rows = await self.db.run(self._due_rows)
                self._outage_logged = False
                self.submit(rows)
            except Exception as exc:
                if not self._outage_logged:
                    log.warning("outbox sweep failed (database?): %s", exc.__class__.__name__)
                    self._outage_logged = True
            if not self._chats:
                self.idle.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.sweep_interval)

    def _due_rows(self) -> list[tuple[int, str, str]]:
        with self.db.transaction() as s:
            return [
                (r.id, r.channel, r.chat_id)
                for r in s.execute(
                    select(Outbox.id, Outbox.channel, Outbox.chat_id)
                    .where(
                        Outbox.status == "pending",
                        Outbox.channel.in_(list(self.senders)),
                        Outbox.next_attempt_at <= self.clock.now(),
                    )
                    .order_by(Outbox.id)
                    .limit(5000)
                )
            ]

    async def drain(self, timeout: float = 30.0) -> None:
        """Until nothing is queued (tests, demo and shutdown)."""
        async with asyncio.timeout(timeout):
            self.wake()
            await asyncio.sleep(0)
            while self._chats or self._wake.is_set():
                await asyncio.sleep(0.005)

    # --- one chat -------------------------------------------------------------------------
    async def _run_chat(self, key: str) -> None:
        queue = self._chats[key]
        sender = self.senders[key.split(":", 1)[0]]
        try:
            while queue:
                row_id = queue[0]
                try:
                    # few rows in flight at once, across chats: a row is marked `sending` only
                    # when its request can leave soon (not while it queues behind the channel's
                    # overall rate limit), so after a crash `resent` names the rows that
                    # really were under way
                    async with self._inflight:
                        outcome = await self._deliver(sender, row_id)
                except asyncio.CancelledError:
                    raise
                except Exception:  # a bug: leave the row to the next sweep, keep the worker
                    log.exception("delivery of outbox %s failed; the sweep tries again", row_id)
                    self._let_go(queue)
                    break
                if outcome == "defer":  # keep the chat's order: the rest waits too
                    self._let_go(queue)
                    break
                queue.popleft()
                self._known.discard(row_id)
        finally:
            self._tasks.pop(key, None)
            if not queue:
                self._chats.pop(key, None)
            if not self._chats:
                self.idle.set()

    def _let_go(self, queue: deque[int]) -> None:
        """Give a chat's queued rows back to the sweep (in order, later)."""
        for rid in queue:
            self._known.discard(rid)
        queue.clear()

    async def _db(self, op: Op) -> Any:
        """A mark, retried until the database takes it (an outage pauses, never loses)."""
        delay = 0.2
        while True:
            try:
                return await self.marks.run(op)
            except Exception as exc:
                from bot.messaging.inbox import is_transient

                if not is_transient(exc):
                    raise
                if not self._outage_logged:
                    log.warning("database unavailable; delivery waits: %s", exc.__class__.__name__)
                    self._outage_logged = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _take(self, conn: Connection, row_id: int) -> Message | None | str:
        """Mark a row `sending` just before its request (one UPDATE … RETURNING); the message
        to send, None when it is not pending any more, or "wait" for an edit whose original
        is not out yet."""
        row = conn.execute(_TAKE, {"row": row_id}).first()
        if row is None:
            return None
        return self._complete(conn, Message.of(row))

    def _complete(self, conn: Connection, msg: Message) -> Message | None | str:
        """Look up what a `sending` row's request needs besides the row: its stored file,
        the original an edit names. None when the original failed (the edit fails too), or
        "wait" (the row is pending again) while the original is not out yet."""
        if msg.file_id is not None:
            f = conn.execute(_FILE, {"file": msg.file_id}).one()
            msg.file_path = f"{self.file_root}/{f.path}"
            msg.file_name, msg.file_mime = f.name, f.mime
            msg.file_id = None
        if msg.edit_of_id is not None:  # an edit naming the original by its outbox row
            original = conn.execute(_ORIGINAL, {"row": msg.edit_of_id}).first()
            if original is None or original.remote_id is None:
                waiting = original is not None and original.status in ("pending", "sending")
                conn.execute(
                    _NOT_NOW,
                    {
                        "row": msg.id,
                        "status": "pending" if waiting else "failed",
                        "error": None if waiting else "pesan asli tidak terkirim",
                        "reported": not waiting,
                    },
                )
                return "wait" if waiting else None
            msg.edit_remote_id, msg.edit_of_id = original.remote_id, None
        return msg

    async def _deliver(self, sender: Sender, row_id: int) -> str:
        while True:
            got = await self._db(Plain(functools.partial(self._take, row_id=row_id)))
            if got is None:
                return "skip"
            if got == "wait":  # an edit whose original is not out yet (pending again)
                await asyncio.sleep(0.05)
                continue
            break
        msg: Message = got
        attempt = 0
        while True:
            try:
                remote_id = await sender.send(msg)
            except Retry as exc:
                attempt += 1
                if msg.attempts + attempt >= self.max_attempts:
                    await self._fail(
                        msg.id, f"gagal setelah {msg.attempts + attempt} percobaan: {exc}"
                    )
                    return "failed"
                delay = exc.delay if exc.delay is not None else self.backoff * 2 ** (attempt - 1)
                await asyncio.sleep(min(delay, 60.0))
                continue
            except Undeliverable as exc:
                await self._fail(msg.id, str(exc))
                return "failed"
            except Defer as exc:
                log.info("outbox %s deferred until %s: %s", msg.id, exc.until, exc)
                await self._db(functools.partial(self._defer, row_id=msg.id, exc=exc))
                return "defer"
            except Reroute as exc:
                await self._db(functools.partial(self._reroute, row_id=msg.id, exc=exc))
                self.wake()
                return "rerouted"
            except Exception as exc:  # a bug in a sender must not stop the worker
                log.exception("sender crashed on outbox %s", msg.id)
                await self._fail(msg.id, f"kesalahan internal: {exc}")
                return "failed"
            keep = (msg.template or {}).get(outbox.KEEP_TEXT)
            await self._db(self._sent_op(msg.id, remote_id, self.clock.now(), keep))
            return "sent"

    @staticmethod
    def _sent_op(row_id: int, remote_id: str, now: datetime, keep: str | None = None) -> Plain:
        params = {"row": row_id, "remote": remote_id, "at": now}
        if keep is not None:
            return Plain(lambda c: c.execute(_SENT_KEEP, {**params, "keep": keep}), single=True)
        return Plain(lambda c: c.execute(_SENT, params), single=True)

    def _defer(self, s: Session, row_id: int, exc: Defer) -> None:
        """Back to pending until the quota frees, with the chat's later rows behind it."""
        row = s.get(Outbox, row_id)
        assert row is not None
        row.status, row.attempts, row.error = "pending", max(0, row.attempts - 1), str(exc)
        row.next_attempt_at = exc.until
        s.execute(
            update(Outbox)
            .where(
                Outbox.channel == row.channel,
                Outbox.chat_id == row.chat_id,
                Outbox.status == "pending",
                Outbox.id > row_id,
                Outbox.next_attempt_at < exc.until,
            )
            .values(next_attempt_at=exc.until)
        )

    def _reroute(self, s: Session, row_id: int, exc: Reroute) -> None:
        """Record why, and queue the same message on the other channel."""
        row = s.get(Outbox, row_id)
        assert row is not None
        row.status, row.error = "rerouted", str(exc)
        outbox.copy(s, row, now=self.clock.now(), channel=exc.channel, chat_id=exc.chat_id)
        outbox.mask(row)

    async def _fail(self, row_id: int, error: str) -> None:
        """Mark failed and tell the admin and the Kasubag Program who could not be reached."""

        def op(s: Session) -> None:
            row = s.get(Outbox, row_id)
            assert row is not None
            row.status, row.error = "failed", error
            outbox.mask(row)
            report_failure(s, row, self.clock.now())

        await self._db(op)
        self.wake()


def report_failure(s: Session, row: Outbox, now: datetime) -> None:
    """Queue a notice about an undeliverable message, once, never about a notice itself."""
    if row.reported or row.office_id is None or (row.template or {}).get("failure_notice"):
        return
    row.reported = True
    office = s.get(Office, row.office_id)
    assert office is not None
    who = s.get(Person, row.person_id) if row.person_id else None
    target = who.name if who else f"grup/chat {row.chat_id}"
    text = t("delivery_failed", who=target, reason=row.error or "-")
    today = now.date()
    notified: set[int] = set()
    for role in (Role.ADMIN, Role.KASUBAG_PROGRAM):
        for h in holders(s, office.id, role, today):
            if h.person.id in notified or (who and h.person.id == who.id):
                continue
            notified.add(h.person.id)
            outbox.to_person(s, h.person, text, now, template={"failure_notice": True})
