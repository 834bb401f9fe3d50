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

import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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
from bot.messaging.inbox import Inbox, Item, current_item
from bot.settings import Settings
from bot.texts import t
from db.engine import Database
from db.models import InboxUpdate, Outbox, Person
from handlers import whatsapp_ids as ids
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


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def webhook_entries(payload: Any) -> list[tuple[str, str, dict[str, Any]]] | None:
    """A webhook body as inbox entries: each message (keyed by its id, ordered per sender:
    the actor is the BSUID, else the number) and each status (keyed by message id and
    status). None when the body is not shaped like a webhook at all."""
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
            contacts = [c for c in _list(value.get("contacts")) if isinstance(c, dict)]
            for status in _list(value.get("statuses")):
                if isinstance(status, dict) and status.get("id"):
                    ext = f"status:{status['id']}:{status.get('status')}"
                    out.append((ext, f"wa-status:{status['id']}", {"status": status}))
            for message in _list(value.get("messages")):
                if not isinstance(message, dict) or not message.get("id"):
                    continue
                contact = _contact_of(message, contacts)
                snd = ids.Sender.of(message, contact)
                actor = f"wa:{snd.bsuid or snd.phone or '?'}"
                out.append((str(message["id"]), actor, {"message": message, "contact": contact}))
    return out


def _contact_of(message: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    """The `contacts[]` entry of a message's sender (by number or BSUID), else the first."""
    for c in contacts:
        if message.get("from") and c.get("wa_id") == message.get("from"):
            return c
        if message.get("from_user_id") and c.get("user_id") == message.get("from_user_id"):
            return c
    return contacts[0] if contacts else {}


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


SKIP = object()  # a message that needs no answer
# message types the bot has no use for, and how the "not used here" answer names them
_KINDS = {
    "sticker": "wa_kind_sticker",
    "audio": "wa_kind_audio",
    "location": "wa_kind_location",
    "contacts": "wa_kind_contacts",
    "order": "wa_kind_order",
    "unsupported": "wa_kind_other",
}
_EXT = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "application/pdf": "pdf",
}


@dataclass
class Note:
    """An answer the channel gives itself (a message type the core has no use for)."""

    text: str
    buttons: outbox.Buttons = field(default_factory=list)
    template: dict[str, Any] = field(default_factory=dict)
    once: str | None = None  # at most once per 24 hours per chat, under this name


@dataclass
class Target:
    """Where one chat's messages go (see `_target`)."""

    address: dict[str, str]  # {"to": number} or {"recipient": BSUID}
    number: str | None
    last_inbound: datetime | None
    telegram: int | None


class _BsuidRefused(Exception):
    """131062: this message cannot go to a BSUID recipient."""


def _numbered(template: dict[str, Any] | None) -> bool:
    return bool((template or {}).get("wa_numbered"))


