"""Wiring: one `Runtime` holds the database, the core, the Telegram application, the outbox
worker and the scheduler, and starts and stops them together."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import bot.features  # noqa: F401  (registers every command, button and form on the router)
from bot.clock import Clock, SystemClock
from bot.core import Core, Inbound, Outcome
from bot.messaging.delivery import DeliveryWorker, Sender
from bot.settings import Settings
from db.engine import Database

log = logging.getLogger(__name__)

MENU_COMMANDS = ("isi", "status", "bantuan", "saya", "minta", "laporan", "arsip")


class Runtime:
    """Everything the bot runs, built from settings; one per process (or per test)."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        from handlers.telegram import TelegramSender, build_application

        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.db = Database(settings.db_url)
        self.core = Core(self.db, settings, self.clock)
        self.application = build_application(self)
        senders: dict[str, Sender] = {
            "telegram": TelegramSender(self.application.bot, settings.telegram_chat_rate)
        }
        self.whatsapp = None
        if settings.whatsapp_enabled:
            from handlers.whatsapp import WhatsAppChannel

            self.whatsapp = WhatsAppChannel(self)
            senders["whatsapp"] = self.whatsapp
        self.delivery = DeliveryWorker(
            self.db, self.clock, senders, file_root=str(settings.data_dir)
        )
        from scheduler.service import ReminderScheduler

        self.scheduler = ReminderScheduler(self)
        self.started = asyncio.Event()
        self.inflight = 0  # updates being handled right now (tests wait for zero)

    async def on_start(self, app: Any) -> None:
        from bot.router import router
        from handlers.telegram import set_commands

        self.core.bot_username = app.bot.username or ""
        await set_commands(
            app.bot, {c: router.commands[c].help for c in MENU_COMMANDS if c in router.commands}
        )
        await self.delivery.start()
        self.scheduler.start()
        self.started.set()

    async def on_stop(self, app: Any) -> None:
        self.scheduler.shutdown()
        await self.delivery.stop()
        if self.whatsapp is not None:
            await self.whatsapp.client.aclose()

    async def handle(self, inbound: Inbound) -> Outcome:
        """Run the core off the event loop (it does blocking database and file I/O)."""
        outcome = await asyncio.to_thread(self.core.handle, inbound)
        if self.core.reminders_changed:
            self.scheduler.sync()
        self.delivery.wake()
        return outcome
