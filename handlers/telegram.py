"""Telegram channel: turn python-telegram-bot updates into core calls, and deliver outbox
rows with the Bot API. Parse → one call into the core → render; no SQL here.

The Bot API address comes from TELEGRAM_API_URL, so the same code talks to Telegram in
production and to the local Bot API server in tests, the demo and benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.core import Inbound, InboundFile, Outcome
from bot.messaging.delivery import Message as OutMessage
from bot.messaging.delivery import Retry, Undeliverable
from bot.messaging.inbox import Item, current_item
from bot.messaging.outbox import Buttons, chat_buttons, is_web_app
from bot.settings import Settings
from handlers.limits import ChatLimits
from handlers.telegram_http import AiohttpRequest

log = logging.getLogger(__name__)
TEXT_LIMIT = 4096
POLL_TIMEOUT = 25
CAPTION_LIMIT = 1024


Handle = Callable[[Inbound], Awaitable[Outcome]]
Record = Callable[[str, list[tuple[str, str, dict[str, Any]]]], Awaitable[object]]
ALLOWED_UPDATES = ["message", "callback_query"]

# `Bot.do_api_request` without a return type answers the Bot API's raw JSON: for getUpdates
# (one update the library cannot parse is recorded and skipped, not stuck in every batch) and
# for text and edits (only the message id is read). For a method the library also has as its
# own (`get_updates`, `send_message`) it warns on every call that that one exists; here the
# raw answer is the point, so that warning, and only it, is not shown.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.\w+' instead of", category=PTBUserWarning
)


def _handle(context: ContextTypes.DEFAULT_TYPE) -> Handle:
    return context.application.bot_data["handle"]  # type: ignore[no-any-return]


def parse_command(text: str, bot_username: str) -> tuple[str, list[str]] | None:
    """`/isi@sakip_bot a b` → ("isi", ["a", "b"]); None when addressed to another bot.
    A bare `/`, `/ ` or `//x` parses as the empty command (answered with help)."""
    head, *args = text.split() or ["/"]
    name, _, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return name.lower(), args


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any message: a command, an answer to a form, a document or a photo."""
    msg, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if msg is None or user is None or chat is None or user.is_bot:
        return
    inbound = Inbound(
        channel="telegram",
        user_id=str(user.id),
        chat_id=str(chat.id),
        is_group=chat.type in ("group", "supergroup"),
        user_name=user.full_name,
        chat_title=chat.title or "",
    )
    text = msg.text or msg.caption
    if msg.text and msg.text.startswith("/"):
        parsed = parse_command(msg.text, context.bot.username)
        if parsed is None and inbound.is_group:
            return  # another bot's command, in a group where both bots listen
        # in a private chat nobody else listens: another bot's command gets the help answer
        inbound.command, inbound.args = parsed or ("", [])
    else:
        inbound.text = text
    inbound.file = await _incoming_file(msg, context.bot_data["max_file_bytes"])
    if inbound.file is None and inbound.text is None and inbound.command is None:
        inbound.text = ""  # a sticker, location…: the core answers that it cannot use it
    await _handle(context)(inbound)


