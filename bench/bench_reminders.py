"""Benchmark (not a test): 1,000 reminders fall due at once and fan out through the outbox
to the local Bot API server with Telegram's limits on. Prints the total time, messages per
second, and the limit violations the server counted.

The server runs in a process of its own (`python -m bot.localapi.serve`), as Telegram does: it
counts what arrives at it. (In the bot's own process it would share the event loop, and
requests sent apart would reach it together while a thousand reminder jobs run.)

    python bench/bench_reminders.py [N]
"""

from __future__ import annotations

import asyncio
import sys
import time
from asyncio.subprocess import PIPE
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.common import START, TOKEN, fresh_database, nip, office_yaml, settings_for  # noqa: E402
from bot.app import Runtime  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.office_file import import_office, parse  # noqa: E402
from bot.sop import RoundState  # noqa: E402
from db.engine import Database  # noqa: E402
from db.models import CollectionRound, Indicator, Person, Reminder, Section, Submission  # noqa: E402


async def main(n: int) -> None:
    url = fresh_database("sqlite")
    settings = settings_for(url, chat_rate=1.0, limits=True)
    db = Database(url)
    clock = FakeClock(START)
    with db.transaction() as s:
        office_id = import_office(s, parse(office_yaml(n, indicators=1)), clock.now()).office_id
        camat = s.scalar(select(Person).where(Person.nip == nip("100")))
        rnd = CollectionRound(
            office_id=office_id,
            period="2026-Q3",
            period_label="Triwulan III 2026",
            state=RoundState.COLLECTING,
            open_key=1,
            requested_by_id=camat.id,
            indicator_ids=list(s.scalars(select(Indicator.id))),
            team_ids=[],
            created_at=clock.now(),
        )
        s.add(rnd)
        s.flush()
        due = clock.now() + timedelta(hours=1)
        for section in s.scalars(select(Section)):
            sub = Submission(
                round_id=rnd.id,
                section_id=section.id,
                status="not_started",
                deadline=clock.now() + timedelta(days=1),
            )
            s.add(sub)
            s.flush()
            s.add(
                Reminder(
                    office_id=office_id,
                    round_id=rnd.id,
                    key=f"remind:{rnd.id}:{section.id}:due",
                    kind="section_due",
                    due_at=due,
                    payload={"sub": sub.id},
                    created_at=clock.now(),
                )
            )
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.localapi.serve", "--token", TOKEN, stdout=PIPE, cwd=ROOT
    )
    assert server.stdout is not None
    root = f"http://127.0.0.1:{int(await server.stdout.readline())}"
    users = []
    with db.transaction() as s:
        for i in range(n):
            p = s.scalar(select(Person).where(Person.nip == nip(f"2{i:05d}")))
            p.telegram_user_id = 100_000 + p.id
            users.append([p.telegram_user_id, p.name])
    async with httpx.AsyncClient(base_url=root) as control:
        await control.post("/_control/users", json=users)
        rt = Runtime(settings.model_copy(update={"telegram_api_url": root}), clock)
        app = rt.application
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await rt.on_start(app)
        try:
            clock.advance(hours=1)
            t0 = time.perf_counter()
            rt.scheduler.wakeup()  # the jobs are due now; APScheduler fires them
            while True:
                stats = (await control.get("/_control/stats")).json()
                if stats["ok"].get("sendMessage", 0) >= n:
                    break
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - t0
            print(f"{n} reminders delivered in {elapsed:.2f} s = {n / elapsed:.1f} messages/s")
            print(
                f"limit violations counted by the server: {stats['limit_violations']} "
                f"{stats['violations']}"
            )
            print(f"errors answered by the server: {stats['errors']}")
        finally:
            await app.updater.stop()
            await rt.on_stop(app)
            await app.stop()
            await app.shutdown()
            rt.db.dispose()
            db.dispose()
            server.terminate()
            await server.wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
