"""Real processes for crash tests and benchmarks: the fake Bot API server
(`python -m bot.localapi.serve`), its control API, `sakip-bot run` as an operator starts it,
and `ProcessOffice`, which acts as people through the control API with the same moves as
`bot/tools/simulation.py` (`say`, `press`, `send_file`, `user`, `group`, `settle`), so the flows
in tests/flows.py drive a bot that can be killed with `kill -9`.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bot.clock import SystemClock
from bot.tools.simulation import GROUP_ID, User, unfinished_work
from db.engine import Database
from db.models import Person

ROOT = Path(__file__).resolve().parents[2]


class FakeServer:
    """`python -m bot.localapi.serve` as a child process, and a client for its control API."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.http = httpx.AsyncClient(timeout=30)

    async def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.localapi.serve", "--token", self.token],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = await asyncio.to_thread(self.proc.stdout.readline)
        self.port = int(line.strip())

    async def stop(self) -> None:
        await self.http.aclose()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        r = await self.http.request(
            method, f"{self.root}/_control/{path}", json=body, params=params or None
        )
        if r.status_code == 404:
            raise LookupError(r.json().get("error"))
        r.raise_for_status()
        return r.json()

    async def add_users(self, users: list[tuple[int, str]]) -> None:
        await self._call("POST", "users", [[u, n] for u, n in users])

    async def add_group(self, chat_id: int, title: str, members: list[int]) -> None:
        await self._call("POST", "groups", [{"id": chat_id, "title": title, "members": members}])

    async def send_text(self, user: int, text: str, chat: int | None = None) -> int:
        return int(
            (await self._call("POST", "text", {"user": user, "text": text, "chat": chat}))[
                "update_id"
            ]
        )

    async def send_document(
        self, user: int, content: bytes, name: str, mime: str, caption: str | None = None
    ) -> int:
        body = {
            "user": user,
            "name": name,
            "mime": mime,
            "content": base64.b64encode(content).decode(),
            "caption": caption,
        }
        return int((await self._call("POST", "document", body))["update_id"])

    async def press(
        self, user: int, chat: int, label: str | None = None, message_id: int = 0, data: str = ""
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"user": user, "chat": chat}
        if label is not None:
            body["label"] = label
        else:
            body.update(message_id=message_id, data=data)
        return dict(await self._call("POST", "press", body))

    async def messages(self, chat: int) -> list[dict[str, Any]]:
        return list(await self._call("GET", "messages", chat=chat))

    async def all_messages(self) -> dict[int, list[dict[str, Any]]]:
        return {int(c): m for c, m in (await self._call("GET", "messages")).items()}

    async def stats(self) -> dict[str, Any]:
        return dict(await self._call("GET", "stats"))

    async def faults(self, share: float, **kw: Any) -> None:
        if share <= 0:
            await self._call("DELETE", "faults")
        else:
            await self._call("POST", "faults", {"share": share, **kw})

    async def redeliver(self, count: int = 1) -> list[int]:
        return list((await self._call("POST", "redeliver", {"count": count}))["update_ids"])

    async def arm_kill(self, pid: int, nth: int, phase: str = "before") -> None:
        await self._call("POST", "kill", {"pid": pid, "nth": nth, "phase": phase})


