"""The fake WhatsApp Cloud API follows Meta's 2026 rules (business-scoped user ids,
usernames, `to` vs `recipient`, 131062, system webhooks), and every webhook kind of
`tests/wa_payloads.py` has Meta's documented shape and reaches a webhook signed."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.localapi.whatsapp import FakeWhatsApp
from tests import wa_payloads as P

NUMBER = "6281200000001"
BSUID = "ID.13491208655302741918"


@dataclass
class Webhook:
    """A stand-in for the bot's webhook: checks the signature and keeps what arrived."""

    secret: str
    bodies: list[Any] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        good = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("X-Hub-Signature-256", ""), good):
            return web.Response(status=401)
        self.bodies.append(json.loads(raw))
        return web.Response(status=200)

    @property
    def last_value(self) -> dict[str, Any]:
        value: dict[str, Any] = self.bodies[-1]["entry"][0]["changes"][0]["value"]
        return value


@pytest.fixture
async def wa() -> AsyncIterator[tuple[FakeWhatsApp, Webhook]]:
    fake = FakeWhatsApp()
    fake.bsuid_rules = True
    hook = Webhook(fake.app_secret)
    app = web.Application()
    app.router.add_post("/whatsapp", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    await fake.start()
    fake.set_webhook(f"http://127.0.0.1:{port}/whatsapp")
    try:
        yield fake, hook
    finally:
        await fake.stop()
        await runner.cleanup()


async def send(fake: FakeWhatsApp, payload: dict[str, Any]) -> httpx.Response:
    """The bot's call to the Messages API."""
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{fake.root}/{fake.version}/{fake.phone_id}/messages",
            json={"messaging_product": "whatsapp", "recipient_type": "individual", **payload},
            headers={"Authorization": f"Bearer {fake.token}"},
        )


def text(body: str = "halo") -> dict[str, Any]:
    return {"type": "text", "text": {"body": body}}


# --- identifiers in webhooks -----------------------------------------------------------------
async def test_every_message_webhook_carries_the_bsuid(wa: tuple[FakeWhatsApp, Webhook]) -> None:
    fake, hook = wa
    fake.add_user(NUMBER, "Budi", BSUID)
    await fake.send_text(NUMBER, "halo")
    value = hook.last_value
    assert value["contacts"] == [{"profile": {"name": "Budi"}, "wa_id": NUMBER, "user_id": BSUID}]
    msg = value["messages"][0]
    assert (msg["from"], msg["from_user_id"], msg["text"]) == (NUMBER, BSUID, {"body": "halo"})


async def test_a_generated_bsuid_is_shown_under_the_2026_rules(
    wa: tuple[FakeWhatsApp, Webhook],
) -> None:
    fake, hook = wa
    fake.add_user(NUMBER, "Budi")
    await fake.send_text(NUMBER, "halo")
    bsuid = hook.last_value["contacts"][0]["user_id"]
    assert bsuid.startswith("ID.") and bsuid == fake.user(NUMBER).user_id
    assert hook.last_value["messages"][0]["from_user_id"] == bsuid


async def test_without_the_2026_rules_a_generated_bsuid_stays_hidden(
    wa: tuple[FakeWhatsApp, Webhook],
) -> None:
    fake, hook = wa
    fake.bsuid_rules = False
    fake.add_user(NUMBER, "Budi")
    await fake.send_text(NUMBER, "halo")
    assert hook.last_value["contacts"] == [{"profile": {"name": "Budi"}, "wa_id": NUMBER}]


async def test_a_username_hides_the_phone_number(wa: tuple[FakeWhatsApp, Webhook]) -> None:
    fake, hook = wa
    handle = fake.add_user(NUMBER, "Budi", BSUID, username="budi.s")
    assert handle == NUMBER  # the fake still knows the number; WhatsApp does not share it
    await fake.send_text(NUMBER, "halo")
    contact, msg = hook.last_value["contacts"][0], hook.last_value["messages"][0]
    assert contact == {"profile": {"name": "Budi", "username": "budi.s"}, "user_id": BSUID}
    assert "from" not in msg and msg["from_user_id"] == BSUID


async def test_a_person_without_a_number_is_known_by_the_bsuid(
    wa: tuple[FakeWhatsApp, Webhook],
) -> None:
    fake, hook = wa
    handle = fake.add_user(None, "Budi", username="budi.s")
    assert handle.startswith("ID.")
    await fake.send_text(handle, "halo")
    assert "wa_id" not in hook.last_value["contacts"][0]
    assert hook.last_value["messages"][0]["from_user_id"] == handle
    with pytest.raises(ValueError):
        fake.add_user(None, "Tanpa Nomor")  # no number and no username: not a WhatsApp user


