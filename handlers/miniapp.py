"""The section's form as a Telegram Mini App (bot/features/sheet.py): the page, its script
and style, and its requests, served by the bot's web app at /formulir beside /dasbor.

Who is asking: every request carries the page's `Telegram.WebApp.initData`, checked here as
Telegram documents it (an HMAC-SHA256 of its fields with a key made from the bot token), at
most `MAX_AGE` old. Its user is the person; everything else the page sends is only values.

Reads (`buka`) go through the core's checks without being an update (`Core.look`). Writes
(`simpan`, `bukti`) are updates: recorded in the inbox (channel `miniapp`, actor the
person's Telegram actor, so they run in order with the person's chat updates; external id
the person's id and a key the page made for that press, so a request sent again has effect
once), handled by `Core.handle` like a chat message, and answered when handled. A crash
between the request and the answer leaves the update recorded; it is handled after the
restart, and the page's retry with the same key gets the form as it now is.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from bot.clock import Clock
from bot.core import Core, Inbound, Outcome
from bot.errors import UserError
from bot.features.sheet import PATH, rules, view
from bot.files import FileRejected
from bot.messaging.inbox import Inbox, Item
from bot.procedure.roles import NotAllowed
from bot.texts import TEXTS, t

log = logging.getLogger(__name__)

CHANNEL = "miniapp"
MAX_AGE = timedelta(hours=12)  # a form left open over lunch still saves; a day-old one not
STATIC = Path(__file__).parent / "miniapp_static"
MAX_JSON = 256 * 1024
WAIT = 30.0  # seconds a request waits for its update to be handled before "still busy"
# Only the bot's own address and Telegram's script; nothing inline; framed by Telegram Web.
CSP = (
    "default-src 'none'; script-src 'self' https://telegram.org; style-src 'self'; "
    "img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors https://web.telegram.org https://*.telegram.org"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
ASSETS = ("app.js", "app.css")


class InitDataRefused(Exception):
    """The request does not prove who sent it; the message is for the person."""


def check_init_data(raw: str, bot_token: str, now: float, max_age: timedelta = MAX_AGE) -> dict:  # type: ignore[type-arg]
    """The Telegram user of a Mini App's `initData`, after checking its signature: the
    HMAC-SHA256 of the other fields (sorted, `key=value` lines) under the key
    HMAC-SHA256("WebAppData", bot token), as Telegram's documentation gives it; and its
    `auth_date` within `max_age` of `now` (seconds since the epoch)."""
    if not raw or len(raw) > 8192:
        raise InitDataRefused(t("sheet_auth_failed"))
    pairs = parse_qsl(raw, keep_blank_values=True)
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        raise InitDataRefused(t("sheet_auth_failed"))
    got = fields.pop("hash")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    want = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, got):
        raise InitDataRefused(t("sheet_auth_failed"))
    try:
        auth = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
    except ValueError:
        raise InitDataRefused(t("sheet_auth_failed")) from None
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise InitDataRefused(t("sheet_auth_failed"))
    if not -300 <= now - auth <= max_age.total_seconds():
        raise InitDataRefused(t("sheet_auth_expired"))
    return user


def _json(status: int, **body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


class MiniApp:
    """The Mini App's web side: routes for the web app, and the inbox handler of its
    updates (channel `miniapp`)."""

    def __init__(
        self,
        core: Core,
        inbox: Inbox,
        clock: Clock,
        handle: Callable[[Inbound], Awaitable[Outcome]],
        intake: Callable[[str, list[tuple[str, str, dict[str, Any]]]], Awaitable[list[Item]]],
    ) -> None:
        self.core, self.inbox, self.clock = core, inbox, clock
        self.handle, self.intake = handle, intake
        self._waiting: dict[str, asyncio.Future[Outcome]] = {}
        env = Environment(loader=FileSystemLoader(STATIC), autoescape=select_autoescape(["html"]))
        texts = {k: v for k, v in TEXTS.items() if k.startswith(("sheet_", "btn_open"))}
        # the files' own hash in their address: a cached old script never meets a new page
        version = hashlib.sha256(b"".join((STATIC / n).read_bytes() for n in ASSETS)).hexdigest()
        self.page_html = env.get_template("index.html").render(
            t=t,
            version=version[:12],
            texts=json.dumps(texts, ensure_ascii=False),
            rules=json.dumps(rules(), ensure_ascii=False),
        )

    # --- the inbox side -------------------------------------------------------------------
    async def process(self, item: Item) -> None:
        """Handle one recorded request as the person's update; answer the waiting page."""
        p = item.payload
        uid = str(p.get("user", ""))
        web = p.get("web")
        if not uid.isdigit() or not isinstance(web, dict):
            item.status = "skipped"
            return
        inbound = Inbound(
            channel="telegram", user_id=uid, chat_id=uid, user_name=str(p.get("name", "")), web=web
        )
        outcome = await self.handle(inbound)
        waiting = self._waiting.get(str(p.get("ext", "")))
        if waiting is not None and not waiting.done():
            waiting.set_result(outcome)

    async def _apply(
        self, user: dict, key: str, web: dict[str, Any]
    ) -> tuple[Outcome | None, bool]:  # type: ignore[type-arg]
        """Record the request as an update and wait until it is handled: (its outcome, or
        None when it was recorded before or handled by another process; False when it is
        still waiting after `WAIT`)."""
        uid = int(user["id"])
        ext = f"{uid}:{key}"
        loop = asyncio.get_running_loop()
        mine = ext not in self._waiting
        fut = self._waiting.setdefault(ext, loop.create_future())
        try:
            name = " ".join(str(user.get(k, "")) for k in ("first_name", "last_name")).strip()
            payload = {"ext": ext, "user": uid, "name": name[:100], "web": web}
            new = await self.intake(CHANNEL, [(ext, f"tg:{uid}", payload)])
            deadline = loop.time() + WAIT
            while loop.time() < deadline:
                if new and mine:
                    done, _ = await asyncio.wait([fut], timeout=0.5)
                    if done:
                        return fut.result(), True
                else:
                    await asyncio.sleep(0.1)
                status = await self.core.db.run(self.inbox.status, CHANNEL, ext)
                if status not in (None, "pending"):
                    return None, True
            return None, False
        finally:
            if mine:
                self._waiting.pop(ext, None)

    # --- the web side ---------------------------------------------------------------------
    async def _who(self, request: Request, body: dict[str, Any]) -> dict:  # type: ignore[type-arg]
        raw = request.headers.get("x-telegram-init-data") or str(body.get("initData") or "")
        return check_init_data(
            raw, self.core.settings.telegram_bot_token, self.clock.now().timestamp()
        )

    async def _form(self, user: dict, sub: Any) -> tuple[dict[str, Any] | None, str | None]:  # type: ignore[type-arg]
        """The form as it now is, or why it is not open to this person."""
        uid = str(user["id"])
        msg = Inbound(channel="telegram", user_id=uid, chat_id=uid, web={"app": "form"})
        try:
            form = await asyncio.to_thread(self.core.look, msg, lambda ctx: view(ctx, sub))
        except (UserError, NotAllowed) as exc:
            return None, str(exc)
        return form, None

    async def page(self, request: Request) -> Response:
        return HTMLResponse(self.page_html, headers={**HEADERS, "Cache-Control": "no-cache"})

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response("not found", status_code=404)
        media = "text/javascript" if name.endswith(".js") else "text/css"
        return FileResponse(
            STATIC / name,
            media_type=media,
            headers={**HEADERS, "Cache-Control": "public, max-age=3600"},
        )

    async def _body(self, request: Request) -> dict[str, Any] | None:
        body = await request.body()
        if len(body) > MAX_JSON:
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    async def _request(self, request: Request) -> tuple[dict[str, Any], dict] | Response:  # type: ignore[type-arg]
        """The JSON body and the Telegram user who sent it, or the answer refusing it."""
        body = await self._body(request)
        if body is None:
            return _json(400, error=t("sheet_unknown"))
        try:
            return body, await self._who(request, body)
        except InitDataRefused as exc:
            return _json(401, error=str(exc))

    async def open(self, request: Request) -> Response:
        """The form's current state (GET would let a link preview fetch it: POST)."""
        got = await self._request(request)
        if isinstance(got, Response):
            return got
        body, user = got
        form, closed = await self._form(user, body.get("sub"))
        if form is None:
            return _json(403, error=closed)
        return _json(200, form=form)

    async def save(self, request: Request) -> Response:
        """[Simpan] or [Kirim]: the values, as an update."""
        got = await self._request(request)
        if isinstance(got, Response):
            return got
        body, user = got
        key, op = str(body.get("key", "")), body.get("op")
        if not _KEY.fullmatch(key) or op not in ("save", "submit"):
            return _json(400, error=t("sheet_unknown"))
        web = {"app": "form", "op": op, "sub": body.get("sub"), "answers": body.get("answers")}
        return await self._answer(user, key, web)

    async def upload(self, request: Request) -> Response:
        """A file for an indicator: the body is the file, what it belongs to in headers.
        Stored by its SHA-256 first, then recorded as an update naming it."""
        h = request.headers
        try:
            user = await self._who(request, {})
        except InitDataRefused as exc:
            return _json(401, error=str(exc))
        key = h.get("x-key", "")
        if not _KEY.fullmatch(key):
            return _json(400, error=t("sheet_unknown"))
        files = self.core.files
        length = h.get("content-length", "")
        size = int(length) if length.isdigit() and len(length) < 16 else 0
        if size > files.max_bytes:
            mb = f"{size / 1_048_576:.1f}".replace(".", ",")
            return _json(413, error=t("file_too_large", size_mb=mb, max_mb=files.max_bytes >> 20))
        content = await request.body()
        name = unquote(h.get("x-name", ""))[:200] or "berkas"
        try:
            files.check(name, len(content))
        except FileRejected as exc:
            return _json(413 if len(content) > files.max_bytes else 415, error=str(exc))
        sha = await asyncio.to_thread(files.write, content)
        web = {
            "app": "form",
            "op": "file",
            "sub": h.get("x-sub", ""),
            "indicator": h.get("x-indicator", ""),
            "sha": sha,
            "name": name,
            "mime": (h.get("content-type") or "application/octet-stream")[:100],
            "caption": unquote(h.get("x-caption", ""))[:500],
        }
        return await self._answer(user, key, web)

    async def _answer(self, user: dict, key: str, web: dict[str, Any]) -> Response:  # type: ignore[type-arg]
        outcome, finished = await self._apply(user, key, web)
        if not finished:
            return _json(202, error=t("sheet_busy"))
        refused = outcome is not None and outcome.alert
        form, closed = await self._form(user, web.get("sub"))
        message = outcome.notice if outcome is not None else None
        return _json(409 if refused else 200, message=message, form=form, closed=closed)

    def routes(self) -> list[BaseRoute]:
        return [
            Mount(
                PATH,
                routes=[
                    Route("/", self.page, methods=["GET"]),
                    Route("/{name}", self.static, methods=["GET"]),
                    Route("/api/buka", self.open, methods=["POST"]),
                    Route("/api/simpan", self.save, methods=["POST"]),
                    Route("/api/bukti", self.upload, methods=["POST"]),
                ],
            )
        ]
