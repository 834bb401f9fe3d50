"""Benchmark (not a test): CPU per Bot API request of the two HTTP clients python-telegram-bot
can use here, its default `HTTPXRequest` and the bot's `AiohttpRequest`
(handlers/telegram_http.py), each through the library's `Bot.do_api_request` ("sendMessage" with
a three-button keyboard, the answer read as JSON), as delivery sends text.

The local Bot API server runs in another process (bench/fake_server.py), so only the
client's CPU is counted: `time.process_time()` of this process over a block of requests.
The two clients take turns, block by block, so that a machine that speeds up or slows down
(this one is shared) affects both alike. Prints min/median/max µs per request.

    python bench/bench_http.py [--blocks 8] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Bot  # noqa: E402
from telegram.request import BaseRequest, HTTPXRequest  # noqa: E402

import handlers.telegram  # noqa: E402,F401  (its filter for do_api_request's warning, as the bot runs)
from bench.common import TOKEN  # noqa: E402
from handlers.telegram_http import AiohttpRequest  # noqa: E402

CHAT = 500_000
MESSAGE = {
    "chat_id": str(CHAT),
    "text": "Ringkasan isian — nilai tersimpan. " * 12,
    "reply_markup": {
        "inline_keyboard": [
            [
                {"text": "✏️ Ubah", "callback_data": "a" * 22},
                {"text": "📤 Kirim", "callback_data": "b" * 22},
            ],
            [{"text": "📎 Bukti", "callback_data": "c" * 22}],
        ]
    },
}


HERE = Path(__file__).resolve().parent


async def main(blocks: int, requests: int) -> None:
    fake = subprocess.Popen(
        [sys.executable, str(HERE / "fake_server.py"), TOKEN], stdout=subprocess.PIPE
    )
    try:
        assert fake.stdout is not None
        root = f"http://127.0.0.1:{int(fake.stdout.readline())}"
        add = urllib.request.Request(
            f"{root}/_control/users", data=json.dumps([[CHAT, "Kasi"]]).encode(), method="POST"
        )
        urllib.request.urlopen(add).read()  # noqa: S310 (127.0.0.1)
        clients: dict[str, BaseRequest] = {
            "httpx (library default)": HTTPXRequest(connection_pool_size=128),
            "aiohttp (the bot's)": AiohttpRequest(pool_size=128),
        }
        bots = {
            name: Bot(TOKEN, base_url=f"{root}/bot", request=req) for name, req in clients.items()
        }
        for bot in bots.values():
            await bot.initialize()
            for _ in range(50):  # warm: connections, caches
                await bot.do_api_request("sendMessage", dict(MESSAGE))
        cpu: dict[str, list[float]] = {name: [] for name in bots}
        for _ in range(blocks):
            for name, bot in bots.items():
                t0 = time.process_time()
                for _ in range(requests):
                    await bot.do_api_request("sendMessage", dict(MESSAGE))
                cpu[name].append((time.process_time() - t0) / requests * 1e6)
        for bot in bots.values():
            await bot.shutdown()
    finally:
        fake.kill()
    print(f"client CPU per sendMessage (µs), min/median/max over {blocks} blocks of {requests}")
    for name, values in cpu.items():
        v = sorted(values)
        print(f"  {name:<26} {v[0]:6.0f} {statistics.median(v):6.0f} {v[-1]:6.0f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=8)
    ap.add_argument("--requests", type=int, default=300)
    a = ap.parse_args()
    asyncio.run(main(a.blocks, a.requests))