async def test_parent_bsuid_in_webhooks(wa: tuple[FakeWhatsApp, Webhook]) -> None:
    fake, hook = wa
    fake.add_user(NUMBER, "Budi", BSUID, parent_user_id="ID.ENT.11815799212886844830")
    await fake.send_text(NUMBER, "halo")
    assert hook.last_value["contacts"][0]["parent_user_id"] == "ID.ENT.11815799212886844830"
    assert hook.last_value["messages"][0]["from_parent_user_id"] == "ID.ENT.11815799212886844830"


# --- the Messages API: to and recipient --------------------------------------------------------
async def test_a_bsuid_in_to_is_refused(wa: tuple[FakeWhatsApp, Webhook]) -> None:
    fake, _ = wa
    fake.add_user(NUMBER, "Budi", BSUID)
    await fake.send_text(NUMBER, "halo")
    r = await send(fake, {"to": BSUID, **text()})
    assert r.status_code == 400 and r.json()["error"]["code"] == 131026
    assert fake.messages_to(NUMBER) == [] and fake.stats["bsuid_in_to"] == 1


async def test_without_the_2026_rules_a_bsuid_in_to_is_delivered_and_counted(
    wa: tuple[FakeWhatsApp, Webhook],
) -> None:
    fake, _ = wa
    fake.bsuid_rules = False
    fake.add_user(NUMBER, "Budi", BSUID)
    await fake.send_text(NUMBER, "halo")
    r = await send(fake, {"to": BSUID, **text("balasan")})
    assert r.status_code == 200 and fake.texts_to(NUMBER) == ["balasan"]
    assert fake.stats["bsuid_in_to"] == 1


async def test_to_with_the_number_answers_with_wa_id(wa: tuple[FakeWhatsApp, Webhook]) -> None:
    fake, _ = wa
    fake.add_user(NUMBER, "Budi", BSUID)
    await fake.send_text(NUMBER, "halo")
    r = await send(fake, {"to": NUMBER, **text("balasan")})
    assert r.status_code == 200
    assert r.json()["contacts"] == [{"input": NUMBER, "wa_id": NUMBER}]
    sent = fake.last_to(BSUID)  # the same person, whichever id the test names
    assert sent is not None and (sent.text, sent.via, sent.address) == ("balasan", "to", NUMBER)


async def test_recipient_with_a_bsuid_answers_with_user_id(
    wa: tuple[FakeWhatsApp, Webhook],
) -> None:
    fake, _ = wa
    fake.add_user(NUMBER, "Budi", BSUID)
    await fake.send_text(NUMBER, "halo")
    r = await send(fake, {"recipient": BSUID, **text("balasan")})
    assert r.status_code == 200
    assert r.json()["contacts"] == [{"input": BSUID, "user_id": BSUID}]
    assert fake.texts_to(NUMBER) == ["balasan"] and fake.messages_to(NUMBER)[0].via == "recipient"


async def test_to_wins_over_recipient(wa: tuple[FakeWhatsApp, Webhook]) -> None:
    fake, _ = wa
    fake.add_user(NUMBER, "Budi", BSUID)
    fake.add_user("6281200000002", "Ani", "ID.22222208655302741918")
    await fake.send_text(NUMBER, "halo")
    await fake.send_text("6281200000002", "halo")
    r = await send(fake, {"to": NUMBER, "recipient": "ID.22222208655302741918", **text("x")})
    assert r.json()["contacts"] == [{"input": NUMBER, "wa_id": NUMBER}]
    assert fake.texts_to(NUMBER) == ["x"] and fake.texts_to("6281200000002") == []


async def test_a_username_only_person_is_reached_only_through_recipient(
    wa: tuple[FakeWhatsApp, Webhook],
) -> None:
    fake, _ = wa
    bsuid = fake.add_user(None, "Budi", username="budi.s")
    await fake.send_text(bsuid, "halo")
    refused = await send(fake, {"to": bsuid, **text()})
    assert refused.json()["error"]["code"] == 131026
    assert (await send(fake, {"to": "6281299990000", **text()})).status_code == 400
    r = await send(fake, {"recipient": bsuid, **text("balasan")})
    assert r.status_code == 200 and fake.texts_to(bsuid) == ["balasan"]


