"""WhatsApp channel (Cloud API): webhook updates into core calls, outbox rows out.

Client: plain httpx against WHATSAPP_API_URL rather than pywa. pywa hard-codes the Graph API
address, keeps listeners in memory and skips signature checks when no app secret is set; we
need a configurable address (the local fake in tests and the demo), a mandatory signature
check, and our own persisted state — and the Cloud API calls we make are few and plain.

WhatsApp has no message edits and no bot groups, at most 3 reply buttons (≤ 20 characters)
and lists of at most 10 rows: edits become short follow-ups, group announcements reach
WhatsApp users one to one, longer choices become numbered text ("ketik 1, 2 …").
Outside the 24-hour customer-service window, reminders go as the approved template.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, NoReturn

import httpx
from aiolimiter import AsyncLimiter
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import Inbound, InboundFile, Outcome
from bot.messaging import outbox
from bot.messaging.delivery import Defer, Message, Reroute, Retry, Undeliverable, report_failure
from bot.messaging.inbox import Item
from bot.settings import Settings
from bot.texts import t
from db.engine import Database
from db.models import Outbox, Person
from handlers.limits import ChatLimits

log = logging.getLogger(__name__)
WINDOW = timedelta(hours=24)
WINDOW_MARGIN = timedelta(minutes=30)
BUTTON_TITLE = 20
ROW_TITLE = 24


def signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256 is `sha256=` + HMAC-SHA256(body, app secret)."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def webhook_entries(payload: Any) -> list[tuple[str, str, dict[str, Any]]] | None:
    """A webhook body as inbox entries: each message (keyed by its id, ordered per sender)
    and each status (keyed by message id and status). None when the body is not shaped
    like a webhook at all."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry", []), list):
        return None
    out: list[tuple[str, str, dict[str, Any]]] = []
    for entry in payload.get("entry", []):
        changes = entry.get("changes", []) if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            return None
        for change in changes:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            contacts = [c for c in value.get("contacts") or [] if isinstance(c, dict)]
            by_id = {c.get("wa_id") or c.get("user_id"): c for c in contacts}
            for status in value.get("statuses") or []:
                if isinstance(status, dict) and status.get("id"):
                    ext = f"status:{status['id']}:{status.get('status')}"
                    out.append((ext, f"wa-status:{status['id']}", {"status": status}))
            for message in value.get("messages") or []:
                if not isinstance(message, dict) or not message.get("id"):
                    continue
                sender = str(message.get("from") or message.get("from_user_id") or "")
                contact = by_id.get(sender) or (contacts[0] if contacts else {})
                actor = f"wa:{contact.get('user_id') or sender}"
                out.append((str(message["id"]), actor, {"message": message, "contact": contact}))
    return out


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


Handle = Callable[[Inbound], Awaitable[Outcome]]
Record = Callable[[str, list[tuple[str, str, dict[str, Any]]]], Awaitable[object]]


