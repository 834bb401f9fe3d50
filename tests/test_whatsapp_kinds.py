"""Every webhook kind of Meta's reference (tests/wa_payloads.py), as Meta sends it in 2026
(BSUIDs in every webhook), from a stranger and from a linked section head with the form
open: 200 (400 for bodies that are no webhook), no error in the log, and the answer that
fits. Never a BSUID in `to`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.settings import Settings
from bot.texts import t
from db.models import Attachment, Person
from handlers.whatsapp_ids import is_phone
from tests import flows
from tests import wa_payloads as P
from tests.harness import Harness
from tests.test_whatsapp import to_whatsapp, wa_say


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Many messages to one person in a few seconds: no pair-rate pacing here (tested in
    tests/test_limits.py)."""
    return settings.model_copy(update={"whatsapp_pair_burst": 0})


MEDIA = "1003383421387256"  # the media id the payload builders name
STRANGER = "6289999999999"
OFFICE = "Kecamatan Astambul"
NONE = "(no answer)"
STATUSES = {k for k in P.ALL_KINDS if k.startswith("status_")}
SILENT = STATUSES | {"unreaction", "text_without_text", "empty_change"} | P.MALFORMED


def not_used(what: str) -> str:
    return t("wa_not_used", what=t(what))


def no_bsuid_in_to(h: Harness) -> None:
    """What the bot sent went to a phone number in `to`, or a BSUID in `recipient`."""
    assert h.wa is not None
    assert h.wa.stats["bsuid_in_to"] == 0
    for m in h.wa.sent:
        assert (m.via == "to") == is_phone(m.address), (m.via, m.address)


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert bad == []


def _message_id(body: dict[str, Any]) -> str:
    return str(body["entry"][0]["changes"][0]["value"]["messages"][0]["id"])


async def _send_all(
    h: Harness, handle: str, kinds: list[str], expect: Callable[[str, list[str]], None]
) -> None:
    """Post each kind from the person `handle`; `expect(kind, replies)` checks the answer."""
    assert h.wa is not None
    user = h.wa.user(handle)
    first_text = ""
    for kind in kinds:
        if kind in ("edit", "revoke"):  # of the text sent first (handled, its answer saved)
            body: Any = getattr(P, kind)(user, original=first_text)
        else:
            body = P.ALL_KINDS[kind.removesuffix("_again")](user)
        if kind in ("image", "image_with_caption", "video", "document", "document_with_caption"):
            mime = body["entry"][0]["changes"][0]["value"]["messages"][0][kind.split("_")[0]]
            data = b"%PDF-1.4 bukti" if "pdf" in mime["mime_type"] else b"\xff\xd8\xff\xe0 foto"
            h.wa.media[MEDIA] = (data, mime["mime_type"], "x")
        before = len(h.wa.messages_to(handle))
        h.wa.last_inbound[handle] = h.wa.clock()  # they wrote: their window is open
        status = await h.wa.send_payload(body)
        await h.settle()
        assert status == (400 if kind in P.MALFORMED else 200), kind
        replies = [m.text or "" for m in h.wa.messages_to(handle)[before:]]
        expect(kind, replies or [NONE])
        if kind == "text":
            first_text = _message_id(body)


async def test_every_kind_from_a_stranger_gets_200_and_the_polite_refusal(
    wa_harness: Harness, caplog: pytest.LogCaptureFixture
):
    h = wa_harness
    assert h.wa is not None
    h.wa.add_user(STRANGER, "Orang Asing")
    refusal = t("stranger", office=OFFICE)
    quiet = SILENT | {"reaction", "system_number_changed", "system_user_id_changed"}

    def expect(kind: str, replies: list[str]) -> None:
        assert replies == ([NONE] if kind in quiet else [refusal]), kind

    await _send_all(h, STRANGER, list(P.ALL_KINDS), expect)
    with h.db.transaction() as s:  # a stranger is not recorded as anybody
        assert s.scalar(select(Person).where(Person.whatsapp_number == STRANGER)) is None
    # the username-only message was answered at the BSUID, in `recipient`
    assert {m.via for m in h.wa.messages_to(STRANGER)} == {"to", "recipient"}
    no_bsuid_in_to(h)
    no_errors_logged(caplog)


