"""`sakip-bot demo`: a whole collection round, every person played by a script, through the
same code the real bot runs (python-telegram-bot Application, handlers, outbox, scheduler)
against the local Bot API server, on SQLite in the output folder. No token, no network.

Simulated time jumps forward between scenes (three working days pass in seconds); the
transcript shows who said what, what the bot answered and which buttons were pressed.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import FakeClock
from bot.fmt import format_datetime_id
from bot.settings import load_settings
from bot.tools.demo_miniapp import fill_in_page, web_app
from bot.tools.simulation import GROUP_ID, Simulation, User, tick
from db.engine import Database
from db.migrate import upgrade
from db.models import CollectionRound, Person, ReportVersion, StoredFile

TZ = "Asia/Makassar"
EXAMPLE = Path(__file__).parents[1] / "sample" / "astambul.yaml"
SECOND = Path(__file__).parents[1] / "sample" / "martapura.yaml"
KABUPATEN = Path(__file__).parents[1] / "sample" / "banjar-kabupaten.yaml"
MONITOR = "197404042000031001"  # Kepala Bagian Organisasi, follows every kecamatan
TOKEN = "123456:DEMO"
PDF = b"%PDF-1.4\n% Daftar hadir pembinaan administrasi desa (contoh)\n" + b"0" * 1500
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"1" * 2500


def wita(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(TZ)).astimezone(UTC)


class Transcript:
    """Prints the conversation as it happens, with simulated time."""

    def __init__(self, sim: Simulation, out=sys.stdout) -> None:  # type: ignore[no-untyped-def]
        self.sim = sim
        self.out = out
        self.seen = 0
        self.names: dict[int, str] = {GROUP_ID: "grup Tim SAKIP"}

    def who(self, user: User, role: str) -> None:
        name = user.name.split(",")[0].removesuffix(" (contoh)")  # one bracket, the role's
        self.names[user.id] = f"{name} ({role})"

    def _time(self) -> str:
        return format_datetime_id(self.sim.clock.now(), TZ)

    def scene(self, title: str) -> None:
        print(f"\n=== {title} — {self._time()}", file=self.out)

    def said(self, user: User, text: str, chat: int | None = None) -> None:
        where = " di grup" if chat == GROUP_ID else ""
        print(f"  👤 {self.names.get(user.id, user.name)}{where}: {text}", file=self.out)

    def pressed(self, user: User, label: str) -> None:
        print(f"  👤 {self.names.get(user.id, user.name)} menekan [{label}]", file=self.out)

    def edited(self, user: User, text: str) -> None:
        body = text.strip().replace("\n", "\n       ")
        print(f"  🤖 → {self.names.get(user.id, user.name)} (diubah): {body}", file=self.out)

    def flush(self) -> None:
        sent = self.sim.fake.all_sent()
        for msg in sent[self.seen :]:
            to = self.names.get(msg.chat_id, str(msg.chat_id))
            body = (msg.text or "").strip()
            if msg.kind != "text":
                # a photo has no name on a phone (the local server names it by its hash)
                name = f": {msg.file_name}" if msg.file_name and msg.kind != "photo" else ""
                body = f"[{msg.kind}{name}] {body}".strip()
            if len(body) > 600:
                body = body[:600] + " …"
            body = body.replace("\n", "\n       ")
            buttons = f"\n       tombol: {' | '.join(msg.buttons)}" if msg.buttons else ""
            edited = " (diubah)" if msg.edits else ""
            print(f"  🤖 → {to}{edited}: {body}{buttons}", file=self.out)
        self.seen = len(sent)


class Script:
    """The people of the office, acting through the simulation and printed as they go."""

    def __init__(self, sim: Simulation, tr: Transcript) -> None:
        self.sim, self.tr = sim, tr

    async def say(self, user: User, text: str, chat: int | None = None) -> None:
        self.tr.said(user, text, chat)
        await self.sim.say(user, text, chat=chat)
        self.tr.flush()

    async def press(self, user: User, label: str) -> None:
        message_id, _ = self.sim.find_button(user.chat, label)
        full = next(
            b
            for m in reversed(self.sim.fake.messages(user.chat))
            for b in m.buttons
            if b.startswith(label)
        )
        self.tr.pressed(user, full)
        pressed = next(m for m in self.sim.fake.messages(user.chat) if m.message_id == message_id)
        before = pressed.text
        await self.sim.press(user, label)
        self.tr.flush()
        if pressed.text != before:  # the message was rewritten in place: show what it says now
            self.tr.edited(user, pressed.text or "")

    async def send_file(
        self, user: User, content: bytes, name: str, mime: str, caption: str | None = None
    ) -> None:
        what = f"foto dengan keterangan \u201c{caption}\u201d" if caption else f"file {name}"
        print(f"  👤 {self.tr.names.get(user.id)} mengirim {what}", file=self.tr.out)
        if caption and mime == "image/jpeg":
            self.sim.fake.send_photo(user.id, content, caption=caption)
            await self.sim.settle()
        else:
            await self.sim.send_file(user, content, name, mime, photo=mime == "image/jpeg")
        self.tr.flush()

    async def answer(
        self,
        user: User,
        value: str,
        explanation: str | None = None,
        files: list[tuple[bytes, str, str, str]] | None = None,
    ) -> None:
        for content, name, mime, code in files or []:  # evidence while a question is open
            caption = "Rapat pembinaan di aula kecamatan" if mime == "image/jpeg" else None
            if caption and code:
                caption = f"{code} {caption}"  # the caption names the indicator
            await self.send_file(user, content, name, mime, caption)
            if code and not caption:  # filed under the open question: moved with one tap
                await self.press(user, f"Pindahkan ke {code}")
        await self.say(user, value)
        if "(wajib)" in self.sim.last(user):
            await self.say(user, explanation or "Kendala: kegiatan tertunda karena cuaca.")
        elif explanation:
            await self.press(user, "✍️ Penjelasan")
            await self.say(user, explanation)

    async def fill(self, user: User, values: list[str], files=None) -> None:  # type: ignore[no-untyped-def]
        await self.say(user, "/isi")
        for i, value in enumerate(values):
            await self.answer(user, value, files=files if i == 0 else None)
        await self.press(user, "📤 Kirim")

    async def later(self, when: datetime, title: str) -> None:
        self.sim.clock.set(when)  # type: ignore[attr-defined]
        self.tr.scene(title)
        await tick(self.sim)
        self.tr.flush()


async def run(output: Path) -> dict[str, Path]:
    data = output / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    db_url = f"sqlite:///{(data / 'sakip.db').resolve()}"
    upgrade(db_url)
    clock = FakeClock(wita(23, 7, 55))
    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=db_url,
        data_dir=data,
        admin_telegram_ids="9000",
        # the local server is not Telegram: no need to pace per chat
        telegram_chat_rate=0,
    )
    db = Database(db_url)
    from bot.features.people import create_invitation
    from bot.office.kabupaten import import_file as import_kabupaten
    from bot.office.load import import_file

    with db.transaction() as s:
        import_file(s, EXAMPLE, clock.now())
        import_file(s, SECOND, clock.now())  # a second kecamatan of the kabupaten
        import_kabupaten(s, KABUPATEN, clock.now())
    sim = Simulation(settings, clock, db, TOKEN)
    await sim.start()
    tr = Transcript(sim)
    sc = Script(sim, tr)
    try:
        people: dict[str, User] = {}
        roles = {}
        with db.transaction() as s:
            for p in s.scalars(select(Person).order_by(Person.id)):
                roles[p.nip] = p.position
        keys = {
            "camat": "197001011990011001",
            "sek": "197502022000032002",
            "kasubag": "198003032005011003",
            "tim1": "198504042010012004",
            "tim2": "199005052015031005",
            "tim3": "199106062019022006",
            "pem": "197807072003121007",
            "trantib": "197908082006041008",
            "pmd": "198109092008012009",
            "kesos": "198210102009022010",
            "pu": "198311112010011011",
            "operator": "199212122020121012",  # the office's admin: registers the group
        }
        tr.scene("Persiapan: pegawai membuka tautan undangan, admin mendaftarkan grup")
        for key, nip in keys.items():
            user = sim.user(nip, link=False)
            tr.who(user, roles[nip])
            people[key] = user
            with db.transaction() as s:
                person = s.scalar(select(Person).where(Person.nip == nip))
                token = create_invitation(s, person, clock.now(), 7).token  # type: ignore[arg-type]
            if key in ("camat", "sek", "kasubag", "pem"):
                await sc.say(user, f"/start {token}")
            else:
                await sim.say(user, f"/start {token}")
        tr.flush()
        sim.group(list(people.values()))
        await sc.say(people["operator"], "/daftargrup", chat=GROUP_ID)
        camat, sek, kasubag = people["camat"], people["sek"], people["kasubag"]
        heads = {k: people[k] for k in ("pem", "trantib", "pmd", "kesos", "pu")}

        await sc.later(wita(23, 8), "Langkah 1 — Camat memerintahkan pengumpulan data")
        await sc.say(camat, "/minta")
        await sc.press(camat, "Triwulan III 2026")
        await sc.press(camat, "Lanjut")
        await sc.press(camat, "3 hari kerja")
        await sc.press(camat, "✅ Kirim")

        await sc.later(wita(23, 8, 20), "Langkah 2 — Sekretaris membentuk tim")
        await sc.press(sek, "💾 Simpan tim")
        await sc.later(wita(23, 9), "Langkah 3 — Kasubag Program menyetujui jadwal")
        await sc.press(kasubag, "✅ Setujui jadwal")

        await sc.later(wita(23, 10), "Langkah 4 — seksi mengisi data; Kasubag memeriksa")
        await sc.fill(
            heads["pem"],
            ["92,5", "6", "85"],
            files=[
                (PDF, "daftar_hadir_pembinaan.pdf", "application/pdf", "PEM-2"),
                (PHOTO, "foto_kegiatan.jpg", "image/jpeg", "PEM-2"),
            ],
        )
        await sc.press(kasubag, "✅ Terima")
        await sc.fill(heads["trantib"], ["2", "80"])
        await sc.press(kasubag, "↩️ Kembalikan")
        await sc.press(kasubag, "⬜ TRA-1")
        await sc.press(kasubag, "Lanjut")
        await sc.say(kasubag, "Jumlah gangguan belum sesuai rekap Polsek, mohon dicek.")
        await sc.press(heads["trantib"], "📝 Perbaiki")  # opens TRA-1 with its saved answer
        await sc.answer(heads["trantib"], "3")
        await sc.press(heads["trantib"], "📤 Kirim")
        await sc.press(kasubag, "✅ Terima")
        async with web_app(sim):  # Kasi Kesos fills the section in the Mini App
            await sc.say(heads["kesos"], "/isi")
            values = [("97", ""), ("70", "Dua puskesmas pembantu tutup untuk renovasi.")]
            await fill_in_page(sim, heads["kesos"], tr.names[heads["kesos"].id], values, tr.out)
            tr.flush()
        await sc.press(kasubag, "✅ Terima")

        await sc.later(wita(25, 8), "Pengingat H-1 (Rabu pagi)")
        await sc.fill(heads["pu"], ["84,2", "612", "2,5"])
        await sc.press(kasubag, "✅ Terima")
        await sc.later(wita(26, 8), "Pengingat hari tenggat (Kamis pagi)")
        await sc.later(wita(27, 8), "Seksi PMD terlambat; eskalasi ke Kasubag Program (Jumat pagi)")
        await sc.later(wita(30, 8), "Eskalasi ke Sekretaris (Senin pagi, terlambat 2 hari kerja)")
        await sc.fill(heads["pmd"], ["100", "13", "9", "96"])
        await sc.press(kasubag, "✅ Terima")

        await sc.later(wita(30, 10), "Langkah 5 — Kasubag menyampaikan konsep ke Sekretaris")
        await sc.press(kasubag, "📤 Ajukan ke Sekretaris")
        await sc.press(sek, "Rapat pukul")  # step 6: the first slot offered
        await sc.later(wita(30, 10, 16), "Pengingat rapat intern (15 menit sebelumnya)")
        await sc.later(wita(30, 10, 55), "Langkah 6 — rapat intern selesai; notulen dan hasilnya")
        await sc.say(kasubag, "/notulen")
        await sc.say(kasubag, "Rapat 30/11: PEM-2 dikoreksi menjadi 7 kegiatan, bukti dilengkapi.")
        await sc.press(sek, "✏️ Ada koreksi")
        await sc.press(sek, "📁 Seksi Pemerintahan")
        await sc.press(sek, "PEM-2")
        await sc.say(sek, "pembinaan di Desa Kaliukan belum terhitung; perbaiki jumlahnya")
        await sc.press(sek, "✅ Selesai")
        await sc.press(heads["pem"], "📝 Perbaiki")
        await sc.answer(
            heads["pem"],
            "7",
            files=[(PDF + b"v2", "daftar_hadir_lengkap.pdf", "application/pdf", "")],
        )
        await sc.press(heads["pem"], "📤 Kirim")
        await sc.press(kasubag, "✅ Terima")
        await sc.press(kasubag, "📤 Ajukan ke Sekretaris")
        await sc.later(wita(30, 15), "Langkah 7 — Sekretaris menyetujui (paraf)")
        await sc.press(sek, "✅ Setujui")
        await sc.say(kasubag, "/status")
        await sc.say(camat, "/arsip")
        await sc.press(camat, "⬇️ ZIP")
        await kabupaten(sim, sc, tr, db, clock)
        collected = _collect(db, sim, data, output)
        collected.update(await lkjip(sim, sc, kasubag, output))
        return collected
    finally:
        await sim.stop()
        db.dispose()


async def kabupaten(sim: Simulation, sc: Script, tr: Transcript, db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    """The kabupaten's monitor: /rekap in chat, then the web dashboard by a one-time link."""
    import re

    import httpx
    import uvicorn
    from starlette.applications import Starlette

    from bot.features.people import create_invitation
    from handlers.dashboard import dashboard_routes

    assert sim.rt is not None
    settings = sim.rt.core.settings
    app = Starlette(routes=dashboard_routes(db, settings, clock, sim.rt.core.files))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    settings.dashboard_url = f"http://127.0.0.1:{port}/dasbor"
    try:
        await sc.later(wita(30, 15, 30), "Kabupaten — Bagian Organisasi memantau semua kecamatan")
        user = sim.user(MONITOR, link=False)
        tr.who(user, "Pemantau Kabupaten")
        with db.transaction() as s:
            person = s.scalar(select(Person).where(Person.nip == MONITOR))
            token = create_invitation(s, person, clock.now(), 7).token  # type: ignore[arg-type]
        await sc.say(user, f"/start {token}")
        await sc.say(user, "/rekap")
        await sc.say(user, "/dasbor")
        found = re.search(r"https?://\S+/masuk/\S+", sim.last(user))
        assert found, sim.last(user)
        async with httpx.AsyncClient() as web:
            await web.post(found.group(0))
            page = await web.get(settings.dashboard_url + "/")
        offices = re.findall(r'<a href="/dasbor/kantor/[^"]+">([^<]+)</a>', page.text)
        print(
            f"  🌐 dasbor dibuka: {page.status_code}; kecamatan: {', '.join(offices)}", file=tr.out
        )
        async with httpx.AsyncClient() as web:
            again = await web.post(found.group(0))
        print(f"  🌐 tautan yang sama dipakai lagi: ditolak ({again.status_code})", file=tr.out)
    finally:
        server.should_exit = True
        await task


