"""The WhatsApp channel against the local fake Cloud API: the same round for people who
use WhatsApp, one state with Telegram, signatures, the 24-hour window, duplicates."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable
from datetime import timedelta

from sqlalchemy import func, select

from bot.features.people import create_invitation
from bot.procedure.sop import RoundState
from bot.texts import t
from db.models import Answer, Attachment, CollectionRound, Decision, Indicator, Outbox, Person
from tests import flows
from tests.harness import Harness

WA = {"sekretaris": "6281100000002", "pem": "6281100000007", "trantib": "6281100000008"}


def to_whatsapp(h: Harness, key: str) -> str:
    """Move a person to WhatsApp (number from the office file, Telegram unlinked)."""
    wa_id = WA[key]
    with h.db.transaction() as s:
        p = s.scalar(select(Person).where(Person.nip == flows.NIP[key]))
        p.whatsapp_number, p.preferred_channel, p.telegram_user_id = wa_id, "whatsapp", None
        name = p.name
    assert h.wa is not None
    h.wa.add_user(wa_id, name)
    return wa_id


async def _replies(h: Harness, wa_id: str, act: Awaitable[object]) -> list[str]:
    """What the bot wrote to `wa_id` in answer to one action of theirs."""
    assert h.wa is not None
    before = len(h.wa.messages_to(wa_id))
    await act
    await h.settle()
    return h.wa.texts_to(wa_id)[before:]


async def wa_say(h: Harness, wa_id: str, text: str) -> list[str]:
    assert h.wa is not None
    return await _replies(h, wa_id, h.wa.send_text(wa_id, text))


async def wa_press(h: Harness, wa_id: str, title: str) -> list[str]:
    assert h.wa is not None
    return await _replies(h, wa_id, h.wa.press(wa_id, title))


async def wa_answer(h: Harness, wa_id: str, value: str, doc: bytes | None = None) -> None:
    """The open indicator on WhatsApp: its evidence first (any time is fine), then the value
    and, below target, the explanation."""
    assert h.wa is not None
    if doc is not None:
        await h.wa.send_document(wa_id, doc, "daftar_hadir.pdf", "application/pdf")
        await h.settle()
        assert ": daftar_hadir.pdf" in h.wa.texts_to(wa_id)[-1]
    replies = await wa_say(h, wa_id, value)
    assert any(r.startswith(("✅", "⚠️", "➖")) for r in replies), replies  # saved
    if "(wajib)" in replies[-1]:
        await wa_say(h, wa_id, "Kendala cuaca pada triwulan ini.")


def username_head(h: Harness, key: str, username: str) -> tuple[str, str]:
    """A person on WhatsApp with a username and no phone number (neither in the office file
    nor in webhooks): their BSUID (their handle at the fake) and an invitation code."""
    assert h.wa is not None
    with h.db.transaction() as s:
        p = s.scalar(select(Person).where(Person.nip == flows.NIP[key]))
        p.telegram_user_id, p.whatsapp_number = None, None
        code = create_invitation(s, p, h.clock.now(), days=7).token
        name = p.name
    return h.wa.add_user(None, name, username=username), code


def no_bsuid_in_to(h: Harness) -> None:
    """Every message went to a phone number in `to`, or to a BSUID in `recipient`."""
    assert h.wa is not None and h.wa.stats["bsuid_in_to"] == 0
    assert all((m.via == "to") == m.address.isdigit() for m in h.wa.sent)


async def test_round_with_sections_and_sekretaris_on_whatsapp(wa_harness: Harness):
    """The whole round on WhatsApp as Meta sends it in 2026: a BSUID in every webhook, and
    the Kasi Trantib with a username and no phone number, linked by their invitation code."""
    h = wa_harness
    assert h.wa is not None and h.wa.bsuid_rules
    o = await flows.setup_office(h)
    sek, pem = (to_whatsapp(h, k) for k in ("sekretaris", "pem"))
    trantib, code = username_head(h, "trantib", "trantib.astambul")
    assert trantib.startswith("ID.")  # known by their BSUID only
    welcome = await wa_say(h, trantib, code)
    assert welcome[0].startswith("Selamat datang, ") and "Kepala Seksi" in welcome[0], welcome
    for wa_id in (sek, pem, trantib):  # each has written to the office number (window open)
        assert "Tidak ada putaran" in (await wa_say(h, wa_id, "/status"))[0]
    with h.db.transaction() as s:
        p = s.scalar(select(Person).where(Person.nip == flows.NIP["trantib"]))
        assert (p.whatsapp_user_id, p.whatsapp_number) == (trantib, None)
        assert (p.whatsapp_username, p.preferred_channel) == ("trantib.astambul", "whatsapp")
        p = s.scalar(select(Person).where(Person.nip == flows.NIP["pem"]))
        assert (p.whatsapp_number, p.whatsapp_user_id) == (pem, h.wa.user(pem).user_id)
    await flows.request_round(h, o)
    # the team form has more than ten choices: numbered, answered by typing the number
    form = h.wa.last_to(sek)
    assert form is not None and "Balas dengan angka" in (form.text or "")
    number = next(
        m.group(1)
        for line in (form.text or "").splitlines()
        if (m := re.match(r"(\d+)\. .*Simpan tim", line))
    )
    replies = await wa_say(h, sek, number)
    assert "Tim untuk Triwulan III 2026 disimpan" in replies[0], (number, replies)
    with h.db.transaction() as s:
        assert s.scalar(select(CollectionRound.state)) == RoundState.TEAM_FORMED
    await flows.confirm_plan(h, o)
    invite = next(m for m in h.wa.messages_to(pem) if "Formulir data kinerja" in (m.text or ""))
    assert invite.type == "button" and "Kamis, 26 November 2026" in (invite.text or "")

    await wa_press(h, pem, "📝 Isi sekarang")
    await wa_answer(h, pem, "92,5", doc=b"%PDF-1.4 daftar hadir")
    await wa_answer(h, pem, "6")
    await wa_answer(h, pem, "85")
    await wa_press(h, pem, "📤 Kirim")
    assert "dikirim ke Kasubag Program" in h.wa.texts_to(pem)[-1]
    await flows.accept(h, o)
    await wa_say(h, trantib, "/isi")
    await wa_answer(h, trantib, "2")
    await wa_answer(h, trantib, "80")
    await wa_press(h, trantib, "📤 Kirim")
    await flows.accept(h, o)
    for key in ("pmd", "kesos", "pu"):
        await flows.fill_section(h, o.heads[key], flows.VALUES[key])
        await flows.accept(h, o)

    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    got = h.wa.messages_to(sek)[-5:]
    assert [m.type for m in got][:3] == ["image", "document", "document"]
    assert got[1].content is not None and got[1].content[:5] == b"%PDF-"
    await wa_press(h, sek, "Rapat pukul")
    h.clock.advance(hours=1)
    await wa_press(h, sek, "✅ Tanpa koreksi")
    await wa_press(h, sek, "✅ Setujui")
    assert "disetujui" in h.wa.texts_to(sek)[-1]
    assert [m.kind for m in h.fake.messages(o.camat.chat)[-3:]] == ["photo", "document", "text"]
    with h.db.transaction() as s:
        assert s.scalar(select(CollectionRound.state)) == RoundState.APPROVED
        decision = s.scalar(select(Decision).where(Decision.kind == "approve"))
        assert decision.person_id == h.person(flows.NIP["sekretaris"]).id
        assert (
            s.scalar(
                select(func.count()).select_from(Answer).where(Answer.realisation.is_not(None))
            )
            == 14
        )
        tra = s.scalar(select(Answer).join(Indicator).where(Indicator.code == "TRA-2"))
        assert tra.realisation == 80
        assert s.scalar(select(func.count()).select_from(Attachment)) == 1
    # group announcements reached the WhatsApp users one to one
    assert any("Putaran Triwulan III 2026 selesai" in m for m in h.wa.texts_to(pem))
    assert any("Putaran Triwulan III 2026 selesai" in m for m in h.wa.texts_to(trantib))
    # the username head at their BSUID in `recipient`, everyone else at their number in `to`
    assert {m.via for m in h.wa.messages_to(trantib)} == {"recipient"}
    assert {m.via for m in h.wa.messages_to(pem) + h.wa.messages_to(sek)} == {"to"}
    assert h.wa.errors == []
    no_bsuid_in_to(h)


async def test_a_changed_number_or_bsuid_keeps_the_person(wa_harness: Harness):
    h = wa_harness
    assert h.wa is not None
    await flows.setup_office(h)
    pem = to_whatsapp(h, "pem")
    await wa_say(h, pem, "/status")
    sent = len(h.wa.sent)
    assert await h.wa.change_user_id(pem) == 200
    assert await h.wa.change_number(pem, "6281100000099") == 200
    await h.settle()
    assert len(h.wa.sent) == sent  # system changes are not answered
    with h.db.transaction() as s:
        p = s.scalar(select(Person).where(Person.nip == flows.NIP["pem"]))
        assert p.whatsapp_number == "6281100000099"
        assert p.whatsapp_user_id == h.wa.user("6281100000099").user_id
    replies = await wa_say(h, "6281100000099", "/status")
    assert "Tidak ada putaran" in replies[0]
    assert h.wa.last_to("6281100000099").address == "6281100000099"  # type: ignore[union-attr]
    with h.db.transaction() as s:  # still one person
        assert (
            s.scalar(select(func.count()).select_from(Person).where(Person.nip == flows.NIP["pem"]))
            == 1
        )
    no_bsuid_in_to(h)


async def test_a_message_refused_for_a_bsuid_is_recorded_and_reported(wa_harness: Harness):
    """Meta refuses some messages (here an authentication template) for BSUID recipients
    (131062): with no phone number known the row fails with the reason, and the Kasubag
    Program is told who could not be reached."""
    h = wa_harness
    assert h.wa is not None
    o = await flows.setup_office(h)
    h.wa.add_template("sakip_pengingat", "id", params=1, category="AUTHENTICATION")
    trantib, code = username_head(h, "trantib", "trantib.astambul")
    await wa_say(h, trantib, code)
    h.clock.advance(timedelta(days=2))  # their window closed: only a template may go
    await flows.start_collection(h, o)
    with h.db.transaction() as s:
        p = s.scalar(select(Person).where(Person.nip == flows.NIP["trantib"]))
        failed = s.scalars(
            select(Outbox).where(Outbox.person_id == p.id, Outbox.status == "failed")
        ).all()
        name = p.name
    assert failed and {r.error for r in failed} == {t("wa_bsuid_refused")}
    assert h.wa.messages_to(trantib)[1:] == []  # only the welcome went out
    assert t("delivery_failed", who=name, reason=t("wa_bsuid_refused")) in h.texts(o.kasubag)
    assert [e["code"] for e in h.wa.errors] and {e["code"] for e in h.wa.errors} == {131062}
    no_bsuid_in_to(h)


async def test_bad_signature_is_refused_and_nothing_processed(wa_harness: Harness):
    h = wa_harness
    assert h.wa is not None
    await flows.setup_office(h)
    pem = to_whatsapp(h, "pem")
    body = b'{"entry":[{"changes":[{"value":{"messages":[{"from":"6281100000007","id":"wamid.x","type":"text","text":{"body":"/isi"}}]}}]}]}'
    assert await h.wa.send_raw(body, "sha256=" + "0" * 64) == 401
    assert await h.wa.send_raw(body, None) == 401
    await h.settle()
    assert h.wa.messages_to(pem) == []


async def test_unknown_number_gets_the_polite_refusal(wa_harness: Harness):
    h = wa_harness
    assert h.wa is not None
    h.wa.add_user("6289999999999", "Orang Asing")
    replies = await wa_say(h, "6289999999999", "halo, ini kantor camat?")
    assert replies == [t("stranger", office="Kecamatan Astambul")]
    reply = h.wa.last_to("6289999999999")
    assert reply is not None and reply.type == "text"  # inside the window they just opened


async def test_outside_the_window_a_template_then_the_full_message_after_reply(wa_harness: Harness):
    h = wa_harness
    assert h.wa is not None
    o = await flows.setup_office(h)
    sek = to_whatsapp(h, "sekretaris")  # never wrote to the office number
    await flows.request_round(h, o)
    first = h.wa.last_to(sek)
    assert first is not None and first.type == "template" and first.template == "sakip_pengingat"
    assert "Langkah 2" in first.params[0]
    replies = await wa_say(h, sek, "Baik")
    assert any("Langkah 2" in r and "Balas dengan angka" in r for r in replies), replies


async def test_button_that_does_not_fit_and_duplicate_delivery(wa_harness: Harness):
    h = wa_harness
    assert h.wa is not None
    o = await flows.setup_office(h)
    pem = to_whatsapp(h, "pem")
    await wa_say(h, pem, "/status")
    await h.wa.press_id(pem, "token-palsu")
    await h.settle()
    assert h.wa.texts_to(pem)[-1] == t("button_unknown")
    await flows.start_collection(h, o)
    await wa_say(h, pem, "/isi")
    n = len(h.wa.messages_to(pem))
    await wa_say(h, pem, "92,5")
    after_first = len(h.wa.messages_to(pem))
    assert await h.wa.resend_last(pem) == 200  # Meta delivers the same message again
    await h.settle()
    assert len(h.wa.messages_to(pem)) == after_first > n
    with h.db.transaction() as s:
        ans = s.scalar(select(Answer).join(Indicator).where(Indicator.code == "PEM-1"))
        assert ans.realisation == 92.5


async def test_delivery_statuses_are_recorded_on_the_outbox(wa_harness: Harness):
    h = wa_harness
    assert h.wa is not None
    o = await flows.setup_office(h)
    pem = to_whatsapp(h, "pem")
    await wa_say(h, pem, "/status")
    reply = h.wa.last_to(pem)
    assert reply is not None
    for status in ("delivered", "read"):
        assert await h.wa.send_status(reply.id, status) == 200  # recorded; handled from the inbox
        await h.settle()
        with h.db.transaction() as s:
            row = s.scalar(select(Outbox).where(Outbox.remote_id == reply.id))
            assert row is not None and row.remote_status == status
    assert await h.wa.send_status(reply.id, "failed", error_code=131026) == 200
    await h.settle()
    with h.db.transaction() as s:
        row = s.scalar(select(Outbox).where(Outbox.remote_id == reply.id))
        assert row.remote_status == "failed" and row.error == "WhatsApp: error 131026"
    await h.settle()  # the Kasubag Program is told who could not be reached
    name = h.person(flows.NIP["pem"]).name
    assert h.last(o.kasubag) == t("delivery_failed", who=name, reason="WhatsApp: error 131026")


async def test_evidence_photo_and_refused_files_on_whatsapp(wa_harness: Harness):
    h = wa_harness
    assert h.wa is not None
    o = await flows.setup_office(h)
    pem = to_whatsapp(h, "pem")
    await wa_say(h, pem, "/status")
    await flows.start_collection(h, o)
    await wa_say(h, pem, "/isi")
    replies = await _replies(h, pem, h.wa.send_image(pem, b"\xff\xd8\xff\xe0 foto kegiatan"))
    assert "Bukti PEM-1 diterima" in replies[-1]
    big = b"0" * (21 * 1024 * 1024)
    replies = await _replies(h, pem, h.wa.send_document(pem, big, "rekap.pdf", "application/pdf"))
    assert replies[-1] == t("file_too_large", size_mb="21,0", max_mb=20)
    exe = h.wa.send_document(pem, b"MZ\x90\x00", "program.exe", "application/x-msdownload")
    replies = await _replies(h, pem, exe)
    assert replies[-1].startswith('Jenis file "program.exe" tidak diterima')
    with h.db.transaction() as s:
        files = s.scalars(select(Attachment)).all()
        assert len(files) == 1 and files[0].file.mime == "image/jpeg"
        assert files[0].file.sha256 == hashlib.sha256(b"\xff\xd8\xff\xe0 foto kegiatan").hexdigest()
