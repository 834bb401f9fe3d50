"""Benchmark (not a test): CPU time of the core's handler alone (`Core.handle`: one
transaction, the features, the ORM), per kind of form update, with no event loop, HTTP or
delivery around it: what the message path adds comes on top (`bench_forms.py`).

    python bench/bench_core.py            # 40 and 200 sections
    python bench/bench_core.py 40 200 1000

Each head answers the whole form as in `bench_forms.py` (/isi, three values, an explanation
where asked, [Kirim]) through `tests/coresim.py`, on a temporary SQLite file. Median over the
heads of `time.process_time()` around `Core.handle`, per kind, in milliseconds.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_forms import VALUES, WAJIB, setup_round  # noqa: E402
from bench.common import START, compile_project, fresh_database, settings_for  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.tools.simulation import User  # noqa: E402
from db.engine import Database  # noqa: E402
from tests.coresim import CoreSim  # noqa: E402

KINDS = ("/isi", "value", "explanation", "[Kirim]")


def run(heads: int) -> dict[str, list[float]]:
    url = fresh_database("sqlite")
    uids, _ = setup_round(url, heads + 1)
    db = Database(url)
    sim = CoreSim(settings_for(url, limits=False), FakeClock(START), db)
    cpu: dict[str, list[float]] = defaultdict(list)
    kind = [""]
    handle = sim.core.handle

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        try:
            return handle(*args, **kwargs)
        finally:
            cpu[kind[0]].append((time.process_time() - t0) * 1000)

    sim.core.handle = timed  # type: ignore[method-assign]

    def answer(user: User) -> None:
        kind[0] = "/isi"
        sim.say_now(user, "/isi")
        for value in VALUES:
            kind[0] = "value"
            out = sim.say_now(user, value)
            if out and WAJIB in out[-1]:
                kind[0] = "explanation"
                sim.say_now(user, "Kendala cuaca.")
        kind[0] = "[Kirim]"
        sim.press_now(user, "📤 Kirim")

    users = [User(uid, f"Kasi {uid}") for uid in uids]
    answer(users[-1])  # warm-up: caches, first statements
    cpu.clear()
    for user in users[:-1]:
        answer(user)
    db.dispose()
    return cpu


def main() -> None:
    compile_project()
    sizes = [int(x) for x in sys.argv[1:]] or [40, 200]
    print("Core.handle CPU per update (ms), median over the heads; SQLite")
    print(f"{'sections':<10}" + "".join(f"{k:>13}" for k in KINDS) + f"{'all (mean)':>13}")
    for n in sizes:
        cpu = run(n)
        every = [v for k in KINDS for v in cpu[k]]
        cells = "".join(f"{statistics.median(cpu[k]):>13.2f}" for k in KINDS)
        print(f"{n:<10}{cells}{statistics.fmean(every):>13.2f}")


if __name__ == "__main__":
    main()
