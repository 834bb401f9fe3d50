"""The kabupaten's view: a monitor (pemantau) sees exactly the offices of its scope, in chat
(`/rekap`) and on the web dashboard; an office's people see their own office; nobody else
sees anything. The weekly digest goes once a week, on the first working morning."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import httpx
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.reports.digest import send_weekly_digests
from bot.texts import t
from db.models import CollectionRound, Office, Outbox
from tests.harness import Harness, User
from tests.kabupaten import build_world, dashboard_server, sign_in_link


async def rekap(h: Harness, user: User) -> tuple[list[str], list]:
    before = len(h.fake.messages(user.chat))
    await h.say(user, "/rekap")
    sent = h.fake.messages(user.chat)[before:]
    return [m.text or "" for m in sent], sent


async def test_rekap_shows_each_monitor_exactly_its_offices(harness: Harness):
    h = harness
    w = await build_world(h)
    texts, sent = await rekap(h, w.monitor_all)
    body = "\n".join(texts)
    assert "Kecamatan Astambul — selesai — laporan disetujui" in body
    assert "Kecamatan Martapura — langkah 5" in body
    assert "Seksi Pelayanan Umum" in body  # late in Martapura
    assert "1✅ 2✅ 3✅" in body
    kinds = [m.kind for m in sent]
    assert kinds[:2] == ["photo", "document"], kinds
    assert sent[0].content[:8] == b"\x89PNG\r\n\x1a\n"
    wb = load_workbook(BytesIO(sent[1].content))
    offices = {row[0] for row in wb["Indikator"].iter_rows(min_row=2, values_only=True)}
    assert offices == {"Kecamatan Astambul", "Kecamatan Martapura"}
    summary = {r[0]: r for r in wb["Ringkasan"].iter_rows(min_row=3, values_only=True)}
    assert summary["Kecamatan Martapura"][4] == 1  # one section late

    texts, sent = await rekap(h, w.monitor_a)
    body = "\n".join(texts)
    assert "Kecamatan Astambul" in body and "Martapura" not in body
    wb = load_workbook(BytesIO(sent[1].content))
    offices = {row[0] for row in wb["Indikator"].iter_rows(min_row=2, values_only=True)}
    assert offices == {"Kecamatan Astambul"}


async def test_permission_matrix_in_chat_and_on_the_web(harness: Harness, capsys):
    h = harness
    w = await build_world(h)
    people = {
        "camat A": w.a.camat,
        "kasi B": w.b.heads["pem"],
        "pemantau A+B": w.monitor_all,
        "pemantau A": w.monitor_a,
        "orang asing": w.stranger,
    }
    with h.db.transaction() as s:
        rounds = {
            s.get(Office, r.office_id).code: r.id  # type: ignore[union-attr]
            for r in s.scalars(select(CollectionRound))
        }
    ra, rb = rounds["astambul"], rounds["martapura"]
    targets = {
        "A kantor": "/kantor/astambul",
        "A putaran": f"/putaran/{ra}",
        "A PDF": f"/putaran/{ra}/laporan-v1.pdf",
        "A ZIP": f"/putaran/{ra}/arsip.zip",
        "B kantor": "/kantor/martapura",
        "B putaran": f"/putaran/{rb}",
        "B PDF": f"/putaran/{rb}/laporan-v1.pdf",
    }
    expected = {
        "camat A": {"A kantor", "A putaran", "A PDF", "A ZIP"},
        "kasi B": {"B kantor", "B putaran"},  # no report files: not a kasi's in chat either
        "pemantau A+B": set(targets),
        "pemantau A": {"A kantor", "A putaran", "A PDF", "A ZIP"},
        "orang asing": set(),
    }
    async with dashboard_server(h) as base:
        matrix: dict[str, dict[str, bool]] = {}
        for who, user in people.items():
            texts, _ = await rekap(h, user)
            row = {"/rekap": any("Rekap pengumpulan data kinerja" in x for x in texts)}
            async with httpx.AsyncClient(base_url=base) as web:
                if who != "orang asing":
                    link = await sign_in_link(h, user)
                    r = await web.post(link.removeprefix(base))
                    assert r.status_code == 303, (who, r.text)
                else:
                    replies = await h.say(user, "/dasbor")
                    assert not any("/masuk/" in x for x in replies)
                for name, path in targets.items():
                    r = await web.get(path)
                    row[name] = r.status_code == 200
                    if r.status_code == 200 and name.endswith("PDF"):
                        assert r.content[:5] == b"%PDF-"
                    if r.status_code == 200 and name.endswith("ZIP"):
                        assert r.content[:2] == b"PK"
            matrix[who] = row
    with capsys.disabled():
        cols = ["/rekap", *targets]
        print("\n" + " " * 14 + " | ".join(f"{c:>10}" for c in cols))
        for who, row in matrix.items():
            print(f"{who:>14}" + " | ".join(f"{'ya' if row[c] else '-':>10}" for c in cols))
        allowed = sum(v for row in matrix.values() for v in row.values())
        total = sum(len(row) for row in matrix.values())
        print(f"diizinkan {allowed}, ditolak {total - allowed} dari {total}")
    for who, row in matrix.items():
        want = expected[who] | ({"/rekap"} if who.startswith("pemantau") else set())
        assert {k for k, v in row.items() if v} == want, (who, row)


async def test_dashboard_link_is_single_use_and_expires(harness: Harness):
    h = harness
    w = await build_world(h, rounds=False)
    async with dashboard_server(h) as base, httpx.AsyncClient(base_url=base) as web:
        link = (await sign_in_link(h, w.monitor_all)).removeprefix(base)
        page = await web.get(link)  # opening (or a chat's link preview) does not use it
        assert page.status_code == 200 and t("dash_sign_in_button") in page.text
        assert (await web.post(link)).status_code == 303
        home = await web.get("/")
        assert "Kecamatan Astambul" in home.text and "Kecamatan Martapura" in home.text
        again = await web.post(link)
        assert again.status_code == 410 and "sudah dipakai" in again.text
        late = (await sign_in_link(h, w.monitor_all)).removeprefix(base)
        h.clock.advance(minutes=11)
        expired = await web.get(late)
        assert expired.status_code == 410 and "kedaluwarsa" in expired.text
        assert (await web.post(late)).status_code == 410
        # the session ends after DASHBOARD_SESSION_HOURS
        h.clock.advance(hours=9)
        gone = await web.get("/")
        assert gone.status_code == 401 and "/dasbor" in gone.text


async def test_weekly_digest_once_on_the_first_working_morning(harness: Harness):
    h = harness
    w = await build_world(h, rounds=False)
    assert h.rt is not None
    core = h.rt.core

    def digests() -> int:
        with h.db.transaction() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(Outbox)
                    .where(Outbox.dedupe_key.like("digest:%"))
                )
                or 0
            )

    def at(*when: int) -> int:
        h.clock.set(datetime(*when, tzinfo=UTC))  # type: ignore[misc]
        return send_weekly_digests(core, h.clock.now())

    # Monday 30 November 2026: 07.30 WITA is before office hours, 08.05 is the morning
    assert at(2026, 11, 29, 23, 30) == 0
    assert at(2026, 11, 30, 0, 5) == 2
    assert at(2026, 11, 30, 0, 20) == 0
    assert at(2026, 12, 1, 1, 0) == 0  # Tuesday
    assert digests() == 2
    await h.settle()
    photo = [m for m in h.fake.messages(w.monitor_all.chat) if m.kind == "photo"]
    assert photo and "Rekap" in (photo[-1].text or "")
    assert any("Rekap mingguan" in x for x in h.texts(w.monitor_all))
    # opting out: the next Monday only the other monitor receives it
    h.clock.set(datetime(2026, 12, 4, 1, 0, tzinfo=UTC))
    await h.say(w.monitor_a, "/rekap berhenti")
    assert h.last(w.monitor_a) == t("rekap_digest_stopped")
    assert at(2026, 12, 7, 0, 5) == 1
    await h.say(w.monitor_a, "/rekap mulai")
    assert at(2026, 12, 7, 0, 10) == 1
    assert at(2026, 12, 7, 0, 15) == 0
    # nothing on a day off
    assert at(2026, 12, 12, 1, 0) == 0  # Saturday


async def test_office_people_and_strangers_cannot_use_rekap(harness: Harness):
    h = harness
    w = await build_world(h, rounds=False)
    replies = await h.say(w.a.camat, "/rekap")
    assert replies == [t("not_allowed", roles="Pemantau Kabupaten")]
    assert await h.say(w.b.heads["pem"], "/rekap") == [t("not_allowed", roles="Pemantau Kabupaten")]
    assert await h.say(w.stranger, "/rekap") == [t("stranger_generic")]
