"""Benchmark (not a test): N section heads answer their forms concurrently through the
local Bot API server. Prints updates handled per second and p50/p95/p99 time from a person's
message to the bot's reply, on SQLite and PostgreSQL, and the same for a bare
python-telegram-bot echo bot on the same server (the floor), with the ratio.

    python bench/bench_forms.py            # 50 and 200 heads
    python bench/bench_forms.py 20         # quick

The first sakip-bot lines measure the bot itself (the flood limiter off, as the echo bot);
the "+ Telegram limits" lines keep Telegram's 30 messages/s, which then bounds throughput.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update  # noqa: E402
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402

from bench.common import START, TOKEN, fresh_database, nip, office_yaml, percentile, settings_for  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.localapi import FakeTelegram  # noqa: E402
from bot.office_file import import_office, parse  # noqa: E402
from bot.simulation import Simulation, User  # noqa: E402
from db.engine import Database  # noqa: E402


async def timed(
    fake: FakeTelegram,
    user: User,
    action,
    latencies: list[float],  # type: ignore[no-untyped-def]
    expect: int = 1,
) -> None:
    """Do one action; record the time to the bot's first reply; wait for all `expect`."""
    before = len(fake.messages(user.chat))
    t0 = time.perf_counter()
    action()
    await fake.wait_for(user.chat, count=before + 1, timeout=120)
    latencies.append(time.perf_counter() - t0)
    if expect > 1:
        await fake.wait_for(user.chat, count=before + expect, timeout=120)


async def head_session(sim: Simulation, user: User, latencies: list[float]) -> int:
    fake = sim.fake
    n = 0

    def say(text: str):  # type: ignore[no-untyped-def]
        return lambda: fake.send_text(user.id, text)

    def press(label: str):  # type: ignore[no-untyped-def]
        def go() -> None:
            mid, data = sim.find_button(user.chat, label)
            fake.press_button(user.id, user.chat, mid, data)

        return go

    await timed(fake, user, say("/isi"), latencies)
    n += 1
    for value in ("92,5", "95", "88"):
        await timed(fake, user, say(value), latencies)  # saved + next question, one message
        n += 1
        if "(wajib)" in (fake.last(user.chat).text or ""):
            await timed(fake, user, say("Kendala cuaca pada triwulan ini."), latencies)
            n += 1
    await timed(fake, user, press("📤 Kirim"), latencies)
    return n + 1


async def run_bot(kind: str, n: int, limits: bool) -> dict[str, float]:
    url = fresh_database(kind)
    settings = settings_for(url, limits=limits)
    db = Database(url)
    clock = FakeClock(START)
    with db.transaction() as s:
        import_office(s, parse(office_yaml(n)), clock.now())
    sim = Simulation(settings, clock, db, TOKEN)
    await sim.start()
    try:
        camat, sek, kasubag = (sim.user(nip(n)) for n in ("100", "101", "102"))
        heads = [sim.user(nip(f"2{i:05d}")) for i in range(n)]
        await sim.say(camat, "/minta")
        await sim.press(camat, "Triwulan III 2026")
        await sim.press(camat, "Lanjut")
        await sim.press(camat, "3 hari kerja")
        await sim.press(camat, "✅ Kirim")
        await sim.press(sek, "💾 Simpan tim")
        await sim.press(kasubag, "✅ Setujui jadwal")
        latencies: list[float] = []
        t0 = time.perf_counter()
        counts = await asyncio.gather(*(head_session(sim, u, latencies) for u in heads))
        elapsed = time.perf_counter() - t0
    finally:
        await sim.stop()
        db.dispose()
    return {
        "updates": sum(counts),
        "seconds": elapsed,
        "rate": sum(counts) / elapsed,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
    }


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "-")


async def run_echo(n: int, per_user: int = 11) -> dict[str, float]:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{fake.root}/bot")
        .base_file_url(f"{fake.root}/file/bot")
        .get_updates_connection_pool_size(2)  # the final getUpdates on stop needs its own
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    users = [User(300_000 + i, f"u{i}") for i in range(n)]
    for u in users:
        fake.add_user(u.id, u.name)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    latencies: list[float] = []

    async def session(u: User) -> None:
        for i in range(per_user):
            await timed(fake, u, lambda i=i: fake.send_text(u.id, f"pesan {i}"), latencies)

    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(session(u) for u in users))
        elapsed = time.perf_counter() - t0
    finally:
        stopping = asyncio.ensure_future(app.updater.stop())
        await asyncio.sleep(0)
        fake.release_pollers()
        await stopping
        await app.stop()
        await app.shutdown()
        await fake.stop()
    total = n * per_user
    return {
        "updates": total,
        "seconds": elapsed,
        "rate": total / elapsed,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
    }


def show(label: str, r: dict[str, float], floor: dict[str, float] | None = None) -> None:
    ratio = f"  ×{floor['rate'] / r['rate']:.1f} slower than echo" if floor else ""
    print(
        f"  {label:<22} {r['updates']:>6.0f} updates in {r['seconds']:6.2f} s = {r['rate']:7.1f}/s"
        f"   p50 {r['p50'] * 1000:7.1f} ms  p95 {r['p95'] * 1000:7.1f} ms"
        f"  p99 {r['p99'] * 1000:7.1f} ms{ratio}"
    )


async def main(sizes: list[int]) -> None:
    for n in sizes:
        print(f"\n{n} section heads answering concurrently (3 indicators each):")
        floor = await run_echo(n)
        show("echo bot (floor)", floor)
        for kind in ("sqlite", "postgresql"):
            show(f"sakip-bot {kind}", await run_bot(kind, n, limits=False), floor)
        for kind in ("sqlite", "postgresql"):
            show(f"  + Telegram limits {kind[:6]}", await run_bot(kind, n, limits=True), floor)


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [50, 200]))
