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

People as WhatsApp shows them since 2026 (`bot.localapi.wa_shapes`): every messages webhook
carries the person's business-scoped user id (BSUID); a person with a username has no phone
number in webhooks. The Messages API takes a phone number in `to` and a BSUID in `recipient`
(`to` wins when both are given); authentication templates are refused for BSUID recipients
(131062). With `bsuid_rules` off (the default for now) a BSUID in `to` is still accepted and
counted in `stats["bsuid_in_to"]`, and webhooks carry generated BSUIDs only with it on; with it
on, a BSUID in `to` is refused with 131026 as Meta does.
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

from bot.localapi import wa_shapes
from bot.localapi.server import LocalServer
from bot.localapi.wa_shapes import WAUser

WINDOW = timedelta(hours=24)


class GraphError(Exception):
    def __init__(self, status: int, code: int, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


@dataclass
class SentWA:
    """A message the business (the bot) sent to a person."""

    id: str
    to: str  # the person's handle (phone number, else BSUID), whatever field addressed them
    type: str
    text: str | None = None
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    template: str | None = None
    params: list[str] = field(default_factory=list)
    filename: str | None = None
    content: bytes | None = None
    timestamp: datetime | None = None
    via: str = "to"  # the request field that addressed the person: "to" or "recipient"
    address: str = ""  # what the bot put in that field


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
        self.users: dict[str, WAUser] = {}  # by handle
        self.last_inbound: dict[str, datetime] = {}
        self.templates: dict[tuple[str, str], int] = {}
        self.template_category: dict[tuple[str, str], str] = {}
        self.media: dict[str, tuple[bytes, str, str]] = {}
        self.sent: list[SentWA] = []
        self.webhook_url = ""
        self.webhook_responses: list[int] = []
        self.errors: list[dict[str, Any]] = []
        self.stats: dict[str, Any] = {"limit_violations": 0, "sent": 0, "bsuid_in_to": 0}
        self.limits_enforced = False
        # Meta's 2026 rules in full: every webhook carries the BSUID (off: only BSUIDs given
        # to `add_user`, and those of people without a phone number), and `to` takes phone
        # numbers only (a BSUID there → 131026; off: accepted and counted)
        self.bsuid_rules = False
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
        self._former: dict[str, WAUser] = {}  # people by a handle they no longer have
        # BSUIDs the tests did not ask for: shown in webhooks only under `bsuid_rules`
        self._implicit_bsuid: set[str] = set()

    # --- lifecycle --------------------------------------------------------------------------
    max_body = 120 * 1024 * 1024

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/{version}/{phone}/messages", self._messages)
        app.router.add_post("/{version}/{phone}/media", self._upload)
        app.router.add_get("/media-download/{media_id}", self._download)
        app.router.add_get("/{version}/{media_id}", self._media_url)

    # --- setup ------------------------------------------------------------------------------
    def add_user(
        self,
        wa_id: str | None = None,
        name: str = "",
        user_id: str | None = None,
        *,
        username: str | None = None,
        parent_user_id: str | None = None,
    ) -> str:
        """A WhatsApp user; returns their handle (the phone number, else the BSUID).

        A person with a `username` has their phone number withheld from webhooks; one
        without a phone number (`wa_id=None`) must have a username. The BSUID is generated
        unless given."""
        user = WAUser(
            name=name,
            wa_id=wa_id,
            user_id=user_id or "",
            username=username,
            parent_user_id=parent_user_id,
        )
        self.users[user.handle] = user
        if user_id is None:
            self._implicit_bsuid.add(user.user_id)
        return user.handle

    def user(self, ident: str) -> WAUser:
        """The person known by a handle, phone number, BSUID or parent BSUID."""
        handle = self._resolve(ident)
        if handle is None:
            raise KeyError(ident)
        return self.users[handle]

    def _resolve(self, ident: str, phone: bool = True, bsuid: bool = True) -> str | None:
        for handle, u in self.users.items():
            if phone and ident == u.wa_id:
                return handle
            if bsuid and ident and ident in (u.user_id, u.parent_user_id):
                return handle
        return None

    def add_template(
        self, name: str, language: str = "id", params: int = 1, category: str = "UTILITY"
    ) -> None:
        """A registered template; `category` AUTHENTICATION (one-tap, zero-tap, copy-code)
        templates need a phone number: Meta refuses them for BSUID recipients (131062)."""
        self.templates[(name, language)] = params
        self.template_category[(name, language)] = category.upper()

    def set_webhook(self, url: str) -> None:
        self.webhook_url = url

    # --- acting as people ----------------------------------------------------------------------
    def _wamid(self) -> str:
        return f"wamid.{next(self._seq):06d}{secrets.token_hex(8)}"

    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    def _now_ts(self) -> str:
        return str(int(self.clock().timestamp()))

    async def _deliver(self, wa_id: str, message: dict[str, Any]) -> str:
        """A message from the person `wa_id` (handle, number or BSUID) to the bot."""
        user = self.user(wa_id)
        self.last_inbound[user.handle] = self.clock()
        message = {"id": self._wamid(), "timestamp": self._now_ts(), **message}
        bsuid = self.bsuid_rules or user.user_id not in self._implicit_bsuid
        body = json.dumps(wa_shapes.message_body(user, message, self.phone_id, bsuid)).encode()
        self._last_body[user.handle] = body
        await self.send_raw(body, self.sign(body))
        return str(message["id"])

    async def send_status(
        self,
        message_id: str,
        status: str,
        error_code: int | None = None,
        group_id: str | None = None,
    ) -> int:
        """Report a sent message as sent, delivered, read or failed (Meta's status webhook),
        naming the recipient as Meta does for a message sent to a number or to a BSUID."""
        sent = next(m for m in self.sent if m.id == message_id)
        errors = None
        if error_code is not None:
            errors = [wa_shapes.error(error_code, f"error {error_code}")]
        value = wa_shapes.status_value(
            self.users.get(sent.to) or self._former[sent.to],
            message_id,
            status,
            self._now_ts(),
            sent_to_phone=sent.via == "to",
            errors=errors,
            group_id=group_id,
            phone_id=self.phone_id,
        )
        return await self.send_payload(value)

    async def send_payload(self, body: Any) -> int:
        """Sign and POST any JSON body (a dict, or a malformed one) to the bot's webhook."""
        raw = json.dumps(body).encode()
        return await self.send_raw(raw, self.sign(raw))

    async def change_number(self, wa_id: str, new_wa_id: str) -> int:
        """The person changes their phone number: WhatsApp gives them a new BSUID, tells the
        business in a `system` webhook (`user_changed_number`), and knows them by the new
        number from then on (the old number and BSUID no longer reach them)."""
        old = self.user(wa_id)
        new_user_id = wa_shapes.new_bsuid(old.user_id.split(".", 1)[0])
        body = wa_shapes.system_number_changed(
            old, new_wa_id, new_user_id, self._wamid(), self._now_ts(), self.phone_id
        )
        self._former[old.handle] = self.users.pop(old.handle)
        new = WAUser(
            name=old.name,
            wa_id=new_wa_id,
            user_id=new_user_id,
            username=old.username,
            parent_user_id=old.parent_user_id,
        )
        self.users[new.handle] = new
        if old.handle in self.last_inbound:
            self.last_inbound[new.handle] = self.last_inbound.pop(old.handle)
        return await self.send_payload(body)

    async def change_user_id(self, wa_id: str) -> int:
        """Only the person's BSUID changes (`system`, `user_changed_user_id`)."""
        user = self.user(wa_id)
        new_user_id = wa_shapes.new_bsuid(user.user_id.split(".", 1)[0])
        body = wa_shapes.system_user_id_changed(
            user, new_user_id, self._wamid(), self._now_ts(), self.phone_id
        )
        old_handle = user.handle
        user.user_id = new_user_id
        if user.handle != old_handle:  # a username-only person is named by their BSUID
            self.users[user.handle] = self.users.pop(old_handle)
            if old_handle in self.last_inbound:
                self.last_inbound[user.handle] = self.last_inbound.pop(old_handle)
        return await self.send_payload(body)

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
        body = self._last_body[self.user(wa_id).handle]
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
        """Messages sent to a person, named by handle, phone number or BSUID."""
        handle = self._resolve(wa_id) or wa_id
        return [m for m in self.sent if m.to == handle]

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
            kind = p.get("type", "text")
            to, via, address = self._recipient(p)
            msg = SentWA(
                id=self._wamid(), to=to, type=kind, timestamp=self.clock(), via=via, address=address
            )
            if via == "recipient" and kind == "template":
                t = p.get("template", {})
                key = (t.get("name", ""), t.get("language", {}).get("code", ""))
                if self.template_category.get(key) == "AUTHENTICATION":
                    raise GraphError(
                        400,
                        131062,
                        "Business-scoped User ID (BSUID) recipients are not supported "
                        "for this message.",
                    )
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
        user = self.users[to]
        answered: dict[str, Any] = {"input": address}
        if via == "to":  # Meta answers with the identifier the message was sent to
            answered["wa_id"] = user.wa_id
        else:
            answered["user_id"] = user.user_id
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [answered],
                "messages": [{"id": msg.id}],
            }
        )

    def _recipient(self, p: dict[str, Any]) -> tuple[str, str, str]:
        """(handle, field, address) of a Messages API request: `to` takes a phone number and
        wins over `recipient`, which takes a BSUID or parent BSUID."""
        not_on_whatsapp = GraphError(
            400, 131026, "Message undeliverable", "recipient is not on WhatsApp"
        )
        to, recipient = str(p.get("to") or ""), str(p.get("recipient") or "")
        if to:
            handle = self._resolve(to, bsuid=False)
            if handle is not None:
                return handle, "to", to
            handle = self._resolve(to, phone=False)
            if handle is None:
                raise not_on_whatsapp
            # a BSUID where a phone number belongs: Meta does not deliver it
            self.stats["bsuid_in_to"] += 1
            if self.bsuid_rules:
                raise not_on_whatsapp
            return handle, "recipient", to
        if recipient:
            handle = self._resolve(recipient, phone=False)
            if handle is None:
                raise not_on_whatsapp
            return handle, "recipient", recipient
        raise GraphError(400, 100, "(#100) The parameter to is required.")

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
