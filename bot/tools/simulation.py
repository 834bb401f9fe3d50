"""A simulated office: the local Bot API server, the real bot (python-telegram-bot
`Application`, handlers, outbox, scheduler) polling it, and people acting through it.

Used by the tests, the demo and the benchmarks: `await sim.say(camat, "/minta")`,
`await sim.press(sek, "✅ Setujui")`, `sim.texts(camat)`. `settle()` waits until the bot has
handled every update and delivered every queued message — waiting for work, never for time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.app import Runtime
from bot.clock import Clock
from bot.localapi import FakeTelegram
from bot.localapi.whatsapp import FakeWhatsApp
from bot.settings import Settings
from db.engine import Database
from db.models import InboxUpdate, Outbox, Person

GROUP_ID = -100500


@dataclass(frozen=True)
class User:
    """A person as a Telegram user."""

    id: int
    name: str
    nip: str = ""

    @property
    def chat(self) -> int:
        return self.id


class Simulation:
    def __init__(
        self, settings: Settings, clock: Clock, db: Database, token: str, whatsapp: bool = False
    ) -> None:
        self.base_settings = settings
        self.wa: FakeWhatsApp | None = FakeWhatsApp(clock=clock.now) if whatsapp else None
        if self.wa is not None:
            self.wa.bsuid_rules = True  # Meta's 2026 rules: BSUIDs everywhere, numbers in `to`
        self._web: Any = None
        self.clock = clock
        self.db = db
        self.fake = FakeTelegram(token=token, clock=clock.now)
        self.rt: Runtime | None = None
        self.admin = User(9000, "Admin Telegram")

    async def start(self) -> None:
        if self.wa is not None:
            await self.wa.start()
            self.wa.add_template("sakip_pengingat", "id", params=1)
        await self.fake.start()
        self.fake.add_user(self.admin.id, self.admin.name)
        await self.start_bot()

    async def start_bot(self) -> Runtime:
        update: dict[str, Any] = {"telegram_api_url": self.fake.root}
        if self.wa is not None:
            update.update(
                whatsapp_token=self.wa.token,
                whatsapp_phone_id=self.wa.phone_id,
                whatsapp_app_secret=self.wa.app_secret,
                whatsapp_api_url=self.wa.root,
                whatsapp_api_version=self.wa.version,
                whatsapp_verify_token="verify-me",
                whatsapp_template_reminder="sakip_pengingat",
            )
        settings = self.base_settings.model_copy(update=update)
        self.rt = Runtime(settings, self.clock)
        self.rt.telegram.poll_timeout = 1
        await self.rt.start()
        # on PostgreSQL the leader lock is taken in the background: wait until this process
        # leads (polls, delivers, schedules), as a one-process deployment soon does
        async with asyncio.timeout(60):
            while not (self.rt.leader.held and self.rt.scheduler.started):
                await asyncio.sleep(0.01)
        if self.wa is not None:
            await self._start_webhook_server()
        return self.rt

    async def _start_webhook_server(self) -> None:
        """The bot's ASGI app (handlers/web.py) on 127.0.0.1, where WhatsApp posts."""
        import uvicorn

        from handlers.web import create_app

        rt = self.rt
        assert rt is not None and self.wa is not None
        config = uvicorn.Config(
            create_app(
                rt.settings,
                telegram_receive=rt.telegram.receive,
                whatsapp=rt.whatsapp,
                health=lambda: {"ok": True},
                extra_routes=rt.web_routes(),
            ),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        self.wa.set_webhook(f"http://127.0.0.1:{port}/whatsapp")
        self._web = (server, task)

    async def stop_bot(self) -> None:
        if self.rt is None:
            return
        if self._web is not None:
            server, task = self._web
            server.should_exit = True
            await task
            self._web = None
        stopping = asyncio.ensure_future(self.rt.stop())
        await asyncio.sleep(0)
        self.fake.release_pollers()
        await stopping
        self.rt = None

    async def restart_bot(self) -> Runtime:
        await self.settle()
        await self.stop_bot()
        return await self.start_bot()

    async def stop(self) -> None:
        await self.stop_bot()
        await self.fake.stop()
        if self.wa is not None:
            await self.wa.stop()

    # --- people ---------------------------------------------------------------------------
    def person(self, nip: str) -> Person:
        with self.db.transaction() as s:
            p = s.scalar(select(Person).where(Person.nip == nip))
            assert p is not None, nip
            return p

    def user(self, nip: str, link: bool = True) -> User:
        """The person with this NIP as a Telegram user (linked directly unless link=False)."""
        with self.db.transaction() as s:
            p = s.scalar(select(Person).where(Person.nip == nip))
            assert p is not None, nip
            uid = 100_000 + p.id
            if link:
                p.telegram_user_id = uid
            name = p.name
        self.fake.add_user(uid, name.split(",")[0])
        return User(uid, name, nip)

    def stranger(self, uid: int = 777, name: str = "Orang Asing") -> User:
        self.fake.add_user(uid, name)
        return User(uid, name)

    def group(self, members: list[User], chat_id: int = GROUP_ID, title: str = "Tim SAKIP") -> int:
        self.fake.add_group(chat_id, title, [m.id for m in members] + [self.admin.id])
        return chat_id

    # --- acting -----------------------------------------------------------------------------
    async def say(self, user: User, text: str, chat: int | None = None) -> list[str]:
        """Send a message as `user`; return the texts the bot sent to that chat in reply."""
        chat_id = chat if chat is not None else user.chat
        before = len(self.fake.messages(chat_id))
        self.fake.send_text(user.id, text, chat_id=chat)
        await self.settle()
        return [m.text or "" for m in self.fake.messages(chat_id)[before:]]

    async def send_file(
        self,
        user: User,
        content: bytes,
        name: str,
        mime: str,
        photo: bool = False,
        caption: str | None = None,
    ) -> list[str]:
        """Send a document (or a photo) as `user`, with what they write beside it."""
        before = len(self.fake.messages(user.chat))
        if photo:
            self.fake.send_photo(user.id, content, caption=caption)
        else:
            self.fake.send_document(user.id, content, name, mime, caption=caption)
        await self.settle()
        return [m.text or "" for m in self.fake.messages(user.chat)[before:]]

    def find_button(self, chat: int, label: str) -> tuple[int, str]:
        """The newest message in the chat with a button whose label starts with `label`."""
        for msg in reversed(self.fake.messages(chat)):
            for row in (msg.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"].startswith(label) and "callback_data" in button:
                        return msg.message_id, button["callback_data"]
        visible = [b for m in self.fake.messages(chat) for b in m.buttons]
        raise LookupError(f"no button {label!r} in chat {chat}; visible: {visible[-12:]}")

    async def press(self, user: User, label: str, chat: int | None = None) -> str | None:
        """Press the newest button whose label starts with `label`; return the bot's notice."""
        chat_id = chat if chat is not None else user.chat
        message_id, data = self.find_button(chat_id, label)
        return await self.press_data(user, chat_id, message_id, data)

    async def press_data(self, user: User, chat: int, message_id: int, data: str) -> str | None:
        n = len(self.fake.callback_answers)
        self.fake.press_button(user.id, chat, message_id, data)
        await self.settle()
        answers = self.fake.callback_answers[n:]
        return answers[-1].text if answers else None

    # --- reading ----------------------------------------------------------------------------
    def texts(self, user_or_chat: User | int) -> list[str]:
        chat = user_or_chat.chat if isinstance(user_or_chat, User) else user_or_chat
        return [m.text or "" for m in self.fake.messages(chat)]

    def last(self, user_or_chat: User | int) -> str:
        texts = self.texts(user_or_chat)
        return texts[-1] if texts else ""

    def buttons(self, user_or_chat: User | int) -> list[str]:
        chat = user_or_chat.chat if isinstance(user_or_chat, User) else user_or_chat
        msgs = [m for m in self.fake.messages(chat) if m.buttons]
        return msgs[-1].buttons if msgs else []

    # --- waiting for the bot ---------------------------------------------------------------
    def _pending(self) -> int:
        return unfinished_work(self.db, self.clock.now())

    async def settle(self, rounds: int = 4000) -> None:
        """Wait until every update is handled and every queued message delivered."""
        assert self.rt is not None
        rt = self.rt
        stable = 0
        for _ in range(rounds):
            busy = (
                self.fake.unconfirmed_updates > 0
                or rt.dispatcher.busy > 0
                or rt.delivery.busy > 0
                or bool(rt.scheduler.running)
                or rt.scheduler_syncing
            )
            if not busy:
                await rt.delivery.drain()
                busy = self._pending() > 0
            stable = 0 if busy else stable + 1
            if stable >= 3:
                return
            await asyncio.sleep(0.005)
        raise TimeoutError("the bot did not settle")


def unfinished_work(db: Database, now: datetime, channel: str | None = None) -> int:
    """Inbox updates not handled yet, and outbox rows due and not sent yet (on `channel`)."""
    with db.transaction() as s:
        inbox = s.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "pending")
        )
        due = (
            select(func.count())
            .select_from(Outbox)
            .where(
                Outbox.status.in_(["pending", "sending"]),
                Outbox.next_attempt_at <= now,  # not the deferred
            )
        )
        if channel is not None:
            due = due.where(Outbox.channel == channel)
        return (inbox or 0) + (s.scalar(due) or 0)


async def tick(h: Simulation) -> None:
    """After moving the clock: let APScheduler run what is now due, then settle."""
    assert h.rt is not None
    sched = h.rt.scheduler
    for _ in range(2000):
        if not sched.due_or_running():
            break
        sched.wakeup()
        await asyncio.sleep(0.005)
    await h.settle()
