"""The section head's form (step 4) as a person on a phone lives it: few taps, one message
per answer, evidence at any point, and a return that opens what it names."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from bot.texts import t
from db.models import Answer, Attachment, Indicator, IndicatorTarget, Person, Section
from tests import flows
from tests.harness import Harness, User

JPEG = b"\xff\xd8\xff\xe0 foto rapat"


class Counter:
    """Counts what the head does (typed messages and pressed buttons) and what the bot sends."""

    def __init__(self, h: Harness, head: User) -> None:
        self.h, self.head, self.interactions, self.replies = h, head, 0, []

    async def say(self, text: str) -> str:
        self.interactions += 1
        replies = await self.h.say(self.head, text)
        self.replies.append(len(replies))
        return replies[-1] if replies else self.h.last(self.head)

    async def press(self, label: str) -> str:
        self.interactions += 1
        before = len(self.h.texts(self.head))
        await self.h.press(self.head, label)
        self.replies.append(len(self.h.texts(self.head)) - before)
        return self.h.last(self.head)


async def _answers(h: Harness) -> dict[str, Answer]:
    with h.db.transaction() as s:
        rows = s.execute(select(Indicator.code, Answer).join(Indicator)).all()
        s.expunge_all()
        return {code: a for code, a in rows}


async def test_four_indicator_section_without_evidence_in_at_most_nine_interactions(
    harness: Harness,
):
    """PMD: two indicators reach their target (done with the value), two do not (the value,
    then the explanation); each answer gets one message: what was saved and what is next."""
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    c = Counter(h, o.heads["pmd"])
    first = await c.say("/isi")
    assert "indikator 1 dari 4" in first
    msg = await c.say("100")
    assert (
        msg.startswith("✅ PMD-1: 100% → capaian 100% — mencapai target")
        and "indikator 2 dari 4" in msg
    )
    msg = await c.say("13")
    assert (
        msg.startswith("⚠️ PMD-2: 13 unit → capaian 92,86% — belum mencapai target.")
        and "(wajib)" in msg
    )
    msg = await c.say("Dua BUMDes belum aktif kembali.")
    assert msg.startswith("✅ Penjelasan PMD-2 tersimpan") and "indikator 3 dari 4" in msg
    msg = await c.say("9 Dua kegiatan batal karena banjir")  # value and explanation at once
    assert "Penjelasan tersimpan" in msg and "indikator 4 dari 4" in msg
    msg = await c.say("96")
    assert "📄 Ringkasan" in msg and "Semua indikator sudah diisi" in msg
    msg = await c.press("📤 Kirim")
    assert "dikirim ke Kasubag Program" in msg
    assert c.interactions <= 9, c.interactions
    assert c.replies == [1] * c.interactions  # never a second message for one answer
    answers = await _answers(h)
    assert answers["PMD-3"].explanation == "Dua kegiatan batal karena banjir"
    assert answers["PMD-2"].explanation == "Dua BUMDes belum aktif kembali."
    assert all(answers[k].done for k in ("PMD-1", "PMD-2", "PMD-3", "PMD-4"))


async def test_one_skip_button_named_for_what_it_does(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    head = o.heads["pmd"]
    await h.say(head, "/isi")
    assert [b for b in h.buttons(head) if "Lewati" in b or "nanti" in b] == ["⏭️ Isi nanti"]
    await h.press(head, "⏭️ Isi nanti")
    assert "indikator 2 dari 4" in h.last(head)
    # a value at target: done, and the next prompt offers to add an explanation to it
    await h.say(head, "14")
    assert "✍️ Penjelasan PMD-2" in h.buttons(head)
    await h.press(head, "✍️ Penjelasan PMD-2")
    assert "Tanpa penjelasan ➡️" in h.buttons(head)
    await h.say(head, "Semua BUMDes aktif.")
    assert "indikator 3 dari 4" in h.last(head)
    answers = await _answers(h)
    assert not answers["PMD-1"].done and answers["PMD-2"].done
    assert answers["PMD-2"].explanation == "Semua BUMDes aktif."


async def test_photo_named_after_indicator_and_day_with_its_caption_kept(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    head = o.heads["pem"]
    await h.say(head, "/isi")
    h.fake.send_photo(head.id, JPEG, caption="Rapat koordinasi desa")
    await h.settle()
    assert h.last(head).split("\n")[0] == (
        "📎 Bukti PEM-1 diterima: PEM-1_foto_2026-11-23.jpg — \u201cRapat koordinasi desa\u201d "
        "(1 file untuk PEM-1)."
    )
    # a caption starting with an indicator's code sends the file there
    h.fake.send_photo(head.id, JPEG + b"2", caption="PEM-3 papan informasi")
    await h.settle()
    assert "Bukti PEM-3 diterima: PEM-3_foto_2026-11-23.jpg" in h.last(head)
    h.fake.send_document(head.id, b"%PDF-1.4 sk", "SK_camat.pdf", "application/pdf")
    await h.settle()
    assert "Bukti PEM-1 diterima: SK_camat.pdf (2 file untuk PEM-1)" in h.last(head)
    h.fake.send_photo(head.id, JPEG + b"3")  # the day's second photo of PEM-1, no caption
    await h.settle()
    assert "Bukti PEM-1 diterima: PEM-1_foto_2026-11-23_2.jpg (3 file untuk PEM-1)" in h.last(head)
    for value in flows.VALUES["pem"]:
        await flows.answer(h, head, value)
    summary = h.last(head)
    assert "📎 PEM-1_foto_2026-11-23.jpg — \u201cRapat koordinasi desa\u201d" in summary
    assert "📎 PEM-3_foto_2026-11-23.jpg — \u201cpapan informasi\u201d" in summary
    with h.db.transaction() as s:
        rows = s.execute(
            select(Indicator.code, Attachment.description)
            .join(Answer, Answer.id == Attachment.answer_id)
            .join(Indicator, Indicator.id == Answer.indicator_id)
            .order_by(Attachment.id)
        ).all()
        assert [tuple(r) for r in rows] == [
            ("PEM-1", "Rapat koordinasi desa"),
            ("PEM-3", "papan informasi"),
            ("PEM-1", None),
            ("PEM-1", None),
        ]


async def test_return_opens_the_named_indicator_with_its_answer_to_keep(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    head = o.heads["pmd"]
    await flows.fill_section(h, head, flows.VALUES["pmd"])
    await h.press(o.kasubag, "↩️ Kembalikan")  # the indicators to correct: chosen, not typed
    assert "Indikator mana" in h.last(o.kasubag) and "PMD-" not in h.last(o.kasubag)
    assert h.buttons(o.kasubag)[1] == "⬜ PMD-2 Jumlah BUMDes aktif"
    await h.press(o.kasubag, "⬜ PMD-2")
    assert h.buttons(o.kasubag)[1] == "✅ PMD-2 Jumlah BUMDes aktif"
    await h.press(o.kasubag, "Lanjut")
    assert h.last(o.kasubag) == "Tuliskan catatan untuk PMD-2: apa yang harus diperbaiki?"
    await h.say(o.kasubag, "mohon lampirkan daftar BUMDes")
    assert "Catatan: PMD-2: mohon lampirkan daftar BUMDes" in h.last(head)
    await h.press(head, "📝 Perbaiki")
    form = h.last(head)
    assert "indikator 2 dari 4" in form
    assert "✏️ Catatan Kasubag Program: mohon lampirkan daftar BUMDes" in form
    assert form.count("daftar BUMDes") == 1
    assert "Tersimpan: 13 unit" in form and "Penjelasan tersimpan: Kendala anggaran" in form
    # keep the value; the saved explanation stays; only PMD-2 was open, so the summary
    await h.press(head, "✅ Tetap 13")
    assert h.last(head).startswith("⚠️ PMD-2 tetap 13 unit") and "📄 Ringkasan" in h.last(head)
    # change only the explanation: open it, then keep it with "-" or write a new one
    await h.press(head, "Ubah 2")
    await h.press(head, "✍️ Penjelasan PMD-2")
    assert "Kendala anggaran" in h.last(head) and "✅ Tetap" in h.buttons(head)
    await h.say(head, "-")
    assert h.last(head).startswith("✅ Penjelasan PMD-2 tetap")
    await h.press(head, "📤 Kirim")
    answers = await _answers(h)
    assert answers["PMD-2"].realisation == 13 and answers["PMD-2"].done
    assert (answers["PMD-2"].explanation or "").startswith("Kendala anggaran")


async def test_each_answer_is_measured_against_the_quarter_target_or_else_the_year_target(
    harness: Harness,
):
    """The form reads each indicator's target for the round's quarter, and its year's target
    where the quarter has none: in the prompt, the confirmation and the capaian."""
    h = harness
    o = await flows.setup_office(h)
    with h.db.transaction() as s:
        pmd3, pmd4 = (
            s.scalar(select(Indicator).where(Indicator.code == c)) for c in ("PMD-3", "PMD-4")
        )
        s.execute(
            update(IndicatorTarget)
            .where(IndicatorTarget.indicator_id == pmd3.id, IndicatorTarget.period == "2026-Q3")
            .values(target="12")
        )
        s.execute(
            delete(IndicatorTarget).where(
                IndicatorTarget.indicator_id == pmd4.id, IndicatorTarget.period == "2026-Q3"
            )
        )
        s.execute(
            update(IndicatorTarget)
            .where(IndicatorTarget.indicator_id == pmd4.id, IndicatorTarget.period == "2026")
            .values(target="80")
        )
    await flows.start_collection(h, o)
    head = o.heads["pmd"]
    await h.say(head, "/isi")
    await h.say(head, "100")
    await h.say(head, "14")
    assert "Target Triwulan III 2026: 12" in h.last(head)  # the quarter's, not the year's 40
    msg = (await h.say(head, "9 Dua kegiatan batal karena banjir"))[-1]
    assert msg.startswith("⚠️ PMD-3: 9 kegiatan → capaian 75%"), msg
    assert "Target Triwulan III 2026: 80" in msg  # no quarter target: the year's
    msg = (await h.say(head, "80"))[-1]
    assert msg.startswith("✅ PMD-4: 80% → capaian 100% — mencapai target"), msg


async def test_a_head_of_two_sections_chooses_and_a_sent_form_is_not_opened_again(
    harness: Harness,
):
    """/isi with two sections' forms open asks which one (one button each, naming the section
    and the period); pressing one opens that form. Once both are sent, /isi lists them with
    their status instead of opening anything."""
    h = harness
    o = await flows.setup_office(h, group=False)
    head = o.heads["trantib"]
    with h.db.transaction() as s:  # the Kasi Trantib also heads Kesos
        me = s.scalar(select(Person.id).where(Person.nip == head.nip))
        s.execute(update(Section).where(Section.code == "kesos").values(head_id=me))
        names = {code: name for code, name in s.execute(select(Section.code, Section.name))}
    await flows.start_collection(h, o)
    assert await h.say(head, "/isi") == [t("form_choose")]
    choices = h.buttons(head)
    assert sorted(choices) == sorted(
        f"{names[c]} — Triwulan III 2026" for c in ("trantib", "kesos")
    ), choices
    await h.press(head, f"{names['kesos']} — ")
    assert names["kesos"] in h.last(head) and "indikator 1 dari 2" in h.last(head), h.last(head)
    for value in flows.VALUES["kesos"]:
        await flows.answer(h, head, value)
    await h.press(head, "📤 Kirim")
    # the other section's form is the only one open now: /isi opens it at once
    await flows.fill_section(h, head, flows.VALUES["trantib"])
    reply = await h.say(head, "/isi")
    assert reply[0].startswith(t("form_nothing_open", lines="").strip()), reply
    for code in ("trantib", "kesos"):
        assert f"• {names[code]} (Triwulan III 2026): " in reply[0], reply