def _errors(errors: Any) -> str:
    """`errors[]` of a webhook, short, for the log."""
    if not isinstance(errors, list) or not errors:
        return "no interactive object"
    first = errors[0] if isinstance(errors[0], dict) else {}
    return f"{first.get('code')} {first.get('title') or first.get('message') or ''}".strip()


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
            await self.db.run(self._status, p["status"])
            item.status = "done"  # a status changes no state a handler marks
            return
        message, contact = p.get("message"), p.get("contact")
        if not isinstance(message, dict):
            log.warning("whatsapp inbox item %s: no message object; ignored", item.id)
            return
        await self._message(message, contact if isinstance(contact, dict) else {})

    def _status(self, status: Any) -> None:
        """A delivery status, matched to the outbox row by message id only (the recipient
        may be named by number, BSUID or neither)."""
        if not isinstance(status, dict):
            return
        if status.get("recipient_type") == "group":
            return  # the bot sends nothing to WhatsApp groups: not one of ours
        with self.db.transaction() as s:
            row = s.scalar(
                select(Outbox).where(
                    Outbox.channel == "whatsapp", Outbox.remote_id == str(status.get("id"))
                )
            )
            if row is not None:
                row.remote_status = str(status.get("status"))[:16]
                if status.get("status") == "failed":  # accepted, then not delivered
                    errors = status.get("errors")
                    first = errors[0] if isinstance(errors, list) and errors else {}
                    first = first if isinstance(first, dict) else {}
                    row.error = f"WhatsApp: {first.get('title') or first.get('code')}"
                    report_failure(s, row, self.clock.now())

    def _link(self, snd: ids.Sender) -> tuple[str, int | None]:
        """Record the person's identifiers and window; return the chat key (their number
        when known, else their BSUID) and the person's id (None for a stranger)."""
        with self.db.transaction() as s:
            person = ids.find(s, snd)
            if person is not None:
                ids.remember(s, person, snd)
                person.whatsapp_last_inbound = self.clock.now()
                return ids.chat_of(person) or snd.key, person.id
        # not (yet) a person of the office: their window is kept in memory, long enough to
        # answer them (the refusal, or the reply to their invitation code)
        key = snd.key
        self._strangers.pop(key, None)
        self._strangers[key] = self.clock.now()
        while len(self._strangers) > 1000:
            self._strangers.popitem(last=False)
        return key, None

    async def _message(self, message: dict[str, Any], contact: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "system":
            what = await self.db.run(self._system, message)
            log.info("whatsapp %s", what)
            return
        snd = ids.Sender.of(message, contact)
        if not snd.key:
            log.warning("whatsapp message %.40s without a sender; ignored", message.get("id"))
            return
        key, person_id = await self.db.run(self._link, snd)
        resent = await self.db.run(self._resend_after_template, key)
        inbound = Inbound(channel="whatsapp", user_id=key, chat_id=key, user_name=snd.name)
        read = await self._read(message, inbound, key, person_id, resent)
        if read is SKIP:
            return
        if isinstance(read, Note):
            if person_id is not None:
                await self.db.run(self._answer, key, person_id, read)
                return
            inbound.text = ""  # a stranger: the core's polite refusal
        outcome = await self.handle(inbound)
        if person_id is None:  # they may have just linked with their invitation code
            await self.db.run(self._link, snd)
        if outcome.notice:  # WhatsApp has no toast: the notice is a message
            await self.db.run(self._say, key, outcome.notice)

    def _say(self, key: str, text: str) -> None:
        with self.db.transaction() as s:
            outbox.enqueue(s, now=self.clock.now(), channel="whatsapp", chat_id=key, text=text)

    async def _read(
        self,
        message: dict[str, Any],
        inbound: Inbound,
        key: str,
        person_id: int | None,
        resent: int,
    ) -> Note | object | None:
        """Fill `inbound` from a message of any type (None: hand it to the core), or say what
        to answer instead (a `Note`), or SKIP (nothing to answer)."""
        kind = message.get("type")
        mid = str(message.get("id"))[:60]
        content = message.get(kind) if isinstance(kind, str) else None
        if kind == "text":
            body = content.get("body") if isinstance(content, dict) else None
            if not isinstance(body, str):
                log.warning("whatsapp text %s without a text body; ignored", mid)
                return SKIP
            text = body.strip()
            choice = await self.db.run(self._numbered_choice, key, text)
            if choice is not None:
                inbound.button = choice
            elif text.startswith("/"):
                head, *args = text[1:].split() or [""]
                inbound.command, inbound.args = head.lower(), args
            else:
                inbound.text = text
            return None
        if kind == "interactive":
            if not isinstance(content, dict) or message.get("errors"):
                log.warning(
                    "whatsapp interactive %s could not be shown to the person: %s",
                    mid,
                    _errors(message.get("errors")),
                )
                return await self.db.run(self._choices_again, key)
            reply = content.get("button_reply") or content.get("list_reply")
            if isinstance(reply, dict) and reply.get("id"):
                inbound.button = str(reply["id"])
                return None
            what = "wa_kind_flow" if content.get("type") == "nfm_reply" else "wa_kind_other"
            return Note(t("wa_not_used", what=t(what)))
        if kind == "button":  # a template's quick-reply: the window is open again
            payload = content.get("payload") if isinstance(content, dict) else None
            if payload != "status" and resent:
                return SKIP  # the messages the template stood for went out again in full
            inbound.command = "status"
            return None
        if kind in ("document", "image", "video"):
            if not isinstance(content, dict) or not content.get("id"):
                log.warning("whatsapp %s %s without its media object; ignored", kind, mid)
                return SKIP
            inbound.file = await self._download(content, kind)
            caption = content.get("caption") if isinstance(content.get("caption"), str) else None
            inbound.text = caption
            inbound.file.caption = caption
            return None
        if kind == "reaction":
            emoji = content.get("emoji") if isinstance(content, dict) else None
            if not emoji or person_id is None:
                return SKIP  # a reaction taken back, or a stranger's: nothing to say
            return Note(t("wa_not_used", what=t("wa_kind_reaction")), once="reaction")
        if kind in ("edit", "revoke"):
            original = content.get("original_message_id") if isinstance(content, dict) else None
            saved = await self.db.run(self._handled, original)
            if kind == "edit":
                return Note(t("wa_edit_saved" if saved else "wa_edit_unknown"))
            return Note(t("wa_revoke_saved")) if saved else SKIP
        what = _KINDS.get(str(kind), "wa_kind_other")
        if kind not in _KINDS:
            log.info("whatsapp message %s of type %.30r: not used", mid, kind)
        return Note(t("wa_not_used", what=t(what)))

    def _answer(self, chat: str, person_id: int, note: Note) -> None:
        """Answer a message the core has no use for; the inbox row is marked done in the
        same transaction. A note given `once` goes at most once per 24 hours."""
        item = current_item.get()
        now = self.clock.now()
        with self.db.transaction() as s:
            if item is not None and not Inbox.mark(s, item, now):
                return
            person = s.get(Person, person_id)
            seen = False
            if note.once:
                for row in s.scalars(
                    select(Outbox).where(
                        Outbox.channel == "whatsapp",
                        Outbox.chat_id == chat,
                        Outbox.created_at >= now - WINDOW,
                    )
                ):
                    seen = seen or (row.template or {}).get("wa_note") == note.once
            if not seen:
                outbox.enqueue(
                    s,
                    now=now,
                    channel="whatsapp",
                    chat_id=chat,
                    text=note.text,
                    office_id=person.office_id if person else None,
                    person_id=person_id,
                    buttons=note.buttons,
                    template={"wa_note": note.once or "note", **note.template},
                )
        if item is not None:
            item.done = True

    def _choices_again(self, chat: str) -> Note:
        """The person's client could not show the last choices: send them again as a
        numbered list (answered by typing the number)."""
        with self.db.transaction() as s:
            since = self.clock.now() - WINDOW
            last = next(
                (
                    r
                    for r in s.scalars(
                        select(Outbox)
                        .where(
                            Outbox.channel == "whatsapp",
                            Outbox.chat_id == chat,
                            Outbox.status == "sent",
                            Outbox.sent_at >= since,
                        )
                        .order_by(Outbox.id.desc())
                        .limit(5)
                    )
                    if r.buttons
                ),
                None,
            )
            if last is None:
                return Note(t("wa_no_choices"))
            text = f"{t('wa_choices_again')}\n\n{last.text or ''}".strip()
            return Note(text, buttons=last.buttons, template={"wa_numbered": True})

    def _handled(self, wamid: Any) -> bool:
        """Whether the message `wamid` was received and handled (its answer saved)."""
        if not isinstance(wamid, str) or not wamid:
            return False
        with self.db.transaction() as s:
            status = s.scalar(
                select(InboxUpdate.status).where(
                    InboxUpdate.channel == "whatsapp", InboxUpdate.external_id == wamid[:128]
                )
            )
        return status == "done"

    def _system(self, message: dict[str, Any]) -> str | None:
        with self.db.transaction() as s:
            return ids.apply_system(s, message)

    def _resend_after_template(self, chat: str) -> int:
        """The person wrote, so the 24-hour window is open again: messages that could only go
        as a template (their buttons lost) are sent again in full. Returns how many."""
        n = 0
        with self.db.transaction() as s:
            for row in self._sent_as_template(s, self.clock.now() - WINDOW, chat):
                if row.template.get("wa") != "template":
                    continue
                row.template = {**row.template, "wa": "template-resent"}
                if row.buttons or row.file_id:
                    outbox.copy(s, row, now=self.clock.now(), channel="whatsapp", chat_id=chat)
                    n += 1
        return n

    @staticmethod
    def _sent_as_template(s: Session, since: datetime, chat: str | None = None) -> list[Outbox]:
        """WhatsApp rows sent since `since` as a template (marked in their `template` field)."""
        q = select(Outbox).where(
            Outbox.channel == "whatsapp", Outbox.status == "sent", Outbox.sent_at >= since
        )
        if chat is not None:
            q = q.where(Outbox.chat_id == chat)
        return [r for r in s.scalars(q.order_by(Outbox.id)) if (r.template or {}).get("wa")]

    @staticmethod
    def _last_sent(s: Session, chat: str) -> Outbox | None:
        return s.scalar(
            select(Outbox)
            .where(
                Outbox.channel == "whatsapp",
                Outbox.chat_id == chat,
                Outbox.status == "sent",
                Outbox.kind != "document",
            )
            .order_by(Outbox.id.desc())
            .limit(1)
        )

    def _numbered_choice(self, chat: str, text: str) -> str | None:
        """ "2" answers the last numbered-choice message sent to this chat."""
        if not text.isdigit():
            return None
        with self.db.transaction() as s:
            last = self._last_sent(s, chat)
            flat = [b for row in outbox.chat_buttons(last.buttons if last else []) for b in row]
            numbered = last is not None and (len(flat) > 10 or _numbered(last.template))
            if not numbered or not 1 <= int(text) <= len(flat):
                return None
            return str(flat[int(text) - 1][1])

    async def _download(self, media: dict[str, Any], kind: str) -> InboundFile:
        mime = str(media.get("mime_type") or "application/octet-stream")
        ext = _EXT.get(mime.split(";")[0].strip(), "bin")
        name = media.get("filename") or f"{kind}_{media.get('id', '')}.{ext}"
        f = InboundFile(
            name=str(name),
            mime=mime,
            size=None,
            content=None,
            source_id=str(media.get("id", "")),
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
        except (httpx.HTTPError, KeyError, ValueError, TypeError, AttributeError) as exc:
            f.mime = f"error:{exc.__class__.__name__}"
        return f

    # --- outgoing -----------------------------------------------------------------------------
    def _target(self, chat_id: str) -> Target:
        """Where a chat's messages go: the person's number in `to` when known, else their
        BSUID in `recipient`; a stranger by the id they wrote from. Never a BSUID in `to`."""
        with self.db.transaction() as s:
            person = ids.person_at(s, chat_id)
            if person is None:
                return Target(ids.address(chat_id), None, self._strangers.get(chat_id), None)
            where = ids.chat_of(person) or chat_id
            return Target(
                ids.address(where),
                person.whatsapp_number,
                person.whatsapp_last_inbound,
                person.telegram_user_id,
            )

    def _in_window(self, target: Target) -> bool:
        last = target.last_inbound
        return last is not None and self.clock.now() - last < WINDOW - WINDOW_MARGIN

    async def send(self, msg: Message) -> str:
        target = await self.db.run(self._target, msg.chat_id)
        if not self._in_window(target):
            return await self._template(msg, target)
        try:
            return await self._send_free(msg, target)
        except Undeliverable as exc:
            if "131047" in str(exc):  # the window closed after all: use the template
                return await self._template(msg, target)
            raise

    async def _paced(self, to: str) -> None:
        """Wait for room under the number's throughput and the pair rate to `to`."""
        if self.pair.enabled:
            await self.pair[to].acquire()
        if self.throughput is not None:
            await self.throughput.acquire()

    async def _post(self, target: Target, payload: dict[str, Any]) -> str:
        """Send to the target's address; a message Meta refuses for a BSUID recipient (131062)
        goes to the number instead when one is known, else is undeliverable with the reason."""
        try:
            return await self._post_to(target.address, payload)
        except _BsuidRefused:
            if target.number:
                return await self._post_to({"to": target.number}, payload)
            raise Undeliverable(t("wa_bsuid_refused")) from None

    async def _post_to(self, address: dict[str, str], payload: dict[str, Any]) -> str:
        assert "to" not in address or ids.is_phone(address["to"]), address
        body = {"messaging_product": "whatsapp", "recipient_type": "individual"}
        body.update(address)
        body.update(payload)
        await self._paced(next(iter(address.values())))
        try:
            r = await self.client.post(f"{self.base}/{self.phone_id}/messages", json=body)
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
        if code == 131062 and "recipient" in address:
            raise _BsuidRefused(str(code))
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

    async def _send_free(self, msg: Message, target: Target) -> str:
        if msg.kind in ("document", "photo"):
            media_id = await self._upload(msg)
            if msg.kind == "photo":
                body: dict[str, Any] = {"id": media_id}
                if msg.text:
                    body["caption"] = msg.text[:1024]
                return await self._post(target, {"type": "image", "image": body})
            body = {"id": media_id, "filename": msg.file_name or "dokumen"}
            if msg.text:
                body["caption"] = msg.text[:1024]
            return await self._post(target, {"type": "document", "document": body})
        text = msg.text or ""
        if msg.kind == "edit":
            if not msg.text and not msg.buttons:
                return msg.edit_remote_id or "-"  # removing buttons: WhatsApp cannot; say nothing
            text = msg.text or t("wa_updated_choices")
        return await self._post(
            target, self._interactive(text, msg.buttons, _numbered(msg.template))
        )

    def _interactive(
        self, text: str, buttons: outbox.Buttons, numbered: bool = False
    ) -> dict[str, Any]:
        flat = [b for row in outbox.chat_buttons(buttons) for b in row]
        if not flat:
            return {"type": "text", "text": {"body": text[:4096]}}
        if len(flat) <= 3 and not numbered:
            return {
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
        if len(flat) <= 10 and not numbered:
            return {
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
        return {"type": "text", "text": {"body": "\n".join(lines)[:4096]}}

    def _reroute_or(self, target: Target, reason: str, otherwise: Exception) -> NoReturn:
        """Cannot go on WhatsApp: to the person's Telegram when they have it, else `otherwise`."""
        if target.telegram:
            raise Reroute(t("wa_rerouted", reason=reason), "telegram", str(target.telegram))
        raise otherwise

    def _check_daily_limit(self, chat_id: str, target: Target) -> None:
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
        self._reroute_or(target, reason, Defer(reason, min(reached.values()) + WINDOW))

    async def _template(self, msg: Message, target: Target) -> str:
        """Outside the 24-hour window only an approved template may open the conversation."""
        s = self.settings
        if not s.whatsapp_template_reminder:
            reason = t("wa_no_template")
            self._reroute_or(target, reason, Undeliverable(reason))
        self._check_daily_limit(msg.chat_id, target)
        summary = (msg.text or msg.file_name or t("wa_template_default"))[:900].replace("\n", " ")
        remote_id = await self._post(
            target,
            {
                "type": "template",
                "template": {
                    "name": s.whatsapp_template_reminder,
                    "language": {"code": s.whatsapp_template_language},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": summary}]}
                    ],
                },
            },
        )
        with self.db.transaction() as db:  # sent again in full once the person replies
            row = db.get(Outbox, msg.id)
            if row is not None:
                row.template = {**(row.template or {}), "wa": "template"}
        return remote_id