async def test_an_unknown_bsuid_in_recipient_is_not_on_whatsapp(
    wa: tuple[FakeWhatsApp, Webhook],
) -> None:
    fake, _ = wa
    r = await send(fake, {"recipient": "ID.00000000000000000000", **text()})
    assert r.json()["error"]["code"] == 131026


async def test_the_window_holds_for_bsuid_recipients(wa: tuple[FakeWhatsApp, Webhook]) -> None:
    fake, _ = wa
    bsuid = fake.add_user(None, "Budi", username="budi.s")
    r = await send(fake, {"recipient": bsuid, **text()})
    assert r.json()["error"]["code"] == 131047  # never wrote: outside the 24-hour window


def template(name: str) -> dict[str, Any]:
    return {
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": "id"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "123456"}]}],
        },
    }


async def test_authentication_templates_are_refused_for_bsuid_recipients_131062(
    wa: tuple[FakeWhatsApp, Webhook],
) -> None:
    fake, _ = wa
    fake.add_template("kode_masuk", "id", params=1, category="AUTHENTICATION")
    fake.add_template("sakip_pengingat", "id", params=1)
    fake.add_user(NUMBER, "Budi", BSUID)
    r = await send(fake, {"recipient": BSUID, **template("kode_masuk")})
    assert r.status_code == 400 and r.json()["error"]["code"] == 131062
    assert (await send(fake, {"to": NUMBER, **template("kode_masuk")})).status_code == 200
    assert (
        await send(fake, {"recipient": BSUID, **template("sakip_pengingat")})
    ).status_code == 200
    assert [m.template for m in fake.messages_to(NUMBER)] == ["kode_masuk", "sakip_pengingat"]


# --- statuses ---------------------------------------------------------------------------------
async def test_statuses_name_the_recipient_as_meta_does(wa: tuple[FakeWhatsApp, Webhook]) -> None:
    fake, hook = wa
    fake.add_user(NUMBER, "Budi", BSUID)
    await fake.send_text(NUMBER, "halo")
    by_number = (await send(fake, {"to": NUMBER, **text("a")})).json()["messages"][0]["id"]
    by_bsuid = (await send(fake, {"recipient": BSUID, **text("b")})).json()["messages"][0]["id"]

    assert await fake.send_status(by_number, "delivered") == 200
    item = hook.last_value["statuses"][0]
    assert (item["recipient_id"], item["recipient_user_id"]) == (NUMBER, BSUID)
    assert hook.last_value["contacts"][0]["user_id"] == BSUID

    assert await fake.send_status(by_number, "failed", error_code=131026) == 200
    item = hook.last_value["statuses"][0]
    assert item["recipient_id"] == NUMBER and "recipient_user_id" not in item
    assert item["errors"][0]["code"] == 131026 and "contacts" not in hook.last_value

    assert await fake.send_status(by_bsuid, "failed", error_code=131062) == 200
    assert hook.last_value["statuses"][0]["recipient_user_id"] == BSUID


async def test_statuses_of_a_username_person_carry_no_number(
    wa: tuple[FakeWhatsApp, Webhook],
) -> None:
    fake, hook = wa
    fake.add_user(NUMBER, "Budi", BSUID, username="budi.s")
    await fake.send_text(NUMBER, "halo")
    mid = (await send(fake, {"recipient": BSUID, **text()})).json()["messages"][0]["id"]
    await fake.send_status(mid, "read")
    item, contact = hook.last_value["statuses"][0], hook.last_value["contacts"][0]
    assert "recipient_id" not in item and item["recipient_user_id"] == BSUID
    assert contact == {"profile": {"name": "Budi", "username": "budi.s"}, "user_id": BSUID}


# --- system: a changed number -------------------------------------------------------------------
async def test_a_changed_number_is_announced_and_the_person_known_by_it(
    wa: tuple[FakeWhatsApp, Webhook],
) -> None:
    fake, hook = wa
    fake.add_user(NUMBER, "Budi", BSUID)
    await fake.send_text(NUMBER, "halo")
    assert await fake.change_number(NUMBER, "6281299999999") == 200
    value = hook.last_value
    assert "contacts" not in value
    msg = value["messages"][0]
    assert (msg["type"], msg["from"]) == ("system", NUMBER)
    system = msg["system"]
    assert system["type"] == "user_changed_number" and system["wa_id"] == "6281299999999"
    assert system["previous_user_id"] == BSUID and system["user_id"] != BSUID
    assert system["body"] == f"User Budi changed from {NUMBER} to 6281299999999"

    # the old number and the old BSUID reach nobody; the new ones do
    assert (await send(fake, {"to": NUMBER, **text()})).json()["error"]["code"] == 131026
    assert (await send(fake, {"recipient": BSUID, **text()})).json()["error"]["code"] == 131026
    assert (await send(fake, {"to": "6281299999999", **text("baru")})).status_code == 200
    assert (await send(fake, {"recipient": system["user_id"], **text("b")})).status_code == 200
    await fake.send_text("6281299999999", "dari nomor baru")
    assert hook.last_value["contacts"][0]["user_id"] == system["user_id"]


