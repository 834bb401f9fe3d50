"""Every notice true: what the bot tells people is what happened, in the office's words.

A request says it went to the group only when it did; evidence is filed under the indicator
it belongs to; a value below target never reads as praise; people are "Bapak/Ibu"; a
percent is written one way; the archive's times are the office's."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import datetime
from decimal import Decimal
from io import BytesIO

from sqlalchemy import select

from bot.fmt import capaian_chat, capaian_icon, format_quantity_id, short_hash
from bot.texts import HELP, TEXTS
from db.models import Answer, Attachment, Decision, Indicator, StoredFile
from tests import flows
from tests.harness import GROUP_ID, Harness, User

PDF = b"%PDF-1.4 daftar hadir pembinaan"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF rapat"


def _filed(h: Harness) -> dict[str, tuple[str, str | None]]:
    """Each evidence file's name → (the indicator it is filed under, its description)."""
    with h.db.transaction() as s:
        rows = s.execute(
            select(StoredFile.name, Indicator.code, Attachment.description)
            .join(Attachment, Attachment.file_id == StoredFile.id)
            .join(Answer, Answer.id == Attachment.answer_id)
            .join(Indicator, Indicator.id == Answer.indicator_id)
        ).all()
    return {name: (code, desc) for name, code, desc in rows}


async def _at_the_form(h: Harness, section: str) -> tuple[flows.Office, User]:
    """A round collecting; the section's head has opened the form (its first question)."""
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    head = o.heads[section]
    await h.say(head, "/isi")
    return o, head


# --- 1. the request says where it went -----------------------------------------------------


async def test_request_without_a_group_reaches_the_team_one_to_one_and_says_so(harness: Harness):
    h = harness
    o = await flows.setup_office(h, group=False)
    await flows.request_round(h, o)
    told = h.last(o.camat)
    assert "dikirim ke grup" not in told, told
    assert "dikirim langsung kepada Sekretaris" in told
    assert "Grup Tim SAKIP belum terdaftar" in told and "/daftargrup" in told
    # the Tim SAKIP members (the Kasubag among them) have the announcement in their own chat
    for member in (o.kasubag, *o.tim):
        assert any("📢 Permintaan pengumpulan data kinerja" in t for t in h.texts(member)), (
            member.name
        )
        assert member.name.split(",")[0] in told
    # the Sekretaris has what she must act on: the team form
    assert "Langkah 2 — Pembentukan tim" in "\n".join(h.texts(o.sek))
    assert h.texts(GROUP_ID) == []


