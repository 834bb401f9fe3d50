"""Benchmark (not a test): how long `sakip-bot run` takes from process start to its first
getUpdates (the local Bot API server records when it comes; /proc says when the process
started), against the bare echo bot, min/median/max over 5 starts; then where the imports go.

    python bench/bench_startup.py [REPS]

The import summary is `python -X importtime` of what `run` imports (the CLI, the schema
check, the runtime): self time per top-level package, the 10 largest, and which of the
packages `run` should not need were imported.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_forms import HERE, spawn, stop, until_polling  # noqa: E402
from bench.common import TOKEN, compile_project, fresh_database  # noqa: E402
from bot.localapi import FakeTelegram  # noqa: E402

RUN_IMPORTS = "import bot.cli, db.migrate, bot.app"  # what `sakip-bot run` imports
NOT_NEEDED = ("alembic", "mako", "matplotlib", "reportlab", "openpyxl", "pygments", "uvicorn")


async def start_once(cmd: list[str], env: dict[str, str], workdir: Path, name: str) -> float:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    args = [sys.executable, *(a.replace("{root}", fake.root) for a in cmd)]
    p = await spawn(args, {**env, "TELEGRAM_API_URL": fake.root}, workdir, name)
    try:
        return await until_polling(fake, p)
    finally:
        await stop(fake, p)
        await fake.stop()


def imports(code: str) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, dotted name) per module imported, from -X importtime."""
    for _ in range(2):  # the first run may write .pyc files
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
    rows = []
    for line in out.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, cum, name = line.split(":", 1)[1].split("|")
            rows.append((int(own), int(cum), name.strip()))
    return rows


async def main(reps: int) -> None:
    compile_project()
    workdir = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    url = fresh_database("sqlite")
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": url,
        "DATA_DIR": str(workdir / "data"),
    }
    run = [await start_once(["-m", "bot.cli", "run"], env, workdir, "run") for _ in range(reps)]
    echo = [
        await start_once([str(HERE / "echo_bot.py"), "{root}"], {}, workdir, "echo")
        for _ in range(reps)
    ]
    for name, v in (("sakip-bot run", run), ("echo bot", echo)):
        v.sort()
        print(
            f"{name:<14} start → first getUpdates {v[0]:.2f} / {statistics.median(v):.2f} / "
            f"{v[-1]:.2f} s (min/median/max of {reps})"
        )
    rows = imports(RUN_IMPORTS)
    by_package: dict[str, int] = defaultdict(int)
    for own, _, name in rows:
        by_package[name.split(".")[0]] += own
    total = sum(by_package.values())
    print(f"\nimports of `run` ({RUN_IMPORTS}): {total / 1e6:.2f} s; top 10 packages (self time)")
    for name, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {us / 1e3:7.0f} ms  {name}")
    loaded = [p for p in NOT_NEEDED if p in by_package]
    print(f"imported though `run` needs them only sometimes: {', '.join(loaded) or 'none'}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