class WhatsAppChannel:
    """Both directions of the WhatsApp channel."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        clock: Clock,
        handle: Handle,
        record: Record,
        max_file_bytes: int,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings, self.db, self.clock = settings, db, clock
        self.handle, self.record, self.max_file_bytes = handle, record, max_file_bytes
        s = settings
        self.base = f"{s.whatsapp_api_url}/{s.whatsapp_api_version}"
        self.phone_id = s.whatsapp_phone_id
        self.client = client or httpx.AsyncClient(
            timeout=s.telegram_timeout, headers={"Authorization": f"Bearer {s.whatsapp_token}"}
        )
        # Cloud API limits: throughput per business number, and the pair rate (a burst, then
        # one message every few seconds to the same person); see .env.example.
        self.throughput = AsyncLimiter(s.whatsapp_rate, 1.0) if s.whatsapp_rate > 0 else None
        self.pair = ChatLimits(s.whatsapp_pair_burst, s.whatsapp_pair_seconds)
        self._strangers: OrderedDict[str, datetime] = OrderedDict()

    # --- incoming ---------------------------------------------------------------------------
    async def webhook(self, body: bytes, signature: str | None) -> int:
        """One webhook POST: check the signature, record its messages and statuses in the
        inbox (committed), and only then answer 200 (Meta retries anything else). Malformed
        bodies are answered 400 and logged; they never raise."""
        if not signature_ok(self.settings.whatsapp_app_secret, body, signature):
            log.warning("whatsapp webhook refused: bad or missing signature")
            return 401
        try:
            payload = json.loads(body)
        except ValueError:
            log.warning("whatsapp webhook: body is not JSON (%d bytes)", len(body))
            return 400
        batch = webhook_entries(payload)
        if batch is None:
            log.warning("whatsapp webhook: unexpected shape %.120r", payload)
            return 400
        if batch:
            await self.record("whatsapp", batch)
        return 200

    async def process(self, item: Item) -> None:
        """Handle one recorded message or status (called by the inbox dispatcher)."""
        p = item.payload
        if "status" in p:
            await asyncio.to_thread(self._status, p["status"])
            item.meta["status"] = "done"  # a status changes no state a handler marks
            return
        await self._message(p.get("message") or {}, p.get("contact") or {})

    def _status(self, status: dict[str, Any]) -> None:
        with self.db.transaction() as s:
            row = s.scalar(
                select(Outbox).where(
                    Outbox.channel == "whatsapp", Outbox.remote_id == str(status.get("id"))
                )
            )
            if row is not None:
                row.remote_status = str(status.get("status"))[:16]
                if status.get("status") == "failed":  # accepted, then not delivered
                    errors = status.get("errors") or [{}]
                    first = errors[0] if isinstance(errors, list) and errors else {}
                    row.error = f"WhatsApp: {first.get('title') or first.get('code')}"
                    report_failure(s, row, self.clock.now())

    def _link(self, sender: str, contact: dict[str, Any]) -> str:
        """Record the business-scoped user id and the window; return the id to key on."""
        user_id = contact.get("user_id")
        wa_id = contact.get("wa_id") or sender
        with self.db.transaction() as s:
            person = s.scalar(
                select(Person).where(
                    (Person.whatsapp_number == wa_id)
                    | (Person.whatsapp_user_id == (user_id or sender))
                )
            )
            if person is not None:
                if user_id and person.whatsapp_user_id != user_id:
                    person.whatsapp_user_id = user_id
                person.whatsapp_last_inbound = self.clock.now()
                return person.whatsapp_user_id or person.whatsapp_number or sender
        # not (yet) a person of the office: their window is kept in memory, long enough to
        # answer them (the refusal, or the reply to their invitation code)
        key = user_id or wa_id
        self._strangers.pop(key, None)
        self._strangers[key] = self.clock.now()
        while len(self._strangers) > 1000:
            self._strangers.popitem(last=False)
        return key

    async def _message(self, message: dict[str, Any], contact: dict[str, Any]) -> None:
        sender = str(message.get("from") or message.get("from_user_id") or "")
        key = await asyncio.to_thread(self._link, sender, contact)
        await asyncio.to_thread(self._resend_after_template, key)
        inbound = Inbound(
            channel="whatsapp",
            user_id=key,
            chat_id=key,
            user_name=str((contact.get("profile") or {}).get("name", "")),
        )
        kind = message.get("type")
        if kind == "text":
            text = str((message.get("text") or {}).get("body") or "").strip()
            choice = await asyncio.to_thread(self._numbered_choice, key, text)
            if choice is not None:
                inbound.button = choice
            elif text.startswith("/"):
                head, *args = text[1:].split() or [""]
                inbound.command, inbound.args = head.lower(), args
            else:
                inbound.text = text
        elif kind == "interactive" and isinstance(message.get("interactive"), dict):
            inter = message["interactive"]
            reply = inter.get("button_reply") or inter.get("list_reply") or {}
            inbound.button = str(reply.get("id", ""))
        elif kind == "button":  # a template's quick-reply
            inbound.text = ""
            payload = (message.get("button") or {}).get("payload")
            inbound.command = "status" if payload == "status" else None
        elif kind in ("document", "image") and isinstance(message.get(kind), dict):
            media = message[kind]
            inbound.file = await self._download(media, kind)
            inbound.text = media.get("caption")
            inbound.file.caption = media.get("caption")
        else:
            inbound.text = ""
        outcome = await self.handle(inbound)
        if outcome.notice:  # WhatsApp has no toast: the notice is a message
            with self.db.transaction() as s:
                outbox.enqueue(
                    s, now=self.clock.now(), channel="whatsapp", chat_id=key, text=outcome.notice
                )

    def _resend_after_template(self, chat: str) -> None:
        """The person wrote, so the 24-hour window is open again: messages that could only go
        as a template (their buttons lost) are sent again in full."""
        with self.db.transaction() as s:
            for row in self._sent_as_template(s, self.clock.now() - WINDOW, chat):
                if row.template.get("wa") != "template":
                    continue
                row.template = {**row.template, "wa": "template-resent"}
                if row.buttons or row.file_id:
                    outbox.copy(s, row, now=self.clock.now(), channel="whatsapp", chat_id=chat)

    @staticmethod
    def _sent_as_template(s: Session, since: datetime, chat: str | None = None) -> list[Outbox]:
        """WhatsApp rows sent since `since` as a template (marked in their `template` field)."""
        q = select(Outbox).where(
            Outbox.channel == "whatsapp", Outbox.status == "sent", Outbox.sent_at >= since
        )
        if chat is not None:
            q = q.where(Outbox.chat_id == chat)
        return [r for r in s.scalars(q.order_by(Outbox.id)) if (r.template or {}).get("wa")]

    def _numbered_choice(self, chat: str, text: str) -> str | None:
        """ "2" answers the last numbered-choice message sent to this chat."""
        if not text.isdigit():
            return None
        with self.db.transaction() as s:
            last = s.scalar(
                select(Outbox)
                .where(
                    Outbox.channel == "whatsapp",
                    Outbox.chat_id == chat,
                    Outbox.status == "sent",
                    Outbox.kind != "document",
                )
                .order_by(Outbox.id.desc())
            )
            flat = [b for row in (last.buttons if last else []) for b in row]
            if last is None or len(flat) <= 10 or not 1 <= int(text) <= len(flat):
                return None
            return str(flat[int(text) - 1][1])

    async def _download(self, media: dict[str, Any], kind: str) -> InboundFile:
        name = media.get("filename") or f"{kind}_{media.get('id', '')}.jpg"
        f = InboundFile(
            name=name,
            mime=media.get("mime_type", "application/octet-stream"),
            size=None,
            content=None,
            source_id=media.get("id", ""),
            is_photo=kind == "image",
        )
        try:
            meta = await self.client.get(f"{self.base}/{media['id']}")
            meta.raise_for_status()
            info = meta.json()
            f.size = int(info.get("file_size") or 0) or None
            if f.size is not None and f.size > self.max_file_bytes:
                return f
            data = await self.client.get(info["url"])
            data.raise_for_status()
            f.content, f.size = data.content, len(data.content)
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            f.mime = f"error:{exc.__class__.__name__}"
        return f

    # --- outgoing -----------------------------------------------------------------------------
    @staticmethod
    def _person_at(s: Session, chat_id: str) -> Person | None:
        """The person a WhatsApp chat id (business-scoped user id or number) belongs to."""
        return s.scalar(
            select(Person).where(
                (Person.whatsapp_user_id == chat_id) | (Person.whatsapp_number == chat_id)
            )
        )

    def _in_window(self, chat_id: str) -> bool:
        with self.db.transaction() as s:
            person = self._person_at(s, chat_id)
            last = person.whatsapp_last_inbound if person else self._strangers.get(chat_id)
        return last is not None and self.clock.now() - last < WINDOW - WINDOW_MARGIN

    async def send(self, msg: Message) -> str:
        if not self._in_window(msg.chat_id):
            return await self._template(msg)
        try:
            return await self._send_free(msg)
        except Undeliverable as exc:
            if "131047" in str(exc):  # the window closed after all: use the template
                return await self._template(msg)
            raise

    async def _paced(self, to: str) -> None:
        """Wait for room under the number's throughput and the pair rate to `to`."""
        if self.pair.enabled:
            await self.pair[to].acquire()
        if self.throughput is not None:
            await self.throughput.acquire()

    async def _post(self, payload: dict[str, Any]) -> str:
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
        await self._paced(str(payload["to"]))
        try:
            r = await self.client.post(f"{self.base}/{self.phone_id}/messages", json=payload)
        except httpx.TimeoutException as exc:
            raise Retry(f"timeout: {exc.__class__.__name__}") from None
        except httpx.HTTPError as exc:
            raise Retry(f"network: {exc.__class__.__name__}") from None
        if r.status_code == 200:
            return str(r.json()["messages"][0]["id"])
        err = (
            r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        ).get("error", {})
        code = err.get("code")
        if r.status_code == 429 or code in (4, 80007, 130429, 131056):
            raise Retry(f"WhatsApp {code}: rate limit", 6.0 if code == 131056 else None)
        if r.status_code >= 500 or code in (1, 2, 131000):
            raise Retry(f"WhatsApp {r.status_code}/{code}")
        detail = (err.get("error_data") or {}).get("details") or err.get("message") or r.text
        raise Undeliverable(f"ditolak WhatsApp ({code}): {detail}")

    async def _upload(self, msg: Message) -> str:
        assert msg.file_path is not None
        with open(msg.file_path, "rb") as fh:
            files = {
                "file": (msg.file_name or "file", fh, msg.file_mime or "application/octet-stream")
            }
            try:
                r = await self.client.post(
                    f"{self.base}/{self.phone_id}/media",
                    files=files,
                    data={
                        "messaging_product": "whatsapp",
                        "type": msg.file_mime or "application/octet-stream",
                    },
                )
            except httpx.HTTPError as exc:
                raise Retry(f"upload: {exc.__class__.__name__}") from None
        if r.status_code != 200:
            raise (
                Retry(f"upload failed: {r.status_code}")
                if r.status_code >= 500
                else Undeliverable(f"upload ditolak: {r.text[:200]}")
            )
        return str(r.json()["id"])

    async def _send_free(self, msg: Message) -> str:
        if msg.kind in ("document", "photo"):
            media_id = await self._upload(msg)
            if msg.kind == "photo":
                body: dict[str, Any] = {"id": media_id}
                if msg.text:
                    body["caption"] = msg.text[:1024]
                return await self._post({"to": msg.chat_id, "type": "image", "image": body})
            body = {"id": media_id, "filename": msg.file_name or "dokumen"}
            if msg.text:
                body["caption"] = msg.text[:1024]
            return await self._post({"to": msg.chat_id, "type": "document", "document": body})
        text = msg.text or ""
        if msg.kind == "edit":
            if not msg.text and not msg.buttons:
                return msg.edit_remote_id or "-"  # removing buttons: WhatsApp cannot; say nothing
            text = msg.text or t("wa_updated_choices")
        return await self._post(self._interactive(msg.chat_id, text, msg.buttons))

    def _interactive(self, to: str, text: str, buttons: outbox.Buttons) -> dict[str, Any]:
        flat = [b for row in buttons for b in row]
        if not flat:
            return {"to": to, "type": "text", "text": {"body": text[:4096]}}
        if len(flat) <= 3:
            return {
                "to": to,
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": text[:1024]},
                    "action": {
                        "buttons": [
                            {
                                "type": "reply",
                                "reply": {"id": tok, "title": _short(label, BUTTON_TITLE)},
                            }
                            for label, tok in flat
                        ]
                    },
                },
            }
        if len(flat) <= 10:
            return {
                "to": to,
                "type": "interactive",
                "interactive": {
                    "type": "list",
                    "body": {"text": text[:1024]},
                    "action": {
                        "button": t("wa_list_button"),
                        "sections": [
                            {
                                "title": t("wa_list_title"),
                                "rows": [
                                    {
                                        "id": tok,
                                        "title": _short(label, ROW_TITLE),
                                        **(
                                            {"description": label[:72]}
                                            if len(label) > ROW_TITLE
                                            else {}
                                        ),
                                    }
                                    for label, tok in flat
                                ],
                            }
                        ],
                    },
                },
            }
        lines = [text, "", t("wa_numbered")] + [
            f"{i}. {label}" for i, (label, _) in enumerate(flat, 1)
        ]
        return {"to": to, "type": "text", "text": {"body": "\n".join(lines)[:4096]}}

    def _reroute_or(self, chat_id: str, reason: str, otherwise: Exception) -> NoReturn:
        """Cannot go on WhatsApp: to the person's Telegram when they have it, else `otherwise`."""
        with self.db.transaction() as db:
            person = self._person_at(db, chat_id)
            tg = person.telegram_user_id if person else None
        if tg:
            raise Reroute(t("wa_rerouted", reason=reason), "telegram", str(tg))
        raise otherwise

    def _check_daily_limit(self, chat_id: str) -> None:
        """WhatsApp's messaging limit: at most WHATSAPP_DAILY_LIMIT different people reached
        outside their window in a moving 24 hours. Past it, a person linked on Telegram gets
        the message there; anyone else waits until the oldest of those 24 hours frees a place.
        """
        limit = self.settings.whatsapp_daily_limit
        if limit <= 0:
            return
        since = self.clock.now() - WINDOW
        reached: dict[str, datetime] = {}
        with self.db.transaction() as db:
            for row in self._sent_as_template(db, since):
                assert row.sent_at is not None
                reached.setdefault(row.chat_id, row.sent_at)
        if len(reached) < limit or chat_id in reached:
            return
        reason = t("wa_daily_limit", limit=limit)
        self._reroute_or(chat_id, reason, Defer(reason, min(reached.values()) + WINDOW))

    async def _template(self, msg: Message) -> str:
        """Outside the 24-hour window only an approved template may open the conversation."""
        s = self.settings
        if not s.whatsapp_template_reminder:
            reason = t("wa_no_template")
            self._reroute_or(msg.chat_id, reason, Undeliverable(reason))
        self._check_daily_limit(msg.chat_id)
        summary = (msg.text or msg.file_name or t("wa_template_default"))[:900].replace("\n", " ")
        remote_id = await self._post(
            {
                "to": msg.chat_id,
                "type": "template",
                "template": {
                    "name": s.whatsapp_template_reminder,
                    "language": {"code": s.whatsapp_template_language},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": summary}]}
                    ],
                },
            }
        )
        with self.db.transaction() as db:  # sent again in full once the person replies
            row = db.get(Outbox, msg.id)
            if row is not None:
                row.template = {**(row.template or {}), "wa": "template"}
        return remote_id
