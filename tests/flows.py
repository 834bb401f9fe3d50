"""Steps of the procedure as reusable test moves, played through the local Bot API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from db.models import Meeting
from tests.harness import GROUP_ID, Harness, User

NIP = {
    "camat": "197001011990011001",
    "sekretaris": "197502022000032002",
    "kasubag": "198003032005011003",
    "tim1": "198504042010012004",
    "tim2": "199005052015031005",
    "tim3": "199106062019022006",
    "pem": "197807072003121007",
    "trantib": "197908082006041008",
    "pmd": "198109092008012009",
    "kesos": "198210102009022010",
    "pu": "198311112010011011",
}
SECTIONS = ("pem", "trantib", "pmd", "kesos", "pu")


@dataclass
class Office:
    camat: User
    sek: User
    kasubag: User
    tim: list[User]
    heads: dict[str, User]


async def setup_office(h: Harness, group: bool = True) -> Office:
    """Everyone linked; the admin registers the Tim SAKIP group."""
    o = Office(
        camat=h.user(NIP["camat"]),
        sek=h.user(NIP["sekretaris"]),
        kasubag=h.user(NIP["kasubag"]),
        tim=[h.user(NIP[k]) for k in ("tim1", "tim2", "tim3")],
        heads={k: h.user(NIP[k]) for k in SECTIONS},
    )
    if group:
        h.group([o.camat, o.sek, o.kasubag, *o.tim, *o.heads.values()])
        await h.say(h.admin, "/daftargrup", chat=GROUP_ID)
    return o


async def request_round(h: Harness, o: Office, period: str = "Triwulan III 2026") -> None:
    """Step 1: the Camat asks for the data (default sections, 3 working days)."""
    await h.say(o.camat, "/minta")
    if any(b.startswith(period) for b in h.buttons(o.camat)):
        await h.press(o.camat, period)
    else:
        await h.say(o.camat, period)  # typed, e.g. an older quarter
    await h.press(o.camat, "Lanjut")
    await h.press(o.camat, "3 hari kerja")
    await h.press(o.camat, "✅ Kirim")


async def form_team(h: Harness, o: Office) -> None:
    await h.press(o.sek, "💾 Simpan tim")


async def confirm_plan(h: Harness, o: Office) -> None:
    await h.press(o.kasubag, "✅ Setujui jadwal")


async def start_collection(h: Harness, o: Office) -> None:
    await request_round(h, o)
    await form_team(h, o)
    await confirm_plan(h, o)


async def answer(
    h: Harness,
    head: User,
    value: str,
    explanation: str | None = None,
    files: list[tuple[bytes, str, str]] | None = None,
) -> None:
    """Answer the open indicator: its evidence (sent while its question is open), the value,
    then the explanation when one is asked for (below target) or given."""
    for content, name, mime in files or []:
        await h.send_file(head, content, name, mime, photo=mime == "image/jpeg")
    replies = await h.say(head, value)
    assert any(r.startswith(("✅", "⚠️", "➖")) for r in replies), replies  # saved
    if "(wajib)" in h.last(head):
        await h.say(head, explanation or "Kendala anggaran dan cuaca pada triwulan ini.")
    elif explanation:
        await h.press(head, "✍️ Penjelasan")
        await h.say(head, explanation)


async def fill_section(
    h: Harness,
    head: User,
    values: list[str],
    submit: bool = True,
    files: list[tuple[bytes, str, str]] | None = None,
) -> None:
    await h.say(head, "/isi")
    for i, value in enumerate(values):
        await answer(h, head, value, files=files if i == 0 else None)
    assert "Ringkasan" in h.last(head), h.last(head)
    if submit:
        await h.press(head, "📤 Kirim")


async def accept(h: Harness, o: Office) -> None:
    await h.press(o.kasubag, "✅ Terima")


# Realistic answers per section (PEM-1..3, TRA-1..2, PMD-1..4, KES-1..2, PU-1..3)
VALUES = {
    "pem": ["92,5", "6", "85"],
    "trantib": ["2", "80"],
    "pmd": ["100", "13", "9", "96"],
    "kesos": ["97", "70"],
    "pu": ["84,2", "612", "2,5"],
}


async def fill_all(h: Harness, o: Office, values: dict[str, list[str]] | None = None) -> None:
    """Step 4 for every section: each head answers and the Kasubag accepts."""
    for key in SECTIONS:
        await fill_section(h, o.heads[key], (values or VALUES)[key])
        await accept(h, o)


async def hold_meeting(h: Harness, o: Office, minutes: str | None = None) -> None:
    """Step 6: the Sekretaris sets the internal meeting at the first slot offered; when it
    has started, the minutes (if given) and the outcome are recorded. The outcome is left to
    the caller: [Tanpa koreksi], or [Ada koreksi] and the corrections."""
    await h.press(o.sek, "Rapat pukul")
    with h.db.transaction() as s:
        at = s.scalar(select(Meeting.meeting_at).order_by(Meeting.id.desc()).limit(1))
    assert at is not None
    if h.clock.now() < at:
        h.clock.set(at + timedelta(minutes=5))
    if minutes:
        await h.say(o.kasubag, "/notulen")
        await h.say(o.kasubag, minutes)


async def meeting_corrections(h: Harness, o: Office, notes: list[tuple[str, str, str]]) -> None:
    """Step 6's outcome with corrections, chosen with buttons: (section name, indicator
    code or "" for the whole section, note) each; then [Selesai] reopens them."""
    await h.press(o.sek, "✏️ Ada koreksi")
    for section, code, note in notes:
        await h.press(o.sek, f"📁 {section}")
        await h.press(o.sek, code or f"Seluruh {section}")
        await h.say(o.sek, note)
    await h.press(o.sek, "✅ Selesai")


async def approve_at_first_reading(h: Harness, o: Office) -> None:
    """Steps 5–7 without corrections: sent, the meeting finds none, paraf."""
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    await hold_meeting(h, o, "Rapat intern membahas konsep laporan; tidak ada koreksi.")
    await h.press(o.sek, "✅ Tanpa koreksi")
    await h.press(o.sek, "✅ Setujui")


async def complete_round(
    h: Harness,
    o: Office,
    period: str = "Triwulan III 2026",
    values: dict[str, list[str]] | None = None,
) -> None:
    """A whole round without revision: every section answers and is accepted, approved."""
    await request_round(h, o, period)
    await form_team(h, o)
    await confirm_plan(h, o)
    await fill_all(h, o, values)
    await approve_at_first_reading(h, o)
