"""Delivering the outbox: once, in order per chat, within the channel's limits.

The worker marks a row `sending` (committed) before it calls the channel, then `sent` with
the remote message id. A crash between the two leaves `sending`: on start-up such rows become
`uncertain` and are reported, not resent — at most once. The remaining window: a request
that timed out may still have been accepted by Telegram; we retry it (Telegram has no
idempotency key), so a timeout can, rarely, show a message twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.messaging import outbox
from bot.roles import Role, holders
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


class DeliveryWorker:
    """Sends due outbox rows through the channel senders, concurrently across chats."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        senders: dict[str, Sender],
        file_root: str,
        max_attempts: int = 6,
        backoff: float = 0.5,
        batch: int = 200,
    ) -> None:
        self.db = db
        self.clock = clock
        self.senders = senders
        self.file_root = file_root
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.idle = asyncio.Event()
        self.on_failed: list[Callable[[int], Awaitable[None] | None]] = []

    def wake(self) -> None:
        self._wake.set()

    def recover(self) -> int:
        """After a crash: rows left `sending` may or may not have arrived; never resend them."""
        with self.db.transaction() as s:
            rows = list(s.scalars(select(Outbox).where(Outbox.status == "sending")))
            for row in rows:
                row.status = "uncertain"
                row.error = "bot berhenti saat mengirim; mungkin sudah terkirim"
        return len(rows)

    async def start(self) -> None:
        self.recover()
        self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # before looking: a wake during the round is not lost
            try:
                n = await self.deliver_due()
            except Exception:
                log.exception("outbox delivery round failed")
                n = 0
            if n == 0:
                self.idle.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=2.0)
                self.idle.clear()

    async def drain(self, timeout: float = 30.0) -> None:
        """Until nothing is due (tests, demo and shutdown)."""
        async with asyncio.timeout(timeout):
            while await self.deliver_due():
                pass

    def _claim(self) -> dict[str, list[Message]]:
        """Take due rows, oldest first, grouped by chat; mark them `sending`."""
        now = self.clock.now()
        by_chat: dict[str, list[Message]] = defaultdict(list)
        with self.db.transaction() as s:
            rows = s.scalars(
                select(Outbox)
                .where(
                    Outbox.status == "pending",
                    Outbox.channel.in_(list(self.senders)),
                    Outbox.next_attempt_at <= now,
                )
                .order_by(Outbox.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                msg = Message(
                    row.id,
                    row.chat_id,
                    row.kind,
                    row.text,
                    row.buttons,
                    template=row.template or None,
                )
                if row.file_id is not None:
                    f = s.get(StoredFile, row.file_id)
                    assert f is not None
                    msg.file_path = f"{self.file_root}/{f.path}"
                    msg.file_name, msg.file_mime = f.name, f.mime
                if row.edit_of_id is not None:
                    original = s.get(Outbox, row.edit_of_id)
                    if original is None or original.remote_id is None:
                        if original is not None and original.status == "pending":
                            continue  # wait until the original is out
                        row.status, row.error = "failed", "pesan asli tidak terkirim"
                        row.reported = True
                        continue
                    msg.edit_remote_id = original.remote_id
                row.status = "sending"
                row.attempts += 1
                row.next_attempt_at = now
                by_chat[f"{row.channel}:{row.chat_id}"].append(msg)
        return by_chat

    async def deliver_due(self) -> int:
        """One round: send what is due; returns how many rows were handled."""
        by_chat = self._claim()
        if not by_chat:
            return 0
        await asyncio.gather(*(self._send_chat(key, msgs) for key, msgs in by_chat.items()))
        return sum(len(v) for v in by_chat.values())

    async def _send_chat(self, key: str, msgs: list[Message]) -> None:
        channel = key.split(":", 1)[0]
        sender = self.senders[channel]
        for i, msg in enumerate(msgs):
            try:
                await self._send_one(sender, msg)
            except Defer as exc:
                # keep order: this message and the rest of the chat wait until the quota frees
                log.info("outbox %s deferred until %s: %s", msg.id, exc.until, exc)
                self._set_status(
                    [m.id for m in msgs[i:]], "pending", undo_attempt=True, after=exc.until
                )
                with self.db.transaction() as s:
                    s.execute(update(Outbox).where(Outbox.id == msg.id).values(error=str(exc)))
                return

    async def _send_one(self, sender: Sender, msg: Message) -> None:
        attempt = 0
        while True:
            try:
                remote_id = await sender.send(msg)
            except Retry as exc:
                attempt += 1
                attempts = self._attempts(msg.id)
                if attempts >= self.max_attempts:
                    await self._fail(msg.id, f"gagal setelah {attempts} percobaan: {exc}")
                    return
                self._bump_attempt(msg.id, str(exc))
                delay = exc.delay if exc.delay is not None else self.backoff * 2 ** (attempt - 1)
                await asyncio.sleep(min(delay, 60.0))
                continue
            except Undeliverable as exc:
                await self._fail(msg.id, str(exc))
                return
            except Defer:
                raise
            except Reroute as exc:
                self._reroute(msg.id, exc)
                return
            except Exception as exc:  # a bug in a sender must not stop the worker
                log.exception("sender crashed on outbox %s", msg.id)
                await self._fail(msg.id, f"kesalahan internal: {exc}")
                return
            with self.db.transaction() as s:
                s.execute(
                    update(Outbox)
                    .where(Outbox.id == msg.id)
                    .values(
                        status="sent", remote_id=remote_id, sent_at=self.clock.now(), error=None
                    )
                )
            return

    def _reroute(self, row_id: int, exc: Reroute) -> None:
        """Record why, and queue the same message on the other channel."""
        with self.db.transaction() as s:
            row = s.get(Outbox, row_id)
            assert row is not None
            row.status, row.error = "rerouted", str(exc)
            outbox.copy(s, row, now=self.clock.now(), channel=exc.channel, chat_id=exc.chat_id)
        self.wake()

    def _attempts(self, row_id: int) -> int:
        with self.db.transaction() as s:
            return s.scalar(select(Outbox.attempts).where(Outbox.id == row_id)) or 0

    def _bump_attempt(self, row_id: int, error: str) -> None:
        with self.db.transaction() as s:
            s.execute(
                update(Outbox)
                .where(Outbox.id == row_id)
                .values(attempts=Outbox.attempts + 1, error=error)
            )

    def _set_status(
        self,
        ids: list[int],
        status: str,
        undo_attempt: bool = False,
        after: datetime | None = None,
    ) -> None:
        if not ids:
            return
        with self.db.transaction() as s:
            values: dict[str, object] = {"status": status}
            if undo_attempt:
                values["attempts"] = Outbox.attempts - 1
            if after is not None:
                values["next_attempt_at"] = after
            s.execute(update(Outbox).where(Outbox.id.in_(ids)).values(**values))

    async def _fail(self, row_id: int, error: str) -> None:
        """Mark failed and tell the admin and the Kasubag Program who could not be reached."""
        with self.db.transaction() as s:
            row = s.get(Outbox, row_id)
            assert row is not None
            row.status, row.error = "failed", error
            report_failure(s, row, self.clock.now())
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
