"""`sakip-bot run --workers N`: N processes of the bot on one machine sharing one PostgreSQL
database (each `sakip-bot run --role ROLE --shared`). Whichever holds the leader lock polls,
delivers and schedules; all of them handle updates. A process that dies is started again."""

from __future__ import annotations

import signal
import subprocess
import sys
import time


def supervise(n: int, role: str = "all") -> int:
    cmd = [sys.executable, "-m", "bot.cli", "run", "--role", role, "--shared"]
    procs = [subprocess.Popen(cmd) for _ in range(n)]
    stopping = False

    def stop(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for p in procs:
            if p.poll() is None:
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        for i, p in enumerate(procs):
            if p.poll() is not None and not stopping:
                print(f"worker {p.pid} ended ({p.returncode}); starting another", file=sys.stderr)
                procs[i] = subprocess.Popen(cmd)
        time.sleep(1.0)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    return 0