async def test_a_changed_bsuid_is_announced(wa: tuple[FakeWhatsApp, Webhook]) -> None:
    fake, hook = wa
    bsuid = fake.add_user(None, "Budi", username="budi.s")
    assert await fake.change_user_id(bsuid) == 200
    system = hook.last_value["messages"][0]["system"]
    assert system["type"] == "user_changed_user_id" and system["previous_user_id"] == bsuid
    assert fake.user(system["user_id"]).username == "budi.s"


# --- every documented kind -----------------------------------------------------------------------
def test_all_kinds_are_many() -> None:
    assert len(P.ALL_KINDS) >= 38


@pytest.mark.parametrize("kind", sorted(P.ALL_KINDS))
async def test_every_kind_is_signed_and_delivered(
    wa: tuple[FakeWhatsApp, Webhook], kind: str
) -> None:
    fake, hook = wa
    body = P.ALL_KINDS[kind](P.person())
    assert await fake.send_payload(body) == 200
    assert hook.bodies == [body]  # as sent, byte for byte JSON


@pytest.mark.parametrize("kind", sorted(set(P.ALL_KINDS) - P.MALFORMED))
def test_every_kind_has_the_envelope(kind: str) -> None:
    body = P.ALL_KINDS[kind](P.person())
    assert body["object"] == "whatsapp_business_account"
    change = body["entry"][0]["changes"][0]
    assert change["field"] == "messages"
    assert change["value"]["messaging_product"] == "whatsapp"
    assert change["value"]["metadata"]["phone_number_id"]


def only_message(body: dict[str, Any]) -> dict[str, Any]:
    value = body["entry"][0]["changes"][0]["value"]
    assert len(value["messages"]) == 1
    message: dict[str, Any] = value["messages"][0]
    return message


MESSAGE_KINDS = {
    # kind: (type, key fields that must be in the type's object)
    "text": ("text", {"body"}),
    "text_with_link": ("text", {"body", "preview_url"}),
    "image": ("image", {"id", "mime_type", "sha256"}),
    "image_with_caption": ("image", {"id", "caption"}),
    "video": ("video", {"id", "mime_type", "caption"}),
    "document": ("document", {"id", "filename", "mime_type"}),
    "document_with_caption": ("document", {"id", "filename", "caption"}),
    "audio": ("audio", {"id", "mime_type", "voice"}),
    "voice": ("audio", {"id", "voice"}),
    "sticker": ("sticker", {"id", "mime_type", "animated"}),
    "sticker_animated": ("sticker", {"id", "animated"}),
    "reaction": ("reaction", {"message_id", "emoji"}),
    "unreaction": ("reaction", {"message_id", "emoji"}),
    "location": ("location", {"latitude", "longitude"}),
    "location_named": ("location", {"latitude", "longitude", "name", "address"}),
    "order": ("order", {"catalog_id", "product_items"}),
    "unsupported": ("unsupported", {"type"}),
    "unavailable": ("unsupported", {"type"}),
    "reply": ("text", {"body"}),
    "forwarded": ("text", {"body"}),
    "frequently_forwarded": ("text", {"body"}),
    "product_enquiry": ("text", {"body"}),
    "referral": ("text", {"body"}),
    "button_reply": ("interactive", {"type", "button_reply"}),
    "list_reply": ("interactive", {"type", "list_reply"}),
    "nfm_reply": ("interactive", {"type", "nfm_reply"}),
    "template_button": ("button", {"payload", "text"}),
    "edit": ("edit", {"original_message_id", "message"}),
    "revoke": ("revoke", {"original_message_id"}),
    "username_only_text": ("text", {"body"}),
}


