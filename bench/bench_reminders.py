"""Benchmark (not a test): 1,000 reminders fall due at once and fan out through the outbox
to the local Bot API server with Telegram's limits on. Prints the total time, messages per
second against the bot's own pacing (25/s: 5 per 0.2 s), the limit violations the server
counted, and the bot's event-loop stalls: a task samples the loop's lag every 10 ms during
the fan-out (the largest lag, and how many samples lagged over 100 ms).

The server runs in a process of its own (`python -m bot.localapi.serve`), as Telegram does: it
counts what arrives at it. (In the bot's own process it would share the event loop, and
requests sent apart would reach it together while a thousand reminder jobs run.)

    python bench/bench_reminders.py [N] [REPS]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from asyncio.subprocess import PIPE
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.bot_process import Counters  # noqa: E402
from bench.common import (  # noqa: E402
    START,
    TOKEN,
    compile_project,
    fresh_database,
    nip,
    office_yaml,
    settings_for,
)
from bot.app import Runtime  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.office.load import import_office, parse  # noqa: E402
from bot.procedure.sop import RoundState  # noqa: E402
from db.engine import Database  # noqa: E402
from db.models import CollectionRound, Indicator, Person, Reminder, Section, Submission  # noqa: E402

PACE = 25.0  # the bot's own overall pace (handlers/telegram.py: 5 per 0.2 s)


async def main(n: int) -> dict[str, float]:
    compile_project()
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
        rt.telegram.poll_timeout = 1
        await rt.start()
        rt.freeze_startup_objects()  # as `sakip-bot run` does
        lag = Counters()
        sampler = asyncio.create_task(lag.sample_lag())
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
            rate = n / elapsed
            print(
                f"{n} reminders delivered in {elapsed:.2f} s = {rate:.1f} messages/s "
                f"({rate / PACE:.0%} of the bot's own {PACE:.0f}/s)"
            )
            print(
                f"limit violations counted by the server: {stats['limit_violations']} "
                f"{stats['violations']}; errors answered: {stats['errors']}"
            )
            print(
                f"event loop: largest lag {lag.lag_max * 1000:.0f} ms, "
                f"{lag.lag_over_100ms} of {lag.lag_samples} samples over 100 ms"
            )
            return {
                "rate": rate,
                "violations": stats["limit_violations"],
                "lag_max": lag.lag_max,
                "stalls": lag.lag_over_100ms,
            }
        finally:
            sampler.cancel()
            stopping = asyncio.ensure_future(rt.stop())
            await asyncio.sleep(0)
            await stopping
            db.dispose()
            server.terminate()
            await server.wait()


def summary(runs: list[dict[str, float]]) -> None:
    def mmm(key: str, scale: float = 1, fmt: str = "{:.1f}") -> str:
        v = sorted(r[key] * scale for r in runs)
        return "/".join(fmt.format(x) for x in (v[0], statistics.median(v), v[-1]))

    print(f"\nover {len(runs)} runs (min/median/max):")
    print(f"  messages/s {mmm('rate')} (bot's own pace {PACE:.0f}/s)")
    print(f"  limit violations {mmm('violations', fmt='{:.0f}')}")
    print(f"  largest loop lag {mmm('lag_max', 1000, '{:.0f}')} ms")
    print(f"  samples over 100 ms {mmm('stalls', fmt='{:.0f}')}")


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    summary([asyncio.run(main(n)) for _ in range(reps)])
