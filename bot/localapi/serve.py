"""The local Bot API server in a process of its own, with a control API: Telegram is a machine
of its own, so crash tests and benchmarks kill the bot's process and not the fake, and
measure what arrives at it, not how it shares an event loop with the bot.

    python -m bot.localapi.serve [--token T] [--port P]   # prints the port, serves until killed

Control routes beside the Bot API (JSON; `bot/localapi/client.py` wraps them):

    POST /_control/users      [[id, name], ...]                    add users
    POST /_control/groups     [{"id", "title", "members"}, ...]    add groups
    POST /_control/text       {"user", "text", "chat"?}            → {"update_id"}
    POST /_control/document   {"user", "name", "mime", "content" (base64), "caption"?, "chat"?}
    POST /_control/press      {"user", "chat", "label"} or {"user", "chat", "message_id", "data"}
                              → {"update_id", "query_id"}
    GET  /_control/messages   ?chat=ID (one chat) or every chat: [{message_id, kind, text,
                              buttons, rows, data, edits, file_name}]
    GET  /_control/stats      counters, unconfirmed updates, retry gaps after 429s,
                              callback answers
    POST /_control/faults     {"share", "kinds"?, "seed"?, "retry_after"?, "timeout"?};
                              DELETE clears them
    POST /_control/redeliver  {"count"}: the last confirmed updates are delivered again
    POST /_control/kill       {"pid", "nth", "phase": "before"|"after"}: SIGKILL `pid` when
                              the nth send request from now arrives ("before": nothing
                              recorded) or was recorded ("after": the bot never hears back)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import signal
from typing import Any

from aiohttp import web

from bot.localapi.telegram import FakeTelegram, SentMessage


def message_view(m: SentMessage) -> dict[str, Any]:
    rows = (m.reply_markup or {}).get("inline_keyboard", [])
    return {
        "message_id": m.message_id,
        "kind": m.kind,
        "text": m.text,
        # as first sent, before any edit (what a delivery check compares with the outbox)
        "original": m.edits[0]["text"] if m.edits else m.text,
        "buttons": m.buttons,
        "data": [b.get("callback_data") for row in rows for b in row],
        "edits": len(m.edits),
        "file_name": m.file_name,
    }


class ControlledFake(FakeTelegram):
    """FakeTelegram with the control routes; a kill plan acts through `on_send`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kill: dict[str, Any] | None = None
        self.kills = 0
        self.on_send = self._maybe_kill

    def _maybe_kill(self, method: str, params: dict[str, Any], phase: str) -> None:
        plan = self._kill
        if plan is None or phase != plan["phase"]:
            return
        plan["seen"] += 1
        if plan["seen"] < plan["nth"]:
            return
        self._kill = None
        with contextlib.suppress(ProcessLookupError):
            os.kill(plan["pid"], signal.SIGKILL)
        self.kills += 1

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        r = app.router
        r.add_post("/_control/users", self._c_users)
        r.add_post("/_control/groups", self._c_groups)
        r.add_post("/_control/text", self._c_text)
        r.add_post("/_control/document", self._c_document)
        r.add_post("/_control/press", self._c_press)
        r.add_get("/_control/messages", self._c_messages)
        r.add_get("/_control/stats", self._c_stats)
        r.add_post("/_control/faults", self._c_faults)
        r.add_delete("/_control/faults", self._c_clear_faults)
        r.add_post("/_control/redeliver", self._c_redeliver)
        r.add_post("/_control/kill", self._c_kill)

    async def _c_users(self, request: web.Request) -> web.Response:
        for user_id, name in await request.json():
            self.add_user(int(user_id), str(name))
        return web.json_response({"ok": True})

    async def _c_groups(self, request: web.Request) -> web.Response:
        for g in await request.json():
            self.add_group(int(g["id"]), str(g["title"]), [int(m) for m in g["members"]])
        return web.json_response({"ok": True})

    async def _c_text(self, request: web.Request) -> web.Response:
        b = await request.json()
        self.send_text(int(b["user"]), str(b["text"]), chat_id=b.get("chat"))
        return web.json_response({"update_id": self.last_update_id})

    async def _c_document(self, request: web.Request) -> web.Response:
        b = await request.json()
        self.send_document(
            int(b["user"]),
            base64.b64decode(b["content"]),
            str(b["name"]),
            str(b["mime"]),
            chat_id=b.get("chat"),
            caption=b.get("caption"),
        )
        return web.json_response({"update_id": self.last_update_id})

    async def _c_press(self, request: web.Request) -> web.Response:
        b = await request.json()
        user, chat = int(b["user"]), int(b["chat"])
        try:
            if "label" in b:
                qid = self.press(user, chat, str(b["label"]))
            else:
                qid = self.press_button(user, chat, int(b["message_id"]), str(b["data"]))
        except LookupError as exc:
            return web.json_response({"error": str(exc)}, status=404)
        return web.json_response({"update_id": self.last_update_id, "query_id": qid})

    async def _c_messages(self, request: web.Request) -> web.Response:
        chat = request.query.get("chat")
        if chat is not None:
            return web.json_response([message_view(m) for m in self.messages(int(chat))])
        return web.json_response(
            {str(c): [message_view(m) for m in msgs] for c, msgs in self._sent.items()}
        )

    async def _c_stats(self, _: web.Request) -> web.Response:
        stats: dict[str, Any] = {
            k: dict(v) if isinstance(v, dict) else v for k, v in self.stats.items()
        }
        stats["unconfirmed"] = self.unconfirmed_updates
        stats["retry_gaps"] = self.retry_gaps
        stats["callback_answers"] = [a.__dict__ for a in self.callback_answers]
        stats["kills"] = self.kills
        stats["kill_armed"] = self._kill is not None
        return web.json_response(stats)

    async def _c_faults(self, request: web.Request) -> web.Response:
        b = await request.json()
        self.inject_faults(
            float(b["share"]),
            kinds=b.get("kinds") or ("429", "500", "502", "timeout", "reset"),
            seed=int(b.get("seed", 0)),
            retry_after=int(b.get("retry_after", 1)),
            timeout_seconds=float(b.get("timeout", 30.0)),
        )
        return web.json_response({"ok": True})

    async def _c_clear_faults(self, _: web.Request) -> web.Response:
        self.clear_faults()
        return web.json_response({"ok": True})

    async def _c_redeliver(self, request: web.Request) -> web.Response:
        b = await request.json()
        return web.json_response({"update_ids": self.redeliver(int(b.get("count", 1)))})

    async def _c_kill(self, request: web.Request) -> web.Response:
        b = await request.json()
        self._kill = {
            "pid": int(b["pid"]),
            "nth": max(1, int(b.get("nth", 1))),
            "phase": str(b.get("phase", "before")),
            "seen": 0,
        }
        return web.json_response({"ok": True})


async def main(token: str, port: int) -> None:
    fake = ControlledFake(token=token)
    await fake.start(port)
    print(fake.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", default=os.environ.get("TELEGRAM_BOT_TOKEN", "123456:TEST"))
    parser.add_argument("--port", type=int, default=0)
    a = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(a.token, a.port))
