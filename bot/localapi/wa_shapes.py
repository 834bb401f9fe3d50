"""WhatsApp Cloud API webhook shapes as Meta documents them in 2026, shared by the fake
Cloud API (`bot.localapi.whatsapp`) and the test payload builders (`tests/wa_payloads.py`).

Identifiers of a WhatsApp user since 2026 (Meta, "Business-scoped user IDs"):
- `wa_id` / `from`: the phone number; withheld from webhooks once the person adopts a
  username (unless Meta's contact book still shares it);
- `user_id` / `from_user_id`: the business-scoped user id (BSUID, `ID.1349…`), in every
  messages webhook; a new one is generated when the person changes their phone number;
- `parent_user_id` / `from_parent_user_id`: a parent BSUID (`ID.ENT.…`) shared across a
  managed business's portfolios, only where Meta enabled it;
- `profile.username`: the person's username, if they adopted one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

PHONE_ID = "1234567890"
DISPLAY_NUMBER = "620000"
WABA_ID = "WABA"


def new_bsuid(country: str = "ID") -> str:
    """A business-scoped user id: ISO country code, a period, alphanumerics."""
    return f"{country}.{secrets.randbelow(10**20):020d}"


@dataclass
class WAUser:
    """A WhatsApp user as the business sees them."""

    name: str
    wa_id: str | None = None  # phone number, if the person has one known to WhatsApp
    user_id: str = ""  # BSUID; generated when empty
    username: str | None = None
    parent_user_id: str | None = None

    def __post_init__(self) -> None:
        if not self.user_id:
            self.user_id = new_bsuid()
        if self.wa_id is None and self.username is None:
            raise ValueError("a WhatsApp user without a phone number has a username")

    @property
    def phone_shared(self) -> bool:
        """Webhooks carry the phone number only for people without a username."""
        return self.wa_id is not None and self.username is None

    @property
    def handle(self) -> str:
        """How the fake and the tests name this person: the phone number, else the BSUID."""
        return self.wa_id or self.user_id


def contact(user: WAUser, bsuid: bool = True) -> dict[str, Any]:
    """`value.contacts[]` of a messages webhook (`bsuid=False`: the shape before 2026)."""
    profile: dict[str, Any] = {"name": user.name}
    if user.username:
        profile["username"] = user.username
    out: dict[str, Any] = {"profile": profile}
    if user.phone_shared:
        out["wa_id"] = user.wa_id
    if bsuid or not user.phone_shared:
        out["user_id"] = user.user_id
        if user.parent_user_id:
            out["parent_user_id"] = user.parent_user_id
    return out


def sender_fields(user: WAUser, bsuid: bool = True) -> dict[str, Any]:
    """The sender's identifiers on `value.messages[]`."""
    out: dict[str, Any] = {}
    if user.phone_shared:
        out["from"] = user.wa_id
    if bsuid or not user.phone_shared:
        out["from_user_id"] = user.user_id
        if user.parent_user_id:
            out["from_parent_user_id"] = user.parent_user_id
    return out


def envelope(value: dict[str, Any], phone_id: str = PHONE_ID) -> dict[str, Any]:
    """A webhook body as Meta sends it, around one change's `value` (field `messages`)."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_id},
        **value,
    }
    change = {"value": value, "field": "messages"}
    return {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [change]}]}


def message_body(
    user: WAUser, message: dict[str, Any], phone_id: str = PHONE_ID, bsuid: bool = True
) -> dict[str, Any]:
    """An incoming-message webhook: the contact and one message from `user`."""
    msg = {**sender_fields(user, bsuid), **message}
    return envelope({"contacts": [contact(user, bsuid)], "messages": [msg]}, phone_id)


def error(code: int, title: str, details: str = "") -> dict[str, Any]:
    """An entry of `errors[]` in webhooks (statuses, messages)."""
    out: dict[str, Any] = {"code": code, "title": title, "message": title}
    if details:
        out["error_data"] = {"details": details}
    return out


def status_value(
    user: WAUser,
    message_id: str,
    status: str,
    timestamp: str,
    *,
    sent_to_phone: bool,
    errors: list[dict[str, Any]] | None = None,
    group_id: str | None = None,
    phone_id: str = PHONE_ID,
) -> dict[str, Any]:
    """A status webhook (sent, delivered, read, failed) for a message sent to `user`.

    Meta's rules: `recipient_id` is the phone number when the message went to the number, or
    when the number may be shared; `recipient_user_id` always, except on `failed` for a message
    sent to a phone number; `contacts` on sent/delivered/read, never on failed; the username
    on delivered/read. A group message: `recipient_type: group`, `recipient_id` the group,
    `recipient_participant_id` the member.
    """
    item: dict[str, Any] = {"id": message_id, "status": status, "timestamp": timestamp}
    phone_visible = user.wa_id is not None and (sent_to_phone or user.phone_shared)
    if group_id is not None:
        item["recipient_type"] = "group"
        item["recipient_id"] = group_id
        item["recipient_participant_id"] = user.wa_id if phone_visible else user.user_id
    elif phone_visible:
        item["recipient_id"] = user.wa_id
    if not (status == "failed" and sent_to_phone):
        item["recipient_user_id"] = user.user_id
        if user.parent_user_id:
            item["recipient_parent_user_id"] = user.parent_user_id
    if errors:
        item["errors"] = errors
    value: dict[str, Any] = {}
    if status != "failed":
        c = contact(user)
        if phone_visible:
            c["wa_id"] = user.wa_id
        if status == "sent":
            c["profile"].pop("username", None)
        value["contacts"] = [c]
    value["statuses"] = [item]
    return envelope(value, phone_id)


def system_number_changed(
    user: WAUser,
    new_wa_id: str,
    new_user_id: str,
    message_id: str,
    timestamp: str,
    phone_id: str = PHONE_ID,
) -> dict[str, Any]:
    """`type: system`, `user_changed_number`: no contacts array; the new number in `wa_id`,
    the new BSUID beside the previous one (Meta's changelog, 2026-08-11)."""
    system: dict[str, Any] = {
        "body": f"User {user.name} changed from {user.wa_id} to {new_wa_id}",
        "wa_id": new_wa_id,
        "type": "user_changed_number",
        "user_id": new_user_id,
        "previous_user_id": user.user_id,
    }
    message: dict[str, Any] = {
        "from": user.wa_id,
        "id": message_id,
        "timestamp": timestamp,
        "type": "system",
        "system": system,
    }
    return envelope({"messages": [message]}, phone_id)


def system_user_id_changed(
    user: WAUser, new_user_id: str, message_id: str, timestamp: str, phone_id: str = PHONE_ID
) -> dict[str, Any]:
    """`type: system`, `user_changed_user_id`: only the BSUID changed, no phone number."""
    message: dict[str, Any] = {
        "from_user_id": user.user_id,
        "id": message_id,
        "timestamp": timestamp,
        "type": "system",
        "system": {
            "body": f"User {user.name} changed their business-scoped user ID",
            "type": "user_changed_user_id",
            "user_id": new_user_id,
            "previous_user_id": user.user_id,
        },
    }
    return envelope({"messages": [message]}, phone_id)
