"""The local Bot API server in a process of its own, as Telegram is a machine of its own: the
benchmarks and the multi-process tests then measure what arrives at it, not how it shares an
event loop with the bot.

    python bench/fake_server.py [TOKEN [FIRST_UPDATE_ID]]   # prints the port; serves until killed

FIRST_UPDATE_ID: Telegram's update ids only grow, and the bot records each once; a database
that already saw updates from another fake needs this server's ids to start above them.

Control routes beside the Bot API (JSON):
- POST /_control/users   [[id, name], ...]           add users
- POST /_control/send    [[user_id, text], ...]      each user sends a text, in list order
- POST /_control/press   {"user": id, "label": "…"}  press the newest button with that label
- GET  /_control/messages?chat=ID                    the texts that chat received, in order
- GET  /_control/received                            {chat_id: count} for every chat
- GET  /_control/stats                               counters (calls, ok, errors, violations)
"""

from __future__ import annotations

import asyncio
import itertools
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
        app.router.add_post("/_control/send", self._send)
        app.router.add_post("/_control/press", self._press)
        app.router.add_get("/_control/messages", self._messages)
        app.router.add_get("/_control/received", self._received)
        app.router.add_get("/_control/stats", self._stats)

    async def _users(self, request: web.Request) -> web.Response:
        for user_id, name in await request.json():
            self.add_user(int(user_id), str(name))
        return web.json_response({"ok": True})

    async def _send(self, request: web.Request) -> web.Response:
        for user_id, text in await request.json():
            self.send_text(int(user_id), str(text))
        return web.json_response({"ok": True})

    async def _press(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = int(body["user"])
        try:
            self.press(user, int(body.get("chat", user)), str(body["label"]))
        except LookupError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=404)
        return web.json_response({"ok": True})

    async def _messages(self, request: web.Request) -> web.Response:
        chat = int(request.query["chat"])
        return web.json_response([m.text or "" for m in self.messages(chat)])

    async def _received(self, _: web.Request) -> web.Response:
        return web.json_response({str(c): len(m) for c, m in self._sent.items()})

    async def _stats(self, _: web.Request) -> web.Response:
        stats: dict[str, Any] = {
            k: dict(v) if isinstance(v, dict) else v for k, v in self.stats.items()
        }
        return web.json_response(stats)


async def main(token: str, first_update_id: int) -> None:
    fake = ControlledFake(token=token)
    fake._update_id = itertools.count(first_update_id)
    await fake.start()
    print(fake.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0] if args else TOKEN, int(args[1]) if len(args) > 1 else 1))
