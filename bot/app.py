"""Wiring: one `Runtime` holds the database, the core with its features, the channels, the
message path (inbox, dispatcher, delivery, leader) and the scheduler, and starts and stops
them together. It sits above everything it wires; nothing below imports it.

A process plays one of two roles:
- `all` (the default): handles updates, and when it leads (always on SQLite; the holder of
  the PostgreSQL advisory lock otherwise) also polls Telegram, delivers the outbox and runs
  the scheduler;
- `worker`: only handles updates from the shared inbox (PostgreSQL, several processes).
With `shared`, updates are claimed from the inbox table with leases (several processes);
otherwise this process's intake hands them straight to its own dispatcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
from datetime import datetime
from typing import Any

import bot.features  # noqa: F401  (registers every command, button and form on the router)
from bot.clock import Clock, SystemClock
from bot.core import Core, Inbound, Outcome
from bot.logsafe import install_log_redaction
from bot.messaging import outbox
from bot.messaging.delivery import DeliveryWorker, Sender
from bot.messaging.inbox import Dispatcher, Inbox, Item, current_item, is_transient
from bot.messaging.leader import Leader
from bot.procedure.calendar import warm_holidays
from bot.router import light, router
from bot.settings import Settings
from db.engine import Database
from handlers.telegram import TelegramChannel, set_commands
from scheduler.service import ReminderScheduler

log = logging.getLogger(__name__)

MENU_COMMANDS = ("isi", "status", "bantuan", "saya", "minta", "laporan", "arsip")


class Runtime:
    """Everything the bot runs, built from settings; one per process (or per test)."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        *,
        role: str = "all",
        shared: bool = False,
    ) -> None:
        install_log_redaction(settings.secret_values())
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.role, self.shared = role, shared
        self.db = Database(settings.db_url)
        self.core = Core(self.db, settings, self.clock)
        self.inbox = Inbox(self.db, self.clock, lease_seconds=settings.inbox_lease_seconds)
        max_bytes = self.core.files.max_bytes
        self.telegram = TelegramChannel(settings, self.handle, self.intake, max_bytes)
        senders: dict[str, Sender] = {"telegram": self.telegram.sender}
        handlers = {"telegram": self.telegram.process}
        self.whatsapp = None
        if settings.whatsapp_enabled:
            from handlers.whatsapp import WhatsAppChannel

            self.whatsapp = WhatsAppChannel(
                settings, self.db, self.clock, self.handle, self.intake, max_bytes
            )
            senders["whatsapp"] = self.whatsapp
            handlers["whatsapp"] = self.whatsapp.process
        from handlers.miniapp import CHANNEL, MiniApp

        # the section's form as a Telegram Mini App: its requests are updates of their own
        self.miniapp = MiniApp(self.core, self.inbox, self.clock, self.handle, self.intake)
        handlers[CHANNEL] = self.miniapp.process
        self.delivery = DeliveryWorker(
            self.db,
            self.clock,
            senders,
            file_root=str(settings.data_dir),
            sweep_interval=0.25 if shared else 2.0,  # shared: other processes' replies
        )
        self.dispatcher = Dispatcher(self.inbox, handlers)
        self.scheduler = ReminderScheduler(self.core)
        self.leader = Leader(self.db)
        self._stop = asyncio.Event()
        self._leading: list[asyncio.Task[None]] = []
        self._leader_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sync_pending = False
        self._sync_changes: dict[str, datetime | None] = {}
        self.started = asyncio.Event()
        outbox.watch(self.db, self._outbox_committed)
        self.core.watch_reminders(self._reminders_committed)

    @property
    def application(self) -> Any:
        return self.telegram.app

    def web_routes(self) -> list[Any]:
        """Routes served beside the webhooks: the read-only dashboard and the Mini App."""
        from handlers.dashboard import dashboard_routes

        dashboard = dashboard_routes(self.db, self.settings, self.clock, self.core.files)
        return [*dashboard, *self.miniapp.routes()]

    # --- the message path ---------------------------------------------------------------
    async def intake(
        self, channel: str, entries: list[tuple[str, str, dict[str, Any]]]
    ) -> list[Item]:
        """Record updates durably; hand the new ones to this process's dispatcher (several
        processes: wake the claimer). Returned once written: the channel may confirm them."""
        items = await self.db.run(self.inbox.record, channel, entries) if entries else []
        if self.shared:
            self.dispatcher.wake()
        else:
            self.dispatcher.submit(items)
        return items

    async def _poll_intake(
        self, channel: str, entries: list[tuple[str, str, dict[str, Any]]]
    ) -> list[Item]:
        """Polling: keep trying while the database is down (the updates stay unconfirmed)."""
        logged = False
        while True:
            try:
                return await self.intake(channel, entries)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if not logged:
                    log.warning("database unavailable; %d update(s) kept unconfirmed", len(entries))
                    logged = True
                await asyncio.sleep(1.0)

    async def handle(self, inbound: Inbound) -> Outcome:
        """Run the core (blocking database and file I/O): a light update where the database
        runs its work (`Database.run`: on SQLite on the loop itself when the database is
        free, on PostgreSQL in a thread), anything else in a thread, so a report being built
        never holds the loop. A database outage is kept on the inbox item, so the channel
        adapter can raise it past its library's own error handling and the update is tried
        again."""
        item = current_item.get()
        run = self.db.run if light(inbound) else asyncio.to_thread
        try:
            return await run(self.core.handle, inbound, item)
        except Exception as exc:
            if item is not None and is_transient(exc):
                item.outage = exc
            raise

    def _outbox_committed(self, rows: list[outbox.NewMessage]) -> None:
        """Rows just committed (in whichever thread committed them): straight to delivery,
        when this process delivers. With several processes a handler's replies are found by
        the leader's sweep, in the order of the rows: a reply of this process must not
        overtake an earlier reply to the same person written by another."""
        if not self.leader.held or (self.shared and current_item.get() is not None):
            return
        self.delivery.submit_threadsafe([(r.id, r.channel, r.chat_id) for r in rows if r.id])

    def _reminders_committed(self, changes: dict[str, datetime | None]) -> None:
        """Reminders changed (any thread): bring their jobs in step, off the loop. Bursts
        are gathered: one update of the jobs at a time, with what changed meanwhile."""
        loop = self._loop
        if not self.leader.held or loop is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._gather_reminder_changes, changes)

    def _gather_reminder_changes(self, changes: dict[str, datetime | None]) -> None:
        self._sync_changes.update(changes)
        if not self._sync_pending:
            self._sync_pending = True
            asyncio.ensure_future(self._sync_scheduler())

    @property
    def scheduler_syncing(self) -> bool:
        """An update of the scheduler's jobs is due or running (tests wait for it)."""
        return self._sync_pending

    async def _sync_scheduler(self) -> None:
        try:
            while self._sync_changes:
                await asyncio.sleep(0.05)  # let a burst of changes gather
                changes, self._sync_changes = self._sync_changes, {}
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self.scheduler.apply, changes)
        finally:
            self._sync_pending = False

    # --- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop.clear()
        await self.telegram.app.initialize()
        self.core.bot_username = self.telegram.bot.username or ""
        if self.shared:
            self.dispatcher.start_claiming()
        else:
            self.dispatcher.submit(await self.db.run(self.inbox.pending))
        self._leader_task = asyncio.create_task(
            self.leader.run(self._elected, self._deposed, self._stop, eligible=self.role == "all"),
            name="leader",
        )
        if self.role == "all" and self.db.engine.dialect.name != "postgresql":
            started = asyncio.ensure_future(self.started.wait())
            await asyncio.wait({started, self._leader_task}, return_when=asyncio.FIRST_COMPLETED)
            if self._leader_task.done():
                started.cancel()
                self._leader_task.result()  # raises what went wrong
        else:
            self.started.set()

    async def _elected(self) -> None:
        """This process now runs the singletons: the poller, delivery and the scheduler."""
        s = self.settings
        with contextlib.suppress(Exception):
            await set_commands(
                self.telegram.bot,
                {c: router.commands[c].help for c in MENU_COMMANDS if c in router.commands},
            )
        await self.delivery.start()
        await asyncio.to_thread(self.scheduler.start)
        if s.webhook_url:
            await self.telegram.bot.set_webhook(
                f"{s.webhook_url.rstrip('/')}/telegram",
                secret_token=s.webhook_secret or None,
                allowed_updates=["message", "callback_query"],
            )
        else:
            self.telegram.record = self._poll_intake
            self._leading.append(
                asyncio.create_task(self.telegram.poll(self._stop), name="telegram-poll")
            )
        if self.shared:
            self._leading.append(asyncio.create_task(self._reconcile(), name="reconcile"))
        self._leading.append(asyncio.create_task(self._digests(), name="digests"))
        self.started.set()

    async def _digests(self, every: float = 900.0) -> None:
        """The kabupaten's weekly digest: looked at every quarter hour; it goes out once per
        person and week, on the first working morning (bot/reports/digest.py decides)."""
        from bot.reports.digest import send_weekly_digests

        while True:
            await asyncio.sleep(every)  # first look a quarter hour after taking the lead
            try:
                await asyncio.to_thread(send_weekly_digests, self.core, self.clock.now())
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("weekly digest failed")

    async def _reconcile(self, every: float = 5.0) -> None:
        """Other processes change reminders and queue messages: look regularly."""
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.scheduler.sync)
            self.delivery.wake()

    async def _deposed(self) -> None:
        for task in self._leading:
            task.cancel()
        for task in self._leading:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._leading.clear()
        await asyncio.to_thread(self.scheduler.shutdown)
        await self.delivery.stop()

    @staticmethod
    def freeze_startup_objects() -> None:
        """Once per process, after start-up: what start-up built (modules, mappers, the
        Application) lives as long as the process, so keep it out of the garbage collector's
        full passes, which otherwise walk it all and stall the event loop for a few hundred
        milliseconds (seen in the 1,000-reminder fan-out). Not for tests, which build many
        runtimes in one process.

        Also loads this year's and next year's public holidays, in a thread: the `holidays`
        package takes about 90 ms the first time (its Indonesian calendar and the lunar
        ones it needs), which the first deadline computed after a start would otherwise
        pay in the middle of someone's [Kirim]."""
        gc.collect()
        gc.freeze()
        threading.Thread(target=warm_holidays, name="holidays", daemon=True).start()

    async def stop(self) -> None:
        self._stop.set()
        if self._leader_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._leader_task
            self._leader_task = None
        await self.dispatcher.stop()
        with contextlib.suppress(Exception):
            await self.telegram.app.shutdown()
        if self.whatsapp is not None:
            await self.whatsapp.client.aclose()
        self.db.dispose()
