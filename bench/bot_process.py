"""The real bot (`Runtime`, as `sakip-bot run` builds it) in a process of its own, for the
benchmarks; settings from the environment as in `sakip-bot run`.

    BENCH_CLOCK=2026-11-23T00:00:00+00:00   a FakeClock at that instant (else the system clock)
    BENCH_ECHO_CORE=1                       the core only says back what it got (in its one
        transaction, through the outbox): the message path alone, for `bench_forms.py --path`
    BENCH_STATS_FILE=/tmp/x.json            on SIGUSR1 write counters there (JSON):
        connections opened, and with BENCH_COUNT_SQL=1 statements and commits (SQLAlchemy
        listeners on the bot's engine: they cost CPU, so CPU is measured without them)

The event loop's lag is not sampled here: the sampler's wake-ups would count in the CPU
that `bench_forms.py` compares with the echo bot (`bench_reminders.py` samples it itself).

Runs until SIGTERM/SIGINT, then stops the runtime cleanly.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import logging  # noqa: E402

from bot.app import Runtime  # noqa: E402
from bot.clock import Clock, FakeClock, SystemClock  # noqa: E402
from bot.settings import load_settings  # noqa: E402


class Counters:
    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0
        self.connects = 0
        self.lag_max = 0.0
        self.lag_over_100ms = 0
        self.lag_samples = 0

    def attach(self, engine: Any, statements: bool) -> None:
        """Count connections opened (a pool event: free for the statements); with
        `statements`, statements and commits too. Those are execution events: with any
        listener on them SQLAlchemy dispatches events around every statement, which costs
        the handler about 5% (SQLite) that the bot itself does not pay, so a run that
        measures CPU does not count them."""
        from sqlalchemy import event

        def count_statement(*_: Any) -> None:
            self.statements += 1

        def count_commit(*_: Any) -> None:
            self.commits += 1

        def count_connect(*_: Any) -> None:
            self.connects += 1

        event.listen(engine, "connect", count_connect)
        if statements:
            event.listen(engine, "before_cursor_execute", count_statement)
            event.listen(engine, "commit", count_commit)

    async def sample_lag(self, every: float = 0.01) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t0 = loop.time()
            await asyncio.sleep(every)
            lag = loop.time() - t0 - every
            self.lag_samples += 1
            self.lag_max = max(self.lag_max, lag)
            if lag > 0.1:
                self.lag_over_100ms += 1

    def snapshot(self, path: str) -> None:
        data = dict(vars(self), at=time.time())
        tmp = f"{path}.tmp"
        Path(tmp).write_text(json.dumps(data))
        os.replace(tmp, path)
        self.lag_max, self.lag_over_100ms, self.lag_samples = 0.0, 0, 0


def echo_core() -> None:
    """Replace the features with a reply of what came in: the core still runs its one
    transaction (the person looked up, the inbox mark, the reply written to the outbox)."""
    import bot.core

    def say_back(ctx: Any) -> None:
        ctx.reply(ctx.msg.text or "-")

    bot.core.dispatch = say_back  # type: ignore[assignment]


async def main() -> None:
    if os.environ.get("BENCH_ECHO_CORE"):
        echo_core()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    at = os.environ.get("BENCH_CLOCK")
    clock: Clock = FakeClock(datetime.fromisoformat(at)) if at else SystemClock()
    rt = Runtime(settings, clock)
    rt.telegram.poll_timeout = 1
    counters = Counters()
    for engine in rt.db.engines:
        counters.attach(engine, statements=bool(os.environ.get("BENCH_COUNT_SQL")))
    stats_file = os.environ.get("BENCH_STATS_FILE")
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if stats_file:
        loop.add_signal_handler(signal.SIGUSR1, counters.snapshot, stats_file)
    await rt.start()
    rt.freeze_startup_objects()  # as `sakip-bot run` does
    await stop.wait()
    await rt.stop()


if __name__ == "__main__":
    asyncio.run(main())