async def _incoming_file(msg: Message, max_bytes: int) -> InboundFile | None:
    """Download an attached document or photo, unless it is over the size limit."""
    if msg.document is not None:
        doc = msg.document
        f = InboundFile(
            name=doc.file_name or f"dokumen_{doc.file_unique_id}",
            mime=doc.mime_type or "application/octet-stream",
            size=doc.file_size,
            content=None,
            source_id=doc.file_id,
            caption=msg.caption,
        )
    elif msg.photo:
        ph = msg.photo[-1]
        f = InboundFile(
            name=f"foto_{ph.file_unique_id}.jpg",
            mime="image/jpeg",
            size=ph.file_size,
            content=None,
            source_id=ph.file_id,
            is_photo=True,
            caption=msg.caption,
        )
    else:
        return None
    if f.size is not None and f.size > max_bytes:
        return f  # the core refuses it with the limit; no download
    try:
        tg_file = await msg.get_bot().get_file(f.source_id)
        f.content = bytes(await tg_file.download_as_bytearray())
        f.size = len(f.content)
    except (BadRequest, NetworkError) as exc:
        f.mime = f"error:{exc.message}"
    return f


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An inline button press: the core checks token, person, role and state."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    chat = query.message.chat if query.message else None
    inbound = Inbound(
        channel="telegram",
        user_id=str(query.from_user.id),
        chat_id=str(chat.id if chat else query.from_user.id),
        is_group=bool(chat and chat.type in ("group", "supergroup")),
        button=query.data or "",
        user_name=query.from_user.full_name,
        button_message_id=str(query.message.message_id) if query.message else None,
    )
    outcome = await _handle(context)(inbound)
    try:
        await query.answer(text=outcome.notice, show_alert=outcome.alert)
    except BadRequest as exc:  # handled again after a restart: the press is too old to answer
        log.info("callback query not answered: %s", exc.message)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    item = current_item.get()
    if item is not None and item.outage is not None:
        return  # a database outage: the update is tried again (logged once by the dispatcher)
    log.error("telegram handler error", exc_info=context.error)


def build_application(settings: Settings, handle: Handle, max_file_bytes: int) -> Application:  # type: ignore[type-arg]
    """The python-telegram-bot Application, with its handlers registered in one place. It
    does not fetch updates itself: `TelegramChannel` feeds it from the inbox."""
    s = settings
    builder: Any = (
        ApplicationBuilder()
        .token(s.telegram_bot_token)
        .base_url(s.telegram_base_url)
        .base_file_url(s.telegram_file_url)
        .updater(None)
        # aiohttp, not the library's default httpx: a third of the CPU per request
        .request(
            AiohttpRequest(
                pool_size=128,
                connect_timeout=s.telegram_timeout,
                read_timeout=s.telegram_timeout,
                pool_timeout=s.telegram_timeout,
            )
        )
        .get_updates_request(
            AiohttpRequest(
                pool_size=2,
                connect_timeout=s.telegram_timeout,
                read_timeout=s.telegram_timeout + POLL_TIMEOUT,
                pool_timeout=s.telegram_timeout,
            )
        )
    )
    if s.telegram_rate_limits:
        # under Telegram's 30/s and 20/min, and in small bursts (5 per 0.2 s rather than 25
        # at once): requests leave paced but can arrive bunched (network jitter, a busy event
        # loop), and Telegram counts arrivals
        builder = builder.rate_limiter(
            AIORateLimiter(
                overall_max_rate=5, overall_time_period=0.2, group_max_rate=18, max_retries=0
            )
        )
    app = builder.build()
    app.bot_data["handle"] = handle
    app.bot_data["max_file_bytes"] = max_file_bytes
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(
        MessageHandler(
            (
                filters.TEXT
                | filters.COMMAND
                | filters.Document.ALL
                | filters.PHOTO
                | filters.ATTACHMENT
            )
            & ~filters.UpdateType.EDITED,
            on_message,
        )
    )
    app.add_error_handler(on_error)
    return app


def actor_of(update: dict[str, Any]) -> str:
    """Whose update this is (one person's updates are handled in order)."""
    for value in update.values():
        if isinstance(value, dict):
            who = value.get("from") or value.get("user") or {}
            if isinstance(who, dict) and who.get("id") is not None:
                return f"tg:{who['id']}"
            chat = value.get("chat") or {}
            if isinstance(chat, dict) and chat.get("id") is not None:
                return f"tg:chat:{chat['id']}"
    return "tg:-"