async def test_request_with_a_group_posts_there_and_says_so(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.request_round(h, o)
    assert h.last(o.camat).startswith(
        "Permintaan pengumpulan data Triwulan III 2026 sudah dikirim ke grup Tim SAKIP"
    )
    posted = [t for t in h.texts(GROUP_ID) if t.startswith("📢 Permintaan")]
    assert len(posted) == 1 and "Dari Camat: " in posted[0]
    # the team hears it once, in the group, not again one to one
    assert not any("📢 Permintaan" in t for t in h.texts(o.tim[0]))


# --- 2. evidence goes to the indicator it belongs to ----------------------------------------


async def test_a_file_sent_under_another_question_moves_with_one_tap(harness: Harness):
    h = harness
    o, head = await _at_the_form(h, "pem")  # PEM-1's question is open
    await h.send_file(head, PDF, "daftar_hadir_pembinaan.pdf", "application/pdf")
    said = h.last(head)
    assert said.startswith("📎 Bukti PEM-1 diterima: daftar_hadir_pembinaan.pdf")
    assert h.buttons(head) == ["Pindahkan ke PEM-2", "Pindahkan ke PEM-3"]
    await h.press(head, "Pindahkan ke PEM-2")
    moved = h.fake.messages(head.chat)[-1]  # the file's message, edited in place
    assert moved.text.startswith("↪️ Dipindahkan dari PEM-1 ke PEM-2.\n📎 Bukti PEM-2 diterima")
    assert moved.buttons == []
    assert _filed(h) == {"daftar_hadir_pembinaan.pdf": ("PEM-2", None)}
    # the form goes on where it was: PEM-1's question
    await h.say(head, "92,5")
    assert "indikator 2 dari 3" in h.last(head)
    # the summary lists the file under PEM-2, not PEM-1
    for value in ("6", "85"):
        await h.say(head, value)
    summary = h.last(head)
    pem2 = summary[summary.index("2. PEM-2") : summary.index("3. PEM-3")]
    assert "📎 daftar_hadir_pembinaan.pdf" in pem2
    assert "📎" not in summary[summary.index("1. PEM-1") : summary.index("2. PEM-2")]


async def test_a_photo_moved_is_renamed_after_its_new_indicator(harness: Harness):
    h = harness
    o, head = await _at_the_form(h, "pem")
    await h.send_file(head, JPEG, "foto.jpg", "image/jpeg", photo=True, caption="Rapat desa")
    await h.press(head, "Pindahkan ke PEM-3")
    ((name, (code, desc)),) = _filed(h).items()
    assert re.fullmatch(r"PEM-3_foto_\d{4}-\d{2}-\d{2}\.jpg", name) and code == "PEM-3"
    assert desc == "Rapat desa"


async def test_a_caption_naming_the_code_files_it_there_without_asking(harness: Harness):
    h = harness
    o, head = await _at_the_form(h, "pem")
    replies = await h.send_file(
        head, PDF, "daftar_hadir.pdf", "application/pdf", caption="PEM-2 daftar hadir"
    )
    assert replies == [
        "📎 Bukti PEM-2 diterima: daftar_hadir.pdf — \u201cdaftar hadir\u201d (1 file untuk PEM-2)."
    ]
    assert _filed(h) == {"daftar_hadir.pdf": ("PEM-2", "daftar hadir")}


async def test_a_file_sent_on_the_summary_asks_which_indicator(harness: Harness):
    h = harness
    o, head = await _at_the_form(h, "pem")
    for value in flows.VALUES["pem"]:
        await h.say(head, value)
    assert "Ringkasan" in h.last(head)
    await h.send_file(head, PDF, "sk_tim.pdf", "application/pdf")
    assert h.last(head) == "📎 File sk_tim.pdf diterima. Ini bukti untuk indikator mana?"
    assert h.buttons(head) == ["PEM-1", "PEM-2", "PEM-3"]
    assert _filed(h) == {}  # nothing filed until the head says where
    message_id, data = h.find_button(head.chat, "PEM-1")
    await h.press(head, "PEM-1")
    assert h.fake.messages(head.chat)[-1].text.startswith("📎 Bukti PEM-1 diterima: sk_tim.pdf")
    assert _filed(h) == {"sk_tim.pdf": ("PEM-1", None)}
    # the same button again (an old copy of the message) files nothing twice
    assert await h.press_data(head, head.chat, message_id, data) == TEXTS["button_used"]
    with h.db.transaction() as s:
        assert len(s.scalars(select(Attachment)).all()) == 1


# --- 3. a shortfall reads as one ---------------------------------------------------------


async def test_a_value_below_target_is_never_ticked_or_praised_in_chat(harness: Harness):
    h = harness
    o, head = await _at_the_form(h, "trantib")
    await h.say(head, "2")
    saved = (await h.say(head, "80"))[0]  # TRA-2: 80 of 85 → 94,12%
    first = saved.split("\n\n")[0]
    assert first == "⚠️ TRA-2: 80% → capaian 94,12% — belum mencapai target."
    await h.say(head, "Penegakan tertunda karena personel terbatas.")
    summary = h.last(head)
    await h.press(head, "📤 Kirim")
    review = next(t for t in h.texts(o.kasubag) if t.startswith("📥 Data Seksi Ketenteraman"))
    for text in (summary, review):
        line = next(x for x in text.split("\n") if "/ target 85" in x)
        assert line.strip() == "⚠️ 80% / target 85 → capaian 94,12% — belum mencapai target"
        assert "✅ 2 kejadian / target 3 → capaian 133,33% — mencapai target" in text
        assert "kategori" not in text and "Sangat Tinggi" not in text


def test_capaian_words_and_units_in_chat():
    assert capaian_chat(Decimal("94.12")) == "capaian 94,12% — belum mencapai target"
    assert capaian_chat(Decimal("100")) == "capaian 100% — mencapai target"
    assert capaian_chat(None) == "capaian belum dapat dihitung"
    assert (capaian_icon(Decimal("99.99")), capaian_icon(Decimal(100))) == ("⚠️", "✅")
    assert capaian_icon(None) == "➖"
    assert format_quantity_id(Decimal("92.5"), "%") == "92,5%"
    assert format_quantity_id(Decimal("1250"), "dokumen") == "1.250 dokumen"
    assert format_quantity_id(Decimal("6"), "") == "6"


# --- 4. the office's words -----------------------------------------------------------------


def test_the_catalogue_addresses_people_as_bapak_ibu_never_anda():
    said = {**TEXTS, **{f"help:{k}": v for k, v in HELP.items()}}
    with_anda = [k for k, v in said.items() if re.search(r"\banda\b", v, re.I)]
    assert with_anda == []
    assert sum("Bapak/Ibu" in v for v in said.values()) >= 30


def test_no_name_is_followed_by_a_second_bracket():
    """Names carry their own brackets ("…, S.Sos (contoh)"): a template never adds one."""
    for key, text in TEXTS.items():
        for name in ("{sek}", "{camat}", "{kasubag}", "{head}", "{who}"):
            assert f"{name} (" not in text, key
    assert "(" not in TEXTS["dash_final"]  # shown inside a bracket on the dashboard


def test_a_verification_code_is_short_and_grouped():
    full = "3f9a21c7" + "0" * 56
    assert short_hash(full) == "3f9a 21c7"


# --- the archive's times are the office's ----------------------------------------------------


async def test_archive_manifest_times_are_local_with_their_offset(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.complete_round(h, o)
    await h.say(o.camat, "/arsip")
    await h.press(o.camat, "⬇️ ZIP")
    sent = h.fake.last(o.camat.chat)
    assert sent is not None and sent.content is not None
    with zipfile.ZipFile(BytesIO(sent.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    with h.db.transaction() as s:
        approved = s.scalar(select(Decision.at).where(Decision.kind == "approve"))
    assert approved is not None
    for key in ("approved_at", "created_at"):
        assert manifest[key].endswith("+08:00"), manifest[key]  # WITA
    assert datetime.fromisoformat(manifest["approved_at"]) == approved
