"""A local fake of Telegram's Bot API server (aiohttp, 127.0.0.1) for tests, the demo and
the benchmarks. The real python-telegram-bot talks to it over HTTP exactly as to Telegram
(`base_url={root}/bot`, `base_file_url={root}/file/bot`); a test acts as people through it
(`send_text`, `send_document`, `press`) and reads what the bot sent (`messages(chat_id)`).

It behaves like Telegram where the bot can notice: message ids per chat, file ids and file
downloads, errors in Telegram's shape (400 with a description, 403 for a blocked user, 429
with retry_after), long polling, rate limits (counted, and refused when `limits_enforced`),
and injected faults (429 with retry_after, 500, 502, timeouts, connection resets) that never
record a message. `redeliver` sends already confirmed updates again (as Telegram does when a
bot restarts before its offset was confirmed); `on_send` lets a caller act at the moment a
send arrives or was recorded (the crash tests kill the bot there).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.localapi.server import LocalServer

SEND_METHODS = (
    "sendMessage",
    "sendDocument",
    "sendPhoto",
    "editMessageText",
    "editMessageReplyMarkup",
)


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


@dataclass
class SentMessage:
    """A message the bot sent, as the person sees it now (after edits)."""

    chat_id: int
    message_id: int
    kind: str
    text: str | None
    reply_markup: dict[str, Any] | None
    date: int
    file_name: str | None = None
    mime_type: str | None = None
    content: bytes | None = None
    file_id: str | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def button_rows(self) -> list[list[str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [[b["text"] for b in row] for row in rows]

    @property
    def buttons(self) -> list[str]:
        return [b for row in self.button_rows for b in row]


@dataclass
class CallbackAnswer:
    query_id: str
    text: str | None
    show_alert: bool


@dataclass
class _File:
    file_id: str
    unique_id: str
    content: bytes
    path: str


class FakeTelegram(LocalServer):
    """The fake server; one bot token, many users and groups."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "sakip_test_bot",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.bot_username = bot_username
        self.clock = clock or (lambda: datetime.now(UTC))
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self._updates: deque[dict[str, Any]] = deque()
        self._update_id = itertools.count(1)
        self._release_gen = 0
        self._next_mid: dict[int, int] = defaultdict(lambda: 1)
        self._sent: dict[int, list[SentMessage]] = defaultdict(list)
        self._all: list[SentMessage] = []
        self._files: dict[str, _File] = {}
        self._file_seq = itertools.count(1)
        self._queries: dict[str, bool] = {}
        self.callback_answers: list[CallbackAnswer] = []
        self.commands: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {"url": ""}
        self.limits_enforced = False
        self._buckets: dict[object, tuple[float, float]] = {}
        self._faults: dict[str, Any] | None = None
        # One event per chat with someone waiting in `wait_chat`: a message to chat X wakes
        # only X's waiters (waking every waiting person on every send is O(people) per send).
        self._chat_events: dict[int, asyncio.Event] = {}
        self.first_get_updates: float | None = None  # wall-clock time of the first getUpdates
        self._confirmed: deque[dict[str, Any]] = deque(maxlen=1000)
        self._redeliver: list[dict[str, Any]] = []
        self.last_update_id = 0
        # after a 429 for a chat: (when, retry_after); the next send to it records the gap
        self._retry_from: dict[int, tuple[float, int]] = {}
        self.retry_gaps: list[dict[str, Any]] = []
        # called with (method, params, phase): "before" nothing is recorded, "after" the
        # message is recorded and the answer not yet written
        self.on_send: Callable[[str, dict[str, Any], str], None] | None = None
        self.stats: dict[str, Any] = {
            "calls": defaultdict(int),
            "ok": defaultdict(int),
            "errors": defaultdict(int),
            "limit_violations": 0,
            "violations": defaultdict(int),
            "bodies": defaultdict(int),  # "method content-type" → calls
        }

    # --- lifecycle --------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)

    # --- people ------------------------------------------------------------------------------
    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "id"}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        self.users[user_id] = user
        self.chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
        return user

    def add_group(self, chat_id: int, title: str, member_ids: list[int]) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "group", "title": title, "members": list(member_ids)}
        self.chats[chat_id] = chat
        return chat

    def block_bot(self, user_id: int) -> None:
        self.blocked.add(user_id)

    # --- acting as people ---------------------------------------------------------------------
    def _now(self) -> int:
        return int(self.clock().timestamp())

    def _chat_view(self, chat_id: int) -> dict[str, Any]:
        chat = self.chats[chat_id]
        return {k: v for k, v in chat.items() if k != "members"}

    def _user_message(self, user_id: int, chat_id: int | None, **content: Any) -> dict[str, Any]:
        cid = chat_id if chat_id is not None else user_id
        if cid not in self.chats:
            raise LookupError(f"unknown chat {cid}")
        mid = self._next_mid[cid]
        self._next_mid[cid] += 1
        msg = {
            "message_id": mid,
            "from": self.users[user_id],
            "chat": self._chat_view(cid),
            "date": self._now(),
            **content,
        }
        self._queue({"message": msg})
        return msg

    def _queue(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_id)
        self.last_update_id = update["update_id"]
        self._updates.append(update)
        self._notify()

    def _notify(self) -> None:
        cond = self._cond
        if cond is None:
            return

        async def _wake() -> None:
            async with cond:
                cond.notify_all()

        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(_wake())

    def _wake_chat(self, chat_id: int) -> None:
        event = self._chat_events.pop(chat_id, None)
        if event is not None:
            event.set()

    async def stop(self) -> None:
        """Answer the waiting long polls first, so the server stops at once."""
        self.release_pollers()
        await super().stop()

    def release_pollers(self) -> None:
        """Answer waiting long polls now (empty), so a bot can stop without waiting."""
        self._release_gen += 1
        self._notify()

    @property
    def unconfirmed_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot's next getUpdates offset."""
        return len(self._updates)

    def send_update(self, update: dict[str, Any]) -> int:
        """Deliver an update exactly as given (a kind the bot does not use, or a shape the
        client library cannot parse); its `update_id` is assigned here and returned."""
        raw = dict(update)
        self._queue(raw)
        return int(raw["update_id"])

    def redeliver(self, count: int = 1) -> list[int]:
        """The last `count` confirmed updates are delivered again by the next getUpdates,
        whatever its offset (as after a restart whose offset never reached Telegram)."""
        again = list(self._confirmed)[-count:] if count > 0 else []
        self._redeliver.extend(again)
        self._notify()
        return [u["update_id"] for u in again]

    def send_text(self, user_id: int, text: str, chat_id: int | None = None) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._user_message(user_id, chat_id, **content)

    def _store_file(self, content: bytes, folder: str, ext: str) -> _File:
        n = next(self._file_seq)
        f = _File(
            file_id=f"BQAC{n:06d}{secrets.token_hex(6)}",
            unique_id=f"AgAD{n:06d}",
            content=content,
            path=f"{folder}/file_{n}.{ext}",
        )
        self._files[f.file_id] = f
        return f

    def send_document(
        self,
        user_id: int,
        content: bytes,
        file_name: str,
        mime_type: str,
        chat_id: int | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        ext = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        f = self._store_file(content, "documents", ext)
        doc = {
            "file_id": f.file_id,
            "file_unique_id": f.unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        extra = {"caption": caption} if caption else {}
        return self._user_message(user_id, chat_id, document=doc, **extra)

    def send_photo(
        self, user_id: int, content: bytes, chat_id: int | None = None, caption: str | None = None
    ) -> dict[str, Any]:
        small = self._store_file(content[: max(1, len(content) // 10)], "photos", "jpg")
        large = self._store_file(content, "photos", "jpg")
        photo = [
            {
                "file_id": small.file_id,
                "file_unique_id": small.unique_id,
                "width": 90,
                "height": 67,
                "file_size": len(small.content),
            },
            {
                "file_id": large.file_id,
                "file_unique_id": large.unique_id,
                "width": 1280,
                "height": 960,
                "file_size": len(content),
            },
        ]
        extra = {"caption": caption} if caption else {}
        return self._user_message(user_id, chat_id, photo=photo, **extra)

    def press_button(self, user_id: int, chat_id: int, message_id: int, callback_data: str) -> str:
        """Press an inline button (any data: tests forge old or foreign buttons too)."""
        msg = next((m for m in self._sent[chat_id] if m.message_id == message_id), None)
        message = (
            self._as_message(msg)
            if msg
            else {
                "message_id": message_id,
                "chat": self._chat_view(chat_id),
                "date": self._now(),
                "from": self._bot_user(),
                "text": "?",
            }
        )
        qid = str(secrets.randbits(60))
        self._queries[qid] = False
        self._queue(
            {
                "callback_query": {
                    "id": qid,
                    "from": self.users[user_id],
                    "message": message,
                    "chat_instance": str(chat_id),
                    "data": callback_data,
                }
            }
        )
        return qid

    def press(self, user_id: int, chat_id: int, label: str) -> str:
        for msg in reversed(self._sent[chat_id]):
            for row in (msg.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label and "callback_data" in button:
                        return self.press_button(
                            user_id, chat_id, msg.message_id, button["callback_data"]
                        )
        visible = [b for m in self._sent[chat_id] for b in m.buttons]
        raise LookupError(f"no button {label!r} in chat {chat_id}; visible: {visible}")

    def web_app_url(self, chat_id: int, label: str) -> str:
        """The page the newest Mini App button labelled `label` opens (the test's browser
        opens it, as Telegram's would)."""
        for msg in reversed(self._sent[chat_id]):
            for row in (msg.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label and "web_app" in button:
                        return str(button["web_app"]["url"])
        raise LookupError(f"no Mini App button {label!r} in chat {chat_id}")

    # --- reading ------------------------------------------------------------------------------
    def messages(self, chat_id: int) -> list[SentMessage]:
        return list(self._sent.get(chat_id, []))

    def last(self, chat_id: int) -> SentMessage | None:
        msgs = self._sent.get(chat_id)
        return msgs[-1] if msgs else None

    def all_sent(self) -> list[SentMessage]:
        return list(self._all)

    async def wait_for(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[SentMessage]:

        def matching() -> list[SentMessage]:
            return [m for m in self._sent.get(chat_id, []) if predicate is None or predicate(m)]

        await self.wait_chat(chat_id, lambda _: len(matching()) >= count, timeout)
        return matching()

    async def wait_chat(
        self, chat_id: int, ready: Callable[[list[SentMessage]], bool], timeout: float = 10.0
    ) -> list[SentMessage]:
        """Until `ready(messages of the chat)` holds, checked whenever the bot sends to or edits
        in this chat (only); TimeoutError naming what the chat received."""
        try:
            async with asyncio.timeout(timeout):
                while not ready(self._sent.get(chat_id, [])):
                    event = self._chat_events.get(chat_id)
                    if event is None:
                        event = self._chat_events[chat_id] = asyncio.Event()
                    await event.wait()
        except TimeoutError:
            texts = [m.text for m in self._sent.get(chat_id, [])]
            raise TimeoutError(f"chat {chat_id} received {texts}") from None
        return list(self._sent.get(chat_id, []))

    # --- faults -------------------------------------------------------------------------------
    def inject_faults(
        self,
        share: float,
        kinds: Sequence[str] = ("429", "500", "502", "timeout", "reset"),
        seed: int = 0,
        methods: Sequence[str] = SEND_METHODS,
        retry_after: int = 1,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._faults = {
            "share": share,
            "kinds": tuple(kinds),
            "rng": random.Random(seed),
            "methods": set(methods),
            "retry_after": retry_after,
            "timeout": timeout_seconds,
        }

    def clear_faults(self) -> None:
        self._faults = None

    async def _maybe_fault(self, method: str, request: web.Request, chat: int | None) -> None:
        f = self._faults
        if f is None or method not in f["methods"] or f["rng"].random() >= f["share"]:
            return
        kind = f["rng"].choice(f["kinds"])
        self.stats["errors"][f"fault_{kind}"] += 1
        if kind == "429":
            if chat is not None:
                self._retry_from[chat] = (time.monotonic(), f["retry_after"])
            raise ApiError(
                429, f"Too Many Requests: retry after {f['retry_after']}", f["retry_after"]
            )
        if kind == "500":
            raise ApiError(500, "Internal Server Error")
        if kind == "502":
            raise ApiError(502, "Bad Gateway")
        if kind == "reset":  # the connection closes without an answer
            if request.transport is not None:
                request.transport.abort()
            raise _Reset
        await asyncio.sleep(f["timeout"])  # hold the request; the client gives up first
        raise ApiError(500, "Internal Server Error")

    def _note_retry_gap(self, chat: int | None) -> None:
        """A send to a chat that had a 429: how long after it this request came."""
        if chat is None or chat not in self._retry_from:
            return
        at, retry_after = self._retry_from.pop(chat)
        self.retry_gaps.append(
            {"chat_id": chat, "retry_after": retry_after, "gap": time.monotonic() - at}
        )

    def _take(self, key: object, capacity: float, per_second: float, now: float) -> bool:
        """A token bucket like Telegram's flood control: bursts up to `capacity`, refilled at
        `per_second`. False when the bucket is empty (the send breaks the limit)."""
        tokens, last = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * per_second)
        ok = tokens >= 1
        self._buckets[key] = (tokens - 1 if ok else tokens, now)
        return ok

    def _check_limits(self, chat_id: int) -> None:
        """About 30 messages/s overall, 20/min per group, about 1/s per private chat."""
        now = time.monotonic()
        violation = None
        if not self._take("overall", 30, 30, now):
            violation = "overall"
        elif chat_id < 0 and not self._take(chat_id, 20, 20 / 60, now):
            violation = "group"
        elif chat_id > 0 and not self._take(chat_id, 3, 1, now):
            violation = "chat"
        if violation:
            self.stats["limit_violations"] += 1
            self.stats["violations"][violation] += 1
            if self.limits_enforced:
                raise ApiError(429, "Too Many Requests: retry after 1", 1)

    # --- HTTP ---------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.stats["calls"][method] += 1
        self.stats["bodies"][f"{method} {request.content_type}"] += 1
        if method == "getUpdates" and self.first_get_updates is None:
            self.first_get_updates = time.time()
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            try:
                params = await self._params(request)
            except ConnectionResetError:  # the client went away mid-request (it was stopped)
                raise _Reset from None
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            if method in SEND_METHODS:
                chat = _int_or_none(params.get("chat_id"))
                self._note_retry_gap(chat)
                await self._maybe_fault(method, request, chat)
                if self.on_send is not None:
                    self.on_send(method, params, "before")
            result = await handler(params)
            if method in SEND_METHODS and self.on_send is not None:
                self.on_send(method, params, "after")
        except _Reset:
            return web.Response(status=499)  # never written: the transport is gone
        except ApiError as exc:
            self.stats["errors"][str(exc.code)] += 1
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            return web.json_response(body, status=exc.code)
        self.stats["ok"][method] += 1
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        if request.content_type == "application/json":
            # as the Bot API reads a JSON body: each field as the text a form would carry (a
            # string as it is, anything else as its JSON)
            try:
                body = await request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: the request body must be a JSON object")
            return {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        form = await request.post()
        out: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                out[key] = {"filename": value.filename, "content": value.file.read()}
            else:
                out[key] = value
        return out

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        f = next((f for f in self._files.values() if f.path == path), None)
        if f is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=f.content)

    # --- methods ------------------------------------------------------------------------------
    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "SAKIP Bot",
            "username": self.bot_username,
        }

    @staticmethod
    def _json(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def _chat(self, params: dict[str, Any]) -> int:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        if chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = self._json(params.get("reply_markup"))
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "web_app" in button:
                    self._check_web_app(params, button["web_app"])
        return markup

    @staticmethod
    def _check_web_app(params: dict[str, Any], web_app: Any) -> None:
        """As Telegram: a Mini App button only in a private chat, its page on HTTPS (here
        also plain HTTP on the loopback address, where tests serve the page)."""
        url = str((web_app or {}).get("url", ""))
        if str(params.get("chat_id", "")).startswith("-"):
            raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
        if not url.startswith(("https://", "http://127.0.0.1:")):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")

    def _record(
        self, chat_id: int, kind: str, text: str | None, markup: dict[str, Any] | None, **extra: Any
    ) -> SentMessage:
        mid = self._next_mid[chat_id]
        self._next_mid[chat_id] += 1
        msg = SentMessage(
            chat_id=chat_id,
            message_id=mid,
            kind=kind,
            text=text,
            reply_markup=markup,
            date=self._now(),
            **extra,
        )
        self._sent[chat_id].append(msg)
        self._all.append(msg)
        self._wake_chat(chat_id)
        self._notify()
        return msg

    def _as_message(self, m: SentMessage) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": m.message_id,
            "from": self._bot_user(),
            "chat": self._chat_view(m.chat_id),
            "date": m.date,
        }
        if m.kind == "text":
            out["text"] = m.text or ""
        elif m.text:
            out["caption"] = m.text
        if m.kind == "document":
            out["document"] = {
                "file_id": m.file_id,
                "file_unique_id": f"u{m.file_id}",
                "file_name": m.file_name,
                "mime_type": m.mime_type,
                "file_size": len(m.content or b""),
            }
        if m.kind == "photo":
            out["photo"] = [
                {
                    "file_id": m.file_id,
                    "file_unique_id": f"u{m.file_id}",
                    "width": 1080,
                    "height": 1350,
                    "file_size": len(m.content or b""),
                }
            ]
        if m.reply_markup:
            out["reply_markup"] = m.reply_markup
        return out

    async def _m_getMe(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        while self._updates and self._updates[0]["update_id"] < offset:
            self._confirmed.append(self._updates.popleft())
        limit = int(params.get("limit") or 100)
        if self._redeliver:
            again, self._redeliver = self._redeliver, []
            return again + list(itertools.islice(self._updates, 0, limit))
        timeout = float(params.get("timeout") or 0)
        if not self._updates and timeout > 0:
            assert self._cond is not None
            gen = self._release_gen
            try:
                async with asyncio.timeout(timeout), self._cond:
                    await self._cond.wait_for(
                        lambda: bool(self._updates or self._redeliver) or self._release_gen != gen
                    )
            except TimeoutError:
                pass
            if self._redeliver:
                again, self._redeliver = self._redeliver, []
                return again + list(itertools.islice(self._updates, 0, limit))
        return list(itertools.islice(self._updates, 0, limit))

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": ""}
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._updates.clear()
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token")}
        return True

    async def _m_getWebhookInfo(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands = self._json(params.get("commands")) or []
        return True

    async def _m_getMyCommands(self, _: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands

    async def _m_deleteMyCommands(self, _: dict[str, Any]) -> bool:
        self.commands = []
        return True

    async def _m_logOut(self, _: dict[str, Any]) -> bool:
        return True

    async def _m_close(self, _: dict[str, Any]) -> bool:
        return True

    async def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        return True

    async def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = self._markup(params)
        self._check_limits(chat_id)
        return self._as_message(self._record(chat_id, "text", text, markup))

    async def _send_file(
        self, params: dict[str, Any], field_name: str, kind: str
    ) -> dict[str, Any]:
        chat_id = self._chat(params)
        value = params.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, dict):
            name = value["filename"] or f"{kind}.bin"
            ext = name.rsplit(".", 1)[-1] if "." in name else "bin"
            stored = self._store_file(value["content"], f"{kind}s", ext)
        elif isinstance(value, str) and value in self._files:
            stored = self._files[value]
            name = stored.path.rsplit("/", 1)[-1]
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        caption = params.get("caption")
        if caption and len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        markup = self._markup(params)
        self._check_limits(chat_id)
        mime = "image/png" if kind == "photo" else _guess_mime(name)
        msg = self._record(
            chat_id,
            kind,
            caption,
            markup,
            file_name=name,
            mime_type=mime,
            content=stored.content,
            file_id=stored.file_id,
        )
        return self._as_message(msg)

    async def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "document", "document")

    async def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "photo", "photo")

    def _find(self, params: dict[str, Any]) -> SentMessage:
        chat_id = self._chat(params)
        mid = int(params.get("message_id") or 0)
        msg = next((m for m in self._sent[chat_id] if m.message_id == mid), None)
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return msg

    async def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find(params)
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        markup = self._markup(params)
        if text == msg.text and markup == msg.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current "
                "content and reply markup of the message",
            )
        msg.edits.append({"text": msg.text, "reply_markup": msg.reply_markup})
        msg.text, msg.reply_markup = text, markup
        self._wake_chat(msg.chat_id)
        self._notify()
        return self._as_message(msg)

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find(params)
        markup = self._markup(params)
        if markup == msg.reply_markup or (not markup and not msg.reply_markup):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current "
                "content and reply markup of the message",
            )
        msg.edits.append({"text": msg.text, "reply_markup": msg.reply_markup})
        msg.reply_markup = markup
        self._wake_chat(msg.chat_id)
        self._notify()
        return self._as_message(msg)

    async def _m_deleteMessage(self, params: dict[str, Any]) -> bool:
        msg = self._find(params)
        self._sent[msg.chat_id].remove(msg)
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        qid = str(params.get("callback_query_id"))
        if self._queries.get(qid, True):
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._queries[qid] = True
        show = str(params.get("show_alert", "")).lower() == "true"
        self.callback_answers.append(CallbackAnswer(qid, params.get("text"), show))
        self._notify()
        return True

    async def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        f = self._files.get(str(params.get("file_id")))
        if f is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(f.content) > 20 * 1024 * 1024:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": f.file_id,
            "file_unique_id": f.unique_id,
            "file_size": len(f.content),
            "file_path": f.path,
        }


class _Reset(Exception):
    """An injected connection reset: no answer is written."""


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _guess_mime(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "pdf": "application/pdf",
        "png": "image/png",
        "jpg": "image/jpeg",
        "zip": "application/zip",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }.get(ext, "application/octet-stream")