def entries(updates: list[Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Raw updates as inbox entries (update id, actor, payload); malformed ones are logged
    and left out (they carry no id to confirm them by, or are not objects at all)."""
    out = []
    for u in updates:
        if not isinstance(u, dict) or not isinstance(u.get("update_id"), int):
            log.warning("telegram update without a valid update_id dropped: %.200r", u)
            continue
        out.append((str(u["update_id"]), actor_of(u), u))
    return out


class TelegramChannel:
    """The Telegram side: the Application (handlers), the sender, and the intake (long
    polling or the webhook), which records raw updates in the inbox before confirming them."""

    def __init__(self, settings: Settings, handle: Handle, record: Record, max_file_bytes: int):
        self.settings = settings
        self.app = build_application(settings, handle, max_file_bytes)
        self.sender = TelegramSender(self.app.bot, settings.telegram_chat_rate)
        self.record = record
        self.poll_timeout = POLL_TIMEOUT
        self.fetched = 0  # updates fetched and recorded (tests)

    @property
    def bot(self) -> Bot:
        return self.app.bot

    async def poll(self, stop: asyncio.Event) -> None:
        """Long polling: fetch raw updates, record them, and only then confirm them (the next
        call's offset). A database outage keeps them unconfirmed at Telegram until it ends."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        failures = 0
        while not stop.is_set():
            try:
                kwargs: dict[str, Any] = {
                    "timeout": self.poll_timeout,
                    "allowed_updates": ALLOWED_UPDATES,
                    "limit": 100,
                }
                if offset is not None:
                    kwargs["offset"] = offset
                # the raw JSON, not get_updates(): see `warnings.filterwarnings` above
                raw = await self.bot.do_api_request(
                    "getUpdates",
                    kwargs,
                    read_timeout=self.settings.telegram_timeout + self.poll_timeout,
                )
                failures = 0
            except (NetworkError, TimedOut, RetryAfter) as exc:
                failures += 1
                delay = min(30.0, 0.5 * 2**failures)
                if isinstance(exc, RetryAfter):
                    ra = exc.retry_after
                    delay = ra.total_seconds() if isinstance(ra, timedelta) else float(ra)
                log.warning(
                    "getUpdates failed (%s); again in %.1f s", exc.__class__.__name__, delay
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            except Exception:
                log.exception("getUpdates failed unexpectedly; again in 5 s")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 5.0)
                continue
            if not isinstance(raw, list) or not raw:
                continue
            batch = entries(raw)
            try:
                await self.record("telegram", batch)
            except Exception:  # not confirmed: fetched again with the same offset
                log.exception("updates could not be recorded; fetching them again in 5 s")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 5.0)
                continue
            self.fetched += len(raw)
            ids = [
                u["update_id"]
                for u in raw
                if isinstance(u, dict) and isinstance(u.get("update_id"), int)
            ]
            if ids:
                offset = max(ids) + 1

    async def receive(self, body: Any) -> None:
        """One webhook call's update (already parsed JSON): recorded before the 200."""
        await self.record("telegram", entries([body]))

    async def process(self, item: Item) -> None:
        """Handle one recorded update through the Application's handlers."""
        try:
            update = Update.de_json(item.payload, self.bot)
        except Exception as exc:
            log.warning(
                "telegram update %s not understood, skipped: %s", item.payload.get("update_id"), exc
            )
            item.status = "skipped"
            item.error = f"{exc.__class__.__name__}: {exc}"[:300]
            return
        await self.app.process_update(update)
        outage, item.outage = item.outage, None
        if outage is not None:  # python-telegram-bot swallowed it: the update stays pending
            raise outage


async def set_commands(bot: Bot, commands: dict[str, str]) -> None:
    await bot.set_my_commands([BotCommand(name, help[:256]) for name, help in commands.items()])


class TelegramSender:
    """Delivers outbox rows with the Bot API, turning its errors into retry/undeliverable.

    `AIORateLimiter` keeps the overall (30/s) and per-group (20/min) limits; a per-chat
    leaky bucket (aiolimiter, burst 3, then TELEGRAM_CHAT_RATE per second) keeps private chats
    at Telegram's one message per second.
    """

    def __init__(self, bot: Bot, chat_rate: float = 1.0) -> None:
        self.bot = bot
        self._chat_limits = ChatLimits(3, 1 / chat_rate if chat_rate > 0 else 0)

    def _limiter(self, msg: OutMessage) -> AsyncLimiter | None:
        chat_id = msg.chat_id
        if chat_id.startswith("-") or msg.kind == "edit" or not self._chat_limits.enabled:
            return None  # groups: AIORateLimiter's group limit; edits are not new messages
        return self._chat_limits[chat_id]

    async def send(self, msg: OutMessage) -> str:
        lim = self._limiter(msg)
        try:
            if lim is not None:
                async with lim:
                    return await self._send(msg)
            return await self._send(msg)
        except RetryAfter as exc:
            ra = exc.retry_after
            delay = ra.total_seconds() if isinstance(ra, timedelta) else float(ra)
            raise Retry(f"429 retry after {delay:g}s", delay) from None
        except TimedOut as exc:
            raise Retry(f"timeout: {exc.message}") from None
        except Forbidden as exc:
            raise Undeliverable(
                f"pengguna memblokir bot atau menolak pesan ({exc.message})"
            ) from None
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return msg.edit_remote_id or ""
            if "chat not found" in exc.message.lower():
                raise Undeliverable("chat tidak ditemukan (belum pernah memulai bot)") from None
            raise Undeliverable(f"ditolak Telegram: {exc.message}") from None
        except NetworkError as exc:
            raise Retry(f"network/server error: {exc.message}") from None

    async def _send(self, msg: OutMessage) -> str:
        if msg.kind in ("document", "photo"):
            return await self._send_file(msg)
        # Text and edits go out as plain JSON (`Bot.do_api_request`, as getUpdates), not through
        # the library's objects: the keyboard built as InlineKeyboardMarkup and the answer
        # parsed into a Message cost about 0.2 ms a message, and we need only its id. The
        # library's request layer, rate limiter and errors are the same.
        markup = _keyboard(msg.buttons, group=msg.chat_id.startswith("-"))
        if msg.kind == "edit":
            assert msg.edit_remote_id is not None
            edit: dict[str, Any] = {
                "chat_id": msg.chat_id,
                "message_id": int(msg.edit_remote_id),
                "reply_markup": markup,
            }
            if msg.text:
                await self.bot.do_api_request(
                    "editMessageText", {**edit, "text": msg.text[:TEXT_LIMIT]}
                )
            else:
                await self.bot.do_api_request("editMessageReplyMarkup", edit)
            return msg.edit_remote_id
        chunks = split_text(msg.text or "-")
        sent_id = ""
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            sent = await self.bot.do_api_request(
                "sendMessage",
                {"chat_id": msg.chat_id, "text": chunk, "reply_markup": markup if last else None},
            )
            sent_id = str(sent["message_id"])
        return sent_id

    async def _send_file(self, msg: OutMessage) -> str:
        assert msg.file_path is not None
        keyboard = _keyboard(msg.buttons, group=msg.chat_id.startswith("-"))
        markup = InlineKeyboardMarkup.de_json(keyboard, self.bot) if keyboard else None
        caption = (msg.text or "")[:CAPTION_LIMIT] or None
        with open(msg.file_path, "rb") as fh:
            if msg.kind == "photo":
                sent = await self.bot.send_photo(
                    msg.chat_id, photo=fh, caption=caption, reply_markup=markup
                )
            else:
                sent = await self.bot.send_document(
                    msg.chat_id,
                    document=fh,
                    filename=msg.file_name,
                    caption=caption,
                    reply_markup=markup,
                )
        return str(sent.message_id)


def _keyboard(buttons: Buttons, group: bool = False) -> dict[str, Any] | None:
    """An inline keyboard as the Bot API's JSON. A Mini App button opens its page
    (`web_app`); Telegram allows those in private chats only, so a group gets none."""
    if group:
        buttons = chat_buttons(buttons)
    if not buttons:
        return None
    return {"inline_keyboard": [[_button(b) for b in row] for row in buttons]}


def _button(b: list[str]) -> dict[str, Any]:
    if is_web_app(b):
        return InlineKeyboardButton(b[0], web_app=WebAppInfo(b[2])).to_dict()
    return {"text": b[0], "callback_data": b[1]}


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a long text at line breaks into pieces Telegram accepts."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            parts.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) + 1 > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    return parts
