"""Benchmark (not a test): 1,000 reminders fall due at once and fan out through the outbox
to the local Bot API server with Telegram's limits on. Prints the total time, messages per
second, and the limit violations the server counted.

The server runs in the bot's own process: while a thousand reminder jobs run in threads,
requests the limiter spaced out can reach it together, and it counts that. Telegram, on
its own machines, sees them as sent; and a 429 it answers is honoured (tests/test_delivery).

    python bench/bench_reminders.py [N]
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from bench.common import START, TOKEN, fresh_database, office_yaml, settings_for  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.office_file import import_office, parse  # noqa: E402
from bot.simulation import Simulation  # noqa: E402
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
        camat = s.scalar(select(Person).where(Person.nip == "100"))
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
    sim = Simulation(settings, clock, db, TOKEN)
    await sim.start()
    try:
        for i in range(n):
            sim.user(f"2{i:05d}")
        clock.advance(hours=1)
        t0 = time.perf_counter()
        assert sim.rt is not None
        sim.rt.scheduler.wakeup()  # the jobs are due now; APScheduler fires them
        while sum(1 for m in sim.fake.all_sent() if m.text and "Hari ini tenggat" in m.text) < n:
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - t0
        stats = sim.fake.stats
        print(f"{n} reminders delivered in {elapsed:.2f} s = {n / elapsed:.1f} messages/s")
        print(
            f"limit violations counted by the server: {stats['limit_violations']} "
            f"{dict(stats['violations'])}"
        )
        print(f"errors answered by the server: {dict(stats['errors'])}")
    finally:
        await sim.stop()
        db.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
