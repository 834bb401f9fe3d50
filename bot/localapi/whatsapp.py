"""A local fake of the WhatsApp Business Cloud API (Graph API) on 127.0.0.1, for tests and
the demo. The bot calls it with httpx exactly as graph.facebook.com (`{root}/{version}/
{phone_number_id}/messages`, `/media`, media URLs); the fake calls the bot's webhook with
`X-Hub-Signature-256` signed bodies, as Meta does.

It enforces what the bot must respect: the bearer token, the 24-hour customer-service
window (free-form messages only within 24 h of the person's last message, by the injected
clock; templates any time, if registered), interactive limits (3 reply buttons of ≤ 20
characters, lists of ≤ 10 rows of ≤ 24), throughput (80/s per number), the pair rate (a
burst of 45, then one message per 6 s to one person), the messaging limit (250 different
people reached outside their window in 24 h) and unknown recipients, with Meta's error codes
(100, 131026, 131047, 131048, 132001, 130429, 131056). A limit broken is counted in
`stats["limit_violations"]`, and refused only when `limits_enforced` is set.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiohttp import web

from bot.localapi.server import LocalServer

WINDOW = timedelta(hours=24)


class GraphError(Exception):
    def __init__(self, status: int, code: int, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


@dataclass
class SentWA:
    """A message the business (the bot) sent to a person."""

    id: str
    to: str
    type: str
    text: str | None = None
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    template: str | None = None
    params: list[str] = field(default_factory=list)
    filename: str | None = None
    content: bytes | None = None
    timestamp: datetime | None = None


class FakeWhatsApp(LocalServer):
    def __init__(
        self,
        token: str = "WA-TOKEN",
        phone_number_id: str = "1234567890",
        app_secret: str = "app-secret",
        api_version: str = "v21.0",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.token, self.phone_id, self.app_secret = token, phone_number_id, app_secret
        self.version = api_version
        self.clock = clock or (lambda: datetime.now(UTC))
        self.users: dict[str, dict[str, Any]] = {}
        self.last_inbound: dict[str, datetime] = {}
        self.templates: dict[tuple[str, str], int] = {}
        self.media: dict[str, tuple[bytes, str, str]] = {}
        self.sent: list[SentWA] = []
        self.webhook_url = ""
        self.webhook_responses: list[int] = []
        self.errors: list[dict[str, Any]] = []
        self.stats: dict[str, Any] = {"limit_violations": 0, "sent": 0}
        self.limits_enforced = False
        # WhatsApp's limits: throughput per number, the pair rate (a burst of 45, then one
        # message every 6 s to the same person), and the messaging limit (different people
        # reached with a business-initiated template in a moving 24 hours; 250 when new).
        self.throughput = 80
        self.pair_burst, self.pair_seconds = 45, 6.0
        self.messaging_limit = 250
        self._initiated: dict[str, datetime] = {}
        self._buckets: dict[object, tuple[float, float]] = {}
        self._seq = itertools.count(1)
        self._last_body: dict[str, bytes] = {}

    # --- lifecycle --------------------------------------------------------------------------
    max_body = 120 * 1024 * 1024

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/{version}/{phone}/messages", self._messages)
        app.router.add_post("/{version}/{phone}/media", self._upload)
        app.router.add_get("/media-download/{media_id}", self._download)
        app.router.add_get("/{version}/{media_id}", self._media_url)

    # --- setup ------------------------------------------------------------------------------
    def add_user(self, wa_id: str, name: str, user_id: str | None = None) -> None:
        self.users[wa_id] = {"name": name, "user_id": user_id}

    def add_template(self, name: str, language: str = "id", params: int = 1) -> None:
        self.templates[(name, language)] = params

    def set_webhook(self, url: str) -> None:
        self.webhook_url = url

    # --- acting as people ----------------------------------------------------------------------
    def _wamid(self) -> str:
        return f"wamid.{next(self._seq):06d}{secrets.token_hex(8)}"

    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    async def _deliver(self, wa_id: str, message: dict[str, Any]) -> str:
        user = self.users[wa_id]
        self.last_inbound[wa_id] = self.clock()
        contact: dict[str, Any] = {"profile": {"name": user["name"]}, "wa_id": wa_id}
        if user.get("user_id"):
            contact["user_id"] = user["user_id"]
        message = {
            "from": wa_id,
            "id": self._wamid(),
            "timestamp": str(int(self.clock().timestamp())),
            **message,
        }
        body = self._envelope({"contacts": [contact], "messages": [message]})
        self._last_body[wa_id] = body
        await self.send_raw(body, self.sign(body))
        return str(message["id"])

    def _envelope(self, value: dict[str, Any]) -> bytes:
        """A webhook body as Meta sends it, around one change's `value`."""
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "620000", "phone_number_id": self.phone_id},
            **value,
        }
        change = {"field": "messages", "value": value}
        entry = {"id": "WABA", "changes": [change]}
        return json.dumps({"object": "whatsapp_business_account", "entry": [entry]}).encode()

    async def send_status(self, message_id: str, status: str, error_code: int | None = None) -> int:
        """Report a sent message as delivered, read or failed (Meta's status webhook)."""
        sent = next(m for m in self.sent if m.id == message_id)
        item: dict[str, Any] = {
            "id": message_id,
            "status": status,
            "timestamp": str(int(self.clock().timestamp())),
            "recipient_id": sent.to,
        }
        if error_code is not None:
            item["errors"] = [{"code": error_code, "title": f"error {error_code}"}]
        body = self._envelope({"statuses": [item]})
        return await self.send_raw(body, self.sign(body))

    async def send_raw(self, body: bytes, signature: str | None) -> int:
        """POST a webhook body to the bot; returns the HTTP status it answered."""
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        async with httpx.AsyncClient(timeout=60) as client:
            r = await client.post(self.webhook_url, content=body, headers=headers)
        self.webhook_responses.append(r.status_code)
        return r.status_code

    async def resend_last(self, wa_id: str) -> int:
        """Meta retries deliveries: the same body again."""
        body = self._last_body[wa_id]
        return await self.send_raw(body, self.sign(body))

    async def send_text(self, wa_id: str, text: str) -> str:
        return await self._deliver(wa_id, {"type": "text", "text": {"body": text}})

    def _find_choice(self, wa_id: str, title: str) -> tuple[str, str, str]:
        for msg in reversed(self.messages_to(wa_id)):
            for bid, btitle in msg.buttons:
                if btitle.startswith(title):
                    return bid, btitle, msg.id
        visible = [t for m in self.messages_to(wa_id) for _, t in m.buttons]
        raise LookupError(f"no choice {title!r} for {wa_id}; visible: {visible[-10:]}")

    async def press(self, wa_id: str, title: str) -> str:
        """Tap a reply button or choose a list row whose title starts with `title`."""
        bid, btitle, mid = self._find_choice(wa_id, title)
        msg = next(m for m in self.sent if m.id == mid)
        kind = "button_reply" if msg.type == "button" else "list_reply"
        return await self._deliver(
            wa_id,
            {
                "type": "interactive",
                "context": {"id": mid},
                "interactive": {"type": kind, kind: {"id": bid, "title": btitle}},
            },
        )

    async def press_id(self, wa_id: str, button_id: str, title: str = "?") -> str:
        return await self._deliver(
            wa_id,
            {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": button_id, "title": title},
                },
            },
        )

    def _store_media(self, content: bytes, mime: str, filename: str) -> str:
        media_id = str(10**15 + next(self._seq))
        self.media[media_id] = (content, mime, filename)
        return media_id

    async def send_document(
        self, wa_id: str, content: bytes, filename: str, mime: str, caption: str | None = None
    ) -> str:
        media_id = self._store_media(content, mime, filename)
        doc = {
            "id": media_id,
            "mime_type": mime,
            "filename": filename,
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        if caption:
            doc["caption"] = caption
        return await self._deliver(wa_id, {"type": "document", "document": doc})

    async def send_image(self, wa_id: str, content: bytes, mime: str = "image/jpeg") -> str:
        media_id = self._store_media(content, mime, "image.jpg")
        return await self._deliver(
            wa_id,
            {
                "type": "image",
                "image": {
                    "id": media_id,
                    "mime_type": mime,
                    "sha256": hashlib.sha256(content).hexdigest(),
                },
            },
        )

    # --- reading ------------------------------------------------------------------------------
    def messages_to(self, wa_id: str) -> list[SentWA]:
        return [m for m in self.sent if m.to == wa_id]

    def last_to(self, wa_id: str) -> SentWA | None:
        msgs = self.messages_to(wa_id)
        return msgs[-1] if msgs else None

    def texts_to(self, wa_id: str) -> list[str]:
        return [m.text or "" for m in self.messages_to(wa_id)]

    async def wait_for(self, wa_id: str, count: int = 1, timeout: float = 10.0) -> list[SentWA]:
        """Until `count` messages have been sent to `wa_id`."""
        await self.wait_until(
            lambda: len(self.messages_to(wa_id)) >= count,
            timeout,
            lambda: f"{wa_id} received {self.texts_to(wa_id)}",
        )
        return self.messages_to(wa_id)

    # --- Graph API ----------------------------------------------------------------------------
    def _auth(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise GraphError(401, 190, "Invalid OAuth access token.")

    @staticmethod
    def _error(exc: GraphError) -> web.Response:
        err: dict[str, Any] = {
            "message": exc.message,
            "type": "OAuthException",
            "code": exc.code,
            "fbtrace_id": secrets.token_hex(6),
        }
        if exc.details:
            err["error_data"] = {"messaging_product": "whatsapp", "details": exc.details}
        return web.json_response({"error": err}, status=exc.status)

    def _take(self, key: object, capacity: float, per_second: float) -> bool:
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * per_second)
        ok = tokens >= 1
        self._buckets[key] = (tokens - 1 if ok else tokens, now)
        return ok

    def _limits(self, to: str, initiates: bool) -> None:
        for ok, code, message in (
            (self._take("number", self.throughput, self.throughput), 130429, "Rate limit hit"),
            (
                self._take(to, self.pair_burst, 1 / self.pair_seconds),
                131056,
                "(Business Account, Consumer Account) pair rate limit hit",
            ),
            (
                not initiates or self._may_initiate(to),
                131048,
                "Spam rate limit hit: messaging limit of the business number reached",
            ),
        ):
            if not ok:
                self.stats["limit_violations"] += 1
                if self.limits_enforced:
                    raise GraphError(400, code, message)
                return

    def _may_initiate(self, to: str) -> bool:
        """A template to someone outside the window opens a business-initiated conversation."""
        now = self.clock()
        self._initiated = {k: v for k, v in self._initiated.items() if now - v < WINDOW}
        if to not in self._initiated and len(self._initiated) >= self.messaging_limit:
            return False
        self._initiated.setdefault(to, now)
        return True

    def _interactive(self, inter: dict[str, Any]) -> tuple[str, str, list[tuple[str, str]]]:
        body = inter.get("body", {}).get("text", "")
        if not body or len(body) > 1024:
            raise GraphError(
                400, 100, "(#100) Invalid parameter", "body text must be 1-1024 characters"
            )
        action = inter.get("action", {})
        if inter.get("type") == "button":
            buttons = action.get("buttons", [])
            if not 1 <= len(buttons) <= 3:
                raise GraphError(400, 100, "(#100) Invalid parameter", "buttons: 1 to 3 allowed")
            out = []
            for b in buttons:
                reply = b.get("reply", {})
                if not 1 <= len(reply.get("title", "")) <= 20 or len(reply.get("id", "")) > 256:
                    raise GraphError(
                        400, 100, "(#100) Invalid parameter", "button title must be 1-20 characters"
                    )
                out.append((reply["id"], reply["title"]))
            return "button", body, out
        if inter.get("type") == "list":
            if not 1 <= len(action.get("button", "")) <= 20:
                raise GraphError(
                    400, 100, "(#100) Invalid parameter", "list button text 1-20 characters"
                )
            rows = [r for sec in action.get("sections", []) for r in sec.get("rows", [])]
            if not 1 <= len(rows) <= 10:
                raise GraphError(400, 100, "(#100) Invalid parameter", "list rows: 1 to 10 allowed")
            for r in rows:
                if not 1 <= len(r.get("title", "")) <= 24 or len(r.get("description", "")) > 72:
                    raise GraphError(
                        400, 100, "(#100) Invalid parameter", "row title 1-24 characters"
                    )
            return "list", body, [(r["id"], r["title"]) for r in rows]
        raise GraphError(400, 100, "(#100) Invalid parameter", "unknown interactive type")

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            self._auth(request)
            p = await request.json()
            to = str(p.get("to", ""))
            if to not in self.users:
                raise GraphError(
                    400, 131026, "Message undeliverable", "recipient is not on WhatsApp"
                )
            kind = p.get("type", "text")
            msg = SentWA(id=self._wamid(), to=to, type=kind, timestamp=self.clock())
            if kind != "template":
                last = self.last_inbound.get(to)
                if last is None or self.clock() - last > WINDOW:
                    raise GraphError(
                        400,
                        131047,
                        "Re-engagement message",
                        "Message failed to send because more than 24 hours have "
                        "passed since the customer last replied to this number.",
                    )
            if kind == "text":
                body = p.get("text", {}).get("body", "")
                if not body or len(body) > 4096:
                    raise GraphError(
                        400, 100, "(#100) Invalid parameter", "text body 1-4096 characters"
                    )
                msg.text = body
            elif kind == "interactive":
                msg.type, msg.text, msg.buttons = self._interactive(p.get("interactive", {}))
            elif kind in ("document", "image"):
                media = p.get(kind, {})
                if media.get("id") not in self.media:
                    raise GraphError(400, 100, "(#100) Invalid parameter", "unknown media id")
                content, _, name = self.media[media["id"]]
                msg.content, msg.filename = content, media.get("filename", name)
                msg.text = media.get("caption")
            elif kind == "template":
                t = p.get("template", {})
                key = (t.get("name", ""), t.get("language", {}).get("code", ""))
                if key not in self.templates:
                    raise GraphError(400, 132001, "Template name does not exist in the translation")
                params = [
                    prm.get("text", "")
                    for c in t.get("components", [])
                    if c.get("type") == "body"
                    for prm in c.get("parameters", [])
                ]
                if len(params) != self.templates[key]:
                    raise GraphError(
                        400,
                        132000,
                        "Number of parameters does not match the expected number of params",
                    )
                msg.template, msg.params, msg.text = key[0], params, " ".join(params)
            else:
                raise GraphError(400, 100, "(#100) Invalid parameter", f"type {kind}")
            last = self.last_inbound.get(to)
            outside = last is None or self.clock() - last > WINDOW
            self._limits(to, initiates=kind == "template" and outside)
        except GraphError as exc:
            self.errors.append({"code": exc.code, "message": exc.message})
            return self._error(exc)
        self.sent.append(msg)
        self.stats["sent"] += 1
        await self.notify()
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": msg.id}],
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        try:
            self._auth(request)
        except GraphError as exc:
            return self._error(exc)
        form = await request.post()
        f = form.get("file")
        if not isinstance(f, web.FileField):
            return self._error(GraphError(400, 100, "(#100) Invalid parameter", "file missing"))
        content = f.file.read()
        return web.json_response({"id": self._store_media(content, f.content_type, f.filename)})

    async def _media_url(self, request: web.Request) -> web.Response:
        try:
            self._auth(request)
        except GraphError as exc:
            return self._error(exc)
        media_id = request.match_info["media_id"]
        if media_id not in self.media:
            return self._error(GraphError(404, 100, "(#100) Invalid parameter", "unknown media"))
        content, mime, _ = self.media[media_id]
        return web.json_response(
            {
                "url": f"{self.root}/media-download/{media_id}",
                "mime_type": mime,
                "sha256": hashlib.sha256(content).hexdigest(),
                "file_size": len(content),
                "id": media_id,
                "messaging_product": "whatsapp",
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.Response(status=401)
        media = self.media.get(request.match_info["media_id"])
        if media is None:
            return web.Response(status=404)
        return web.Response(body=media[0], content_type=media[1])