def bot_env(
    fake_root: str, token: str, db_url: str, data_dir: Path, **extra: str
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "WHATSAPP_", "WEBHOOK_", "DASHBOARD_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_URL=fake_root,
        DATABASE_URL=db_url,
        DATA_DIR=str(data_dir),
        TELEGRAM_TIMEOUT="3",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class BotProcess:
    """`python -m bot.cli run` (= `sakip-bot run`); killed with SIGKILL by its own pid."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.env, self.cwd, self.log_path = env, cwd, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> int:
        self.starts += 1
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child keeps it)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self.proc.pid

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9 by the process's own pid."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(30)

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class ProcessOffice:
    """People acting through the fake server's control API on a bot in another process;
    the same moves as `bot.tools.simulation.Simulation`, so tests/flows.py drives it."""

    def __init__(self, fake: FakeServer, db: Database, bot: BotProcess) -> None:
        self.fake, self.db, self.bot = fake, db, bot
        self.admin = User(9000, "Admin Telegram")
        self.sent_updates: list[tuple[str, int]] = []  # (what, update id) the people sent
        self.restart_on_death = True
        self._todo: list[Any] = []
        self._polls_at_start = 0
        self._last: dict[int, str] = {}
        self._buttons: dict[int, list[str]] = {}

    async def start(self) -> None:
        await self.fake.add_users([(self.admin.id, self.admin.name)])

    def user(self, nip: str, link: bool = True) -> User:
        with self.db.transaction() as s:
            p = s.scalar(select(Person).where(Person.nip == nip))
            assert p is not None, nip
            uid = 100_000 + p.id
            if link:
                p.telegram_user_id = uid
            name = p.name
        self._todo.append(self.fake.add_users([(uid, name.split(",")[0])]))
        return User(uid, name, nip)

    def group(self, members: list[User], chat_id: int = GROUP_ID, title: str = "Tim SAKIP") -> int:
        self._todo.append(
            self.fake.add_group(chat_id, title, [m.id for m in members] + [self.admin.id])
        )
        return chat_id

    async def _flush(self) -> None:
        """The users and groups added since the last move, at the fake first."""
        todo, self._todo = self._todo, []
        for call in todo:
            await call

    # --- acting -----------------------------------------------------------------------------
    async def say(self, user: User, text: str, chat: int | None = None) -> list[str]:
        await self._flush()
        chat_id = chat if chat is not None else user.chat
        before = len(await self.fake.messages(chat_id))
        uid = await self.fake.send_text(user.id, text, chat=chat)
        self.sent_updates.append(("text", uid))
        await self.settle()
        return [m["text"] or "" for m in (await self.fake.messages(chat_id))[before:]]

    async def send_file(
        self, user: User, content: bytes, name: str, mime: str, photo: bool = False
    ) -> list[str]:
        await self._flush()
        before = len(await self.fake.messages(user.chat))
        uid = await self.fake.send_document(user.id, content, name, mime)
        self.sent_updates.append(("file", uid))
        await self.settle()
        return [m["text"] or "" for m in (await self.fake.messages(user.chat))[before:]]

    async def find_button(self, chat: int, label: str) -> tuple[int, str]:
        msgs = await self.fake.messages(chat)
        for m in reversed(msgs):
            for text, data in zip(m["buttons"], m["data"], strict=True):
                if text.startswith(label):
                    return m["message_id"], data
        visible = [b for m in msgs for b in m["buttons"]]
        raise LookupError(f"no button {label!r} in chat {chat}; visible: {visible[-12:]}")

    async def press(self, user: User, label: str, chat: int | None = None) -> str | None:
        await self._flush()
        chat_id = chat if chat is not None else user.chat
        mid, data = await self.find_button(chat_id, label)
        got = await self.fake.press(user.id, chat_id, message_id=mid, data=data)
        self.sent_updates.append(("press", int(got["update_id"])))
        await self.settle()
        answers = [
            a
            for a in (await self.fake.stats())["callback_answers"]
            if a["query_id"] == got["query_id"]
        ]
        return answers[-1]["text"] if answers else None

    # --- reading ----------------------------------------------------------------------------
    async def texts(self, user_or_chat: User | int) -> list[str]:
        chat = user_or_chat.chat if isinstance(user_or_chat, User) else user_or_chat
        return [m["text"] or "" for m in await self.fake.messages(chat)]

    # flows.py reads `h.last(...)` and `h.buttons(...)` synchronously: kept from the last settle
    def last(self, user_or_chat: User | int) -> str:
        chat = user_or_chat.chat if isinstance(user_or_chat, User) else user_or_chat
        return self._last.get(chat, "")

    def buttons(self, user_or_chat: User | int) -> list[str]:
        chat = user_or_chat.chat if isinstance(user_or_chat, User) else user_or_chat
        return self._buttons.get(chat, [])

    async def start_bot(self) -> int:
        """Start the bot's process; `ready()` then waits for its first poll."""
        self._polls_at_start = (await self.fake.stats())["calls"].get("getUpdates", 0)
        return self.bot.start()

    async def ready(self, timeout: float = 60.0) -> None:
        """Until the bot started last polls: past start-up and its recovery."""
        async with asyncio.timeout(timeout):
            while (await self.fake.stats())["calls"].get("getUpdates", 0) <= self._polls_at_start:
                if not self.bot.alive():
                    raise RuntimeError(f"the bot exited:\n{self.bot.log()[-3000:]}")
                await asyncio.sleep(0.02)

    # --- waiting ----------------------------------------------------------------------------
    def pending(self) -> int:
        return unfinished_work(self.db, SystemClock().now(), channel="telegram")

    async def settle(self, timeout: float = 120.0) -> None:
        """Until every update is confirmed and handled and every message delivered; a bot
        that died (killed) is started again, as an operator's supervisor would."""
        stable = 0
        async with asyncio.timeout(timeout):
            while stable < 3:
                if not self.bot.alive() and self.restart_on_death:
                    self.bot.kill()  # reap
                    await self.start_bot()
                busy = (await self.fake.stats())["unconfirmed"] > 0
                busy = busy or await asyncio.to_thread(self.pending) > 0
                stable = 0 if busy else stable + 1
                await asyncio.sleep(0.02)
        everything = await self.fake.all_messages()
        self._last = {c: (m[-1]["text"] or "") if m else "" for c, m in everything.items()}
        self._buttons = {}
        for c, msgs in everything.items():
            with_buttons = [m for m in msgs if m["buttons"]]
            self._buttons[c] = with_buttons[-1]["buttons"] if with_buttons else []
