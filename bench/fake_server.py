"""The local Bot API server in a process of its own, as Telegram is a machine of its own: the
benchmarks then measure what arrives at it, not how it shares an event loop with the bot.

    python bench/fake_server.py      # prints the port, serves until killed

Two control routes beside the Bot API: POST /_control/users [[id, name], ...] adds users,
GET /_control/stats returns the counters (calls, ok, errors, limit violations).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import TOKEN  # noqa: E402
from bot.localapi import FakeTelegram  # noqa: E402


class ControlledFake(FakeTelegram):
    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_post("/_control/users", self._users)
        app.router.add_get("/_control/stats", self._stats)

    async def _users(self, request: web.Request) -> web.Response:
        for user_id, name in await request.json():
            self.add_user(int(user_id), str(name))
        return web.json_response({"ok": True})

    async def _stats(self, _: web.Request) -> web.Response:
        stats: dict[str, Any] = {
            k: dict(v) if isinstance(v, dict) else v for k, v in self.stats.items()
        }
        return web.json_response(stats)


async def main() -> None:
    fake = ControlledFake(token=TOKEN)
    await fake.start()
    print(fake.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