@pytest.mark.parametrize("kind", sorted(MESSAGE_KINDS))
def test_message_kinds_have_the_documented_shape(kind: str) -> None:
    body = P.ALL_KINDS[kind](P.person())
    msg = only_message(body)
    mtype, keys = MESSAGE_KINDS[kind]
    assert msg["type"] == mtype
    assert keys <= set(msg[mtype])
    assert msg["from_user_id"] == "ID.13491208655302741918" and msg["id"].startswith("wamid.")
    contact = body["entry"][0]["changes"][0]["value"]["contacts"][0]
    assert contact["user_id"] == "ID.13491208655302741918"
    if kind == "username_only_text":
        assert "from" not in msg and "wa_id" not in contact and contact["profile"]["username"]
    else:
        assert msg["from"] == contact["wa_id"] == "6281200000001"


def test_details_of_particular_kinds() -> None:
    s = P.person()
    assert only_message(P.unreaction(s))["reaction"]["emoji"] == ""
    assert only_message(P.voice(s))["audio"]["voice"] is True
    assert only_message(P.forwarded(s))["context"] == {"forwarded": True}
    assert only_message(P.frequently_forwarded(s))["context"] == {"frequently_forwarded": True}
    assert only_message(P.reply(s))["context"]["id"] == "wamid.BOT000001"
    assert only_message(P.product_enquiry(s))["context"]["referred_product"]["catalog_id"]
    assert only_message(P.referral(s))["referral"]["source_type"] == "ad"
    assert only_message(P.button_reply(s))["interactive"]["button_reply"]["id"] == "b:1"
    assert only_message(P.list_reply(s))["interactive"]["list_reply"]["id"] == "r:1"
    assert only_message(P.template_button(s))["button"]["payload"] == "open"
    assert only_message(P.edit(s))["edit"]["message"]["text"] == {"body": "75"}
    card = only_message(P.contacts(s))["contacts"][0]
    assert card["name"]["formatted_name"] and card["phones"][0]["wa_id"]
    for kind in ("unsupported", "unavailable"):
        err = only_message(P.ALL_KINDS[kind](s))["errors"][0]
        assert err["code"] in (131051, 131060) and err["title"] == err["message"]
    broken = only_message(P.interactive_errors(s))
    assert broken["type"] == "interactive" and "interactive" not in broken
    assert broken["errors"][0]["code"] == 131051
    assert "text" not in only_message(P.text_without_text(s))


def statuses(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    value = body["entry"][0]["changes"][0]["value"]
    assert "messages" not in value
    item: dict[str, Any] = value["statuses"][0]
    return item, value


def test_status_kinds_have_the_documented_shape() -> None:
    s = P.person()
    for kind, status in (
        ("status_sent", "sent"),
        ("status_delivered", "delivered"),
        ("status_read", "read"),
    ):
        item, value = statuses(P.ALL_KINDS[kind](s))
        assert item["status"] == status and item["id"] and item["timestamp"]
        assert item["recipient_id"] == "6281200000001"
        assert item["recipient_user_id"] == "ID.13491208655302741918"
        assert value["contacts"][0]["user_id"] == "ID.13491208655302741918"
    for kind, code in (("status_failed", 131026), ("status_failed_window", 131047)):
        item, value = statuses(P.ALL_KINDS[kind](s))
        assert item["status"] == "failed" and item["errors"][0]["code"] == code
        assert "contacts" not in value and "recipient_user_id" not in item
    item, _ = statuses(P.status_to_bsuid(P.person(username="budi.s")))
    assert "recipient_id" not in item and item["recipient_user_id"] == "ID.13491208655302741918"
    item, _ = statuses(P.status_group(s))
    assert item["recipient_type"] == "group" and item["recipient_id"].endswith("@g.us")
    assert item["recipient_participant_id"] == "6281200000001"


def test_system_kinds_have_the_documented_shape() -> None:
    s = P.person()
    value = P.system_number_changed(s)["entry"][0]["changes"][0]["value"]
    assert "contacts" not in value
    msg = value["messages"][0]
    assert msg["type"] == "system" and msg["from"] == "6281200000001"
    assert msg["system"]["type"] == "user_changed_number"
    assert msg["system"]["wa_id"] == "6281299999999"
    assert msg["system"]["previous_user_id"] == "ID.13491208655302741918"
    msg = only_message(P.system_user_id_changed(s))
    assert msg["system"]["type"] == "user_changed_user_id" and "wa_id" not in msg["system"]


def test_malformed_bodies_are_as_the_issue_lists() -> None:
    s = P.person()
    assert [P.ALL_KINDS[k](s) for k in sorted(P.MALFORMED)] == [{"entry": 5}, [], None, "x"]
