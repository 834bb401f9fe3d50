"""Webhook bodies as Meta's WhatsApp Cloud API sends them (webhooks reference, `messages`
field, 2026), one builder per kind, from a given person (`WAUser`: phone and/or BSUID).

Each builder takes the sender and optional details and returns the whole body (`object`,
`entry[].changes[].value`); `ALL_KINDS` lists them, malformed bodies included. Post one with
`FakeWhatsApp.send_payload(body)`.

Sources: Meta's per-type webhook references (text, image, video, document, audio, sticker,
reaction, location, contacts, order, unsupported, interactive, button, referral, status,
system, edit, revoke) and "Business-scoped user IDs". Edit and revoke webhooks are documented
for WhatsApp Business app numbers (Coexistence) only.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from typing import Any

from bot.localapi import wa_shapes
from bot.localapi.wa_shapes import WAUser

TIMESTAMP = "1767225600"  # 2026-01-01 00:00 UTC
_seq = itertools.count(1)


def wamid() -> str:
    return f"wamid.TEST{next(_seq):08d}"


def person(
    phone: str | None = "6281200000001",
    name: str = "Budi Santoso",
    user_id: str = "ID.13491208655302741918",
    username: str | None = None,
    parent_user_id: str | None = None,
) -> WAUser:
    return WAUser(
        name=name, wa_id=phone, user_id=user_id, username=username, parent_user_id=parent_user_id
    )


def _msg(s: WAUser, kind: str, content: dict[str, Any] | None = None, **extra: Any) -> dict:
    message: dict[str, Any] = {"id": wamid(), "timestamp": TIMESTAMP, "type": kind, **extra}
    if content is not None:
        message[kind] = content
    return wa_shapes.message_body(s, message)


def _media(mime: str, data: bytes = b"media", **extra: Any) -> dict[str, Any]:
    return {
        "mime_type": mime,
        "sha256": hashlib.sha256(data).hexdigest(),
        "id": "1003383421387256",
        **extra,
    }


# --- messages ---------------------------------------------------------------------------------
def text(s: WAUser, body: str = "halo") -> dict:
    return _msg(s, "text", {"body": body})


def text_with_link(s: WAUser) -> dict:
    return _msg(s, "text", {"body": "lihat https://example.org", "preview_url": True})


def image(s: WAUser, caption: str | None = None) -> dict:
    extra = {"caption": caption} if caption else {}
    return _msg(s, "image", _media("image/jpeg", **extra))


def image_with_caption(s: WAUser) -> dict:
    return image(s, caption="Foto kegiatan")


def video(s: WAUser) -> dict:
    return _msg(s, "video", _media("video/mp4", caption="Video kegiatan"))


def document(s: WAUser, filename: str = "daftar_hadir.pdf") -> dict:
    return _msg(s, "document", _media("application/pdf", filename=filename))


def document_with_caption(s: WAUser) -> dict:
    return _msg(
        s, "document", _media("application/pdf", filename="rekap.pdf", caption="Rekap triwulan")
    )


def audio(s: WAUser) -> dict:
    return _msg(s, "audio", _media("audio/mpeg", voice=False))


def voice(s: WAUser) -> dict:
    return _msg(s, "audio", _media("audio/ogg; codecs=opus", voice=True))


def sticker(s: WAUser) -> dict:
    return _msg(s, "sticker", _media("image/webp", animated=False))


def sticker_animated(s: WAUser) -> dict:
    return _msg(s, "sticker", _media("image/webp", animated=True))


def reaction(s: WAUser, message_id: str = "wamid.BOT000001", emoji: str = "\U0001f44d") -> dict:
    return _msg(s, "reaction", {"message_id": message_id, "emoji": emoji})


def unreaction(s: WAUser, message_id: str = "wamid.BOT000001") -> dict:
    """A reaction taken back: the same message id, an empty emoji."""
    return reaction(s, message_id, emoji="")


def location(s: WAUser) -> dict:
    return _msg(s, "location", {"latitude": -7.2575, "longitude": 112.7521})


def location_named(s: WAUser) -> dict:
    return _msg(
        s,
        "location",
        {
            "address": "Jl. Raya Kecamatan No. 1",
            "latitude": -7.2575,
            "longitude": 112.7521,
            "name": "Kantor Kecamatan",
            "url": "https://example.org/kecamatan",
        },
    )


def contacts(s: WAUser) -> dict:
    card = {
        "name": {"formatted_name": "Siti Aminah", "first_name": "Siti", "last_name": "Aminah"},
        "phones": [{"phone": "+62 812-0000-0099", "wa_id": "6281200000099", "type": "CELL"}],
        "emails": [{"email": "siti@example.org", "type": "WORK"}],
        "org": {"company": "Kecamatan", "department": "Seksi Pemerintahan"},
    }
    return _msg(s, "contacts", None, contacts=[card])


def order(s: WAUser) -> dict:
    return _msg(
        s,
        "order",
        {
            "catalog_id": "194836987003835",
            "text": "Pesanan",
            "product_items": [
                {
                    "product_retailer_id": "di9ozbzfi4",
                    "quantity": 1,
                    "item_price": 30000,
                    "currency": "IDR",
                }
            ],
        },
    )


def unsupported(s: WAUser, what: str = "poll_creation") -> dict:
    err = wa_shapes.error(
        131051, "Message type unknown", "Message type is currently not supported."
    )
    return _msg(s, "unsupported", {"type": what}, errors=[err])


def unavailable(s: WAUser) -> dict:
    """Unsupported with 131060: the message is not available (yet) to the business."""
    err = wa_shapes.error(131060, "This message is currently unavailable.")
    return _msg(s, "unsupported", {"type": "media_placeholder"}, errors=[err])


def reply(s: WAUser, to_message: str = "wamid.BOT000001", business: str = "620000") -> dict:
    """A text quoting an earlier message (`context.from` is who sent the quoted one)."""
    return _msg(s, "text", {"body": "ini jawabannya"}, context={"from": business, "id": to_message})


def forwarded(s: WAUser) -> dict:
    return _msg(s, "text", {"body": "pesan terusan"}, context={"forwarded": True})


def frequently_forwarded(s: WAUser) -> dict:
    return _msg(s, "text", {"body": "pesan berantai"}, context={"frequently_forwarded": True})


def product_enquiry(s: WAUser) -> dict:
    ctx = {
        "from": "620000",
        "id": "wamid.BOT000002",
        "referred_product": {"catalog_id": "194836987003835", "product_retailer_id": "di9ozbzfi4"},
    }
    return _msg(s, "text", {"body": "Apakah ini masih ada?"}, context=ctx)


def referral(s: WAUser) -> dict:
    """A first message after tapping a click-to-WhatsApp ad."""
    ref = {
        "source_url": "https://fb.me/3cr4Wqqkv",
        "source_id": "120226305854810726",
        "source_type": "ad",
        "body": "Lapor kinerja lewat WhatsApp",
        "headline": "SAKIP Kecamatan",
        "media_type": "image",
        "image_url": "https://example.org/ad.jpg",
        "ctwa_clid": "Aff-n8ZTODiE79d22KtAwQKj9e_mIEOOj27vDVwFjN80dp4_0NiNhEgpGo0AHemvuSoifXaytfTzcchptiErTKCqTrJ5nW1h7IHYeYymGb5K0J_eBsH0rPGh0pZS0jNqQ",
    }
    return _msg(s, "text", {"body": "Halo, saya dari iklan"}, referral=ref)


def button_reply(s: WAUser, button_id: str = "b:1", title: str = "Setuju") -> dict:
    inter = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
    return _msg(s, "interactive", inter, context={"from": "620000", "id": "wamid.BOT000003"})


def list_reply(s: WAUser, row_id: str = "r:1", title: str = "Seksi Pemerintahan") -> dict:
    inter = {
        "type": "list_reply",
        "list_reply": {"id": row_id, "title": title, "description": "Pilih seksi"},
    }
    return _msg(s, "interactive", inter, context={"from": "620000", "id": "wamid.BOT000004"})


def nfm_reply(s: WAUser) -> dict:
    """A WhatsApp Flow completed by the person."""
    inter = {
        "type": "nfm_reply",
        "nfm_reply": {"name": "flow", "body": "Sent", "response_json": '{"flow_token": "x"}'},
    }
    return _msg(s, "interactive", inter, context={"from": "620000", "id": "wamid.BOT000005"})


def interactive_errors(s: WAUser) -> dict:
    """An interactive message without `interactive`: the client could not render it, Meta
    sends `errors` instead."""
    err = wa_shapes.error(
        131051, "Message type unknown", "Message type is currently not supported."
    )
    return _msg(s, "interactive", None, errors=[err])


def template_button(s: WAUser, text: str = "Buka formulir", payload: str = "open") -> dict:
    """A quick-reply button of a template message tapped."""
    return _msg(
        s,
        "button",
        {"payload": payload, "text": text},
        context={"from": "620000", "id": "wamid.BOT000006"},
    )


def edit(s: WAUser, original: str = "wamid.TEST00000001", body: str = "75") -> dict:
    """The person edited a text they sent (Coexistence numbers only, Meta's edit reference)."""
    content = {
        "original_message_id": original,
        "message": {"type": "text", "text": {"body": body}},
    }
    return _msg(s, "edit", content)


def revoke(s: WAUser, original: str = "wamid.TEST00000001") -> dict:
    """The person deleted a message they sent (Coexistence numbers only)."""
    return _msg(s, "revoke", {"original_message_id": original})


def username_only_text(s: WAUser) -> dict:
    """A text from someone who adopted a username: no phone number anywhere."""
    hidden = WAUser(name=s.name, wa_id=None, user_id=s.user_id, username=s.username or "budi.s")
    return text(hidden, "halo dari username")


# --- statuses ---------------------------------------------------------------------------------
def _status(s: WAUser, status: str, message_id: str, **kw: Any) -> dict:
    return wa_shapes.status_value(s, message_id, status, TIMESTAMP, sent_to_phone=True, **kw)


def status_sent(s: WAUser, message_id: str = "wamid.BOT000001") -> dict:
    return _status(s, "sent", message_id)


def status_delivered(s: WAUser, message_id: str = "wamid.BOT000001") -> dict:
    return _status(s, "delivered", message_id)


def status_read(s: WAUser, message_id: str = "wamid.BOT000001") -> dict:
    return _status(s, "read", message_id)


def status_failed(s: WAUser, message_id: str = "wamid.BOT000001") -> dict:
    err = wa_shapes.error(
        131026,
        "Message undeliverable",
        "Unable to deliver message. Reasons can include: the recipient is not on WhatsApp.",
    )
    return _status(s, "failed", message_id, errors=[err])


def status_failed_window(s: WAUser, message_id: str = "wamid.BOT000001") -> dict:
    err = wa_shapes.error(
        131047,
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    )
    return _status(s, "failed", message_id, errors=[err])


def status_to_bsuid(s: WAUser, message_id: str = "wamid.BOT000001") -> dict:
    """Delivered, for a message sent to the person's BSUID (`recipient`)."""
    return wa_shapes.status_value(s, message_id, "delivered", TIMESTAMP, sent_to_phone=False)


def status_group(s: WAUser, message_id: str = "wamid.BOT000001") -> dict:
    return _status(s, "read", message_id, group_id="120363025246125486@g.us")


# --- system -----------------------------------------------------------------------------------
def system_number_changed(s: WAUser, new_phone: str = "6281299999999") -> dict:
    return wa_shapes.system_number_changed(
        s, new_phone, "ID.99991208655302741918", wamid(), TIMESTAMP
    )


def system_user_id_changed(s: WAUser) -> dict:
    return wa_shapes.system_user_id_changed(s, "ID.88881208655302741918", wamid(), TIMESTAMP)


# --- malformed --------------------------------------------------------------------------------
def text_without_text(s: WAUser) -> dict:
    return _msg(s, "text", None)


def empty_change(s: WAUser) -> dict:
    """A change with nothing in it (no contacts, messages or statuses)."""
    return wa_shapes.envelope({})


ALL_KINDS: dict[str, Callable[[WAUser], Any]] = {
    "text": text,
    "text_with_link": text_with_link,
    "image": image,
    "image_with_caption": image_with_caption,
    "video": video,
    "document": document,
    "document_with_caption": document_with_caption,
    "audio": audio,
    "voice": voice,
    "sticker": sticker,
    "sticker_animated": sticker_animated,
    "reaction": reaction,
    "unreaction": unreaction,
    "location": location,
    "location_named": location_named,
    "contacts": contacts,
    "order": order,
    "unsupported": unsupported,
    "unavailable": unavailable,
    "reply": reply,
    "forwarded": forwarded,
    "frequently_forwarded": frequently_forwarded,
    "product_enquiry": product_enquiry,
    "referral": referral,
    "button_reply": button_reply,
    "list_reply": list_reply,
    "nfm_reply": nfm_reply,
    "interactive_errors": interactive_errors,
    "template_button": template_button,
    "edit": edit,
    "revoke": revoke,
    "username_only_text": username_only_text,
    "status_sent": status_sent,
    "status_delivered": status_delivered,
    "status_read": status_read,
    "status_failed": status_failed,
    "status_failed_window": status_failed_window,
    "status_to_bsuid": status_to_bsuid,
    "status_group": status_group,
    "system_number_changed": system_number_changed,
    "system_user_id_changed": system_user_id_changed,
    "text_without_text": text_without_text,
    "empty_change": empty_change,
    "malformed_list": lambda s: [],
    "malformed_string": lambda s: "x",
    "malformed_null": lambda s: None,
    "malformed_entry_int": lambda s: {"entry": 5},
}
MALFORMED = {"malformed_list", "malformed_string", "malformed_null", "malformed_entry_int"}