async def lkjip(sim: Simulation, sc: Script, kasubag: User, output: Path) -> dict[str, Path]:
    """The year's LKjIP chapter III from the year's approved rounds: the Kasubag asks for it
    in chat; the DOCX, the XLSX and the sasaran charts are copied to the output folder."""
    await sc.later(sim.clock.now(), "LKjIP — Kasubag menyusun Bab III LKjIP 2026")  # type: ignore[attr-defined]
    await sc.say(kasubag, "/lkjip 2026")
    out: dict[str, Path] = {}
    sent = [m for m in sim.fake.all_sent() if m.chat_id == kasubag.chat and m.content]
    for m in sent:
        name = m.file_name or ""
        if name.startswith(("lkjip_bab3_", "grafik_sasaran_")):
            target = output / name
            target.write_bytes(m.content or b"")
            out[name] = target
    return out


def _collect(db: Database, sim: Simulation, data: Path, output: Path) -> dict[str, Path]:
    """Copy the approved report, the charts and the archive ZIP to the output folder."""
    out: dict[str, Path] = {}
    with db.transaction() as s:
        rnd = s.scalar(select(CollectionRound))
        version = s.scalar(select(ReportVersion).where(ReportVersion.status == "approved"))
        assert rnd is not None and version is not None, "the round did not finish"
        files = version.files
        wanted = {
            "laporan.pdf": files["final_pdf"],
            "laporan.xlsx": files["final_xlsx"],
            "grafik_ringkasan.png": files["final_chart"],
        }
        wanted.update({f"grafik_{k}.png": v for k, v in files["final_charts"].items()})
        for name, fid in wanted.items():
            stored = s.get(StoredFile, fid)
            assert stored is not None
            target = output / name
            shutil.copy(data / stored.path, target)
            out[name] = target
    zips = [
        m
        for m in sim.fake.all_sent()
        if m.kind == "document" and (m.file_name or "").endswith(".zip")
    ]
    if zips and zips[-1].content:
        target = output / (zips[-1].file_name or "arsip.zip")
        target.write_bytes(zips[-1].content)
        out["arsip"] = target
    return out


def main(output: Path) -> None:
    """Run the demo, print the transcript and the produced files."""
    output.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    files = asyncio.run(run(output))
    print("\n=== Hasil", file=sys.stdout)
    for name, path in files.items():
        print(f"  {name}: {path.resolve()}")
    print(f"\nDemo selesai dalam {time.monotonic() - started:.1f} detik.")