async def test_every_kind_from_a_section_head_with_the_form_open(
    wa_harness: Harness, caplog: pytest.LogCaptureFixture
):
    h = wa_harness
    assert h.wa is not None
    o = await flows.setup_office(h)
    pem = to_whatsapp(h, "pem")
    await wa_say(h, pem, "/status")
    await flows.start_collection(h, o)
    # an interactive message the person's client could not show: the choices come again as
    # a numbered list, and the number typed is the choice
    await _send_all(h, pem, ["interactive_errors"], lambda k, r: None)
    again = h.wa.texts_to(pem)[-1]
    assert again.startswith(t("wa_choices_again")) and "1. 📝 Isi sekarang" in again
    assert "PEM-1 Persentase desa" in (await wa_say(h, pem, "1"))[-1]

    bsuid = h.wa.user(pem).user_id
    try_again = t("form_try_again")
    answers: dict[str, Callable[[str], bool]] = {
        "image": lambda r: r.startswith("📎 Bukti PEM-1 diterima"),
        "image_with_caption": lambda r: "“Foto kegiatan”" in r,
        "video": lambda r: r.startswith('Jenis file "video_'),  # the office's file types
        "document": lambda r: r.startswith("📎 Bukti PEM-1 diterima: daftar_hadir.pdf"),
        "document_with_caption": lambda r: "“Rekap triwulan”" in r,
        "audio": lambda r: r == not_used("wa_kind_audio"),
        "voice": lambda r: r == not_used("wa_kind_audio"),
        "sticker": lambda r: r == not_used("wa_kind_sticker"),
        "sticker_animated": lambda r: r == not_used("wa_kind_sticker"),
        "reaction": lambda r: r == not_used("wa_kind_reaction"),
        "reaction_again": lambda r: r == NONE,  # once, not per reaction
        "location": lambda r: r == not_used("wa_kind_location"),
        "location_named": lambda r: r == not_used("wa_kind_location"),
        "contacts": lambda r: r == not_used("wa_kind_contacts"),
        "order": lambda r: r == not_used("wa_kind_order"),
        "unsupported": lambda r: r == not_used("wa_kind_other"),
        "unavailable": lambda r: r == not_used("wa_kind_other"),
        "nfm_reply": lambda r: r == not_used("wa_kind_flow"),
        "button_reply": lambda r: r == t("button_unknown"),
        "list_reply": lambda r: r == t("button_unknown"),
        "interactive_errors": lambda r: r == t("wa_no_choices"),  # the last had no buttons
        "template_button": lambda r: r.startswith("📊 Putaran Triwulan III 2026"),
        "edit": lambda r: r == t("wa_edit_saved"),
        "revoke": lambda r: r == t("wa_revoke_saved"),
        "system_user_id_changed": lambda r: r == NONE,
        "system_number_changed": lambda r: r == NONE,
    }
    text_kinds = {"text", "text_with_link", "reply", "forwarded", "frequently_forwarded"}
    text_kinds |= {"product_enquiry", "referral", "username_only_text"}

    def expect(kind: str, replies: list[str]) -> None:
        if kind in SILENT:
            assert replies == [NONE], kind
        elif kind in text_kinds:  # the form asks for a number again
            assert len(replies) == 1 and try_again in replies[0], (kind, replies)
        else:
            assert len(replies) == 1 and answers[kind](replies[0]), (kind, replies)

    kinds = [k for k in P.ALL_KINDS if not k.startswith("system_")]
    kinds.insert(kinds.index("unreaction"), "reaction_again")
    await _send_all(h, pem, kinds, expect)
    # every answer went to the number, also the one to the message without it
    assert {m.via for m in h.wa.messages_to(pem)} == {"to"}
    with h.db.transaction() as s:
        person = s.scalar(select(Person).where(Person.nip == flows.NIP["pem"]))
        assert (person.whatsapp_number, person.whatsapp_user_id) == (pem, bsuid)
        assert person.whatsapp_username == "budi.s"  # from the username-only message
        captions = {a.description for a in s.scalars(select(Attachment))}
        assert captions == {None, "Foto kegiatan", "Rekap triwulan"}
    # the BSUID changes, then the number (and the BSUID again): the same person, unanswered
    await _send_all(h, pem, ["system_user_id_changed", "system_number_changed"], expect)
    with h.db.transaction() as s:
        person = s.scalar(select(Person).where(Person.nip == flows.NIP["pem"]))
        assert person.whatsapp_number == "6281299999999"
        assert person.whatsapp_user_id == "ID.99991208655302741918"
    no_bsuid_in_to(h)
    no_errors_logged(caplog)
