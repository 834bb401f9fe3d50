"""The message path: how an update travels from a channel to the core and a reply back.

channel (Telegram polling / webhooks, WhatsApp webhooks)
  │  intake: the raw update is written to the inbox and committed, then acknowledged
  ▼
inbox.py      durable, deduplicated by the sender's id; one person's updates in order
  │  worker: one update at a time per person → channel adapter → `Core.handle`
  ▼
core (bot/core.py, bot/router.py, bot/features): one transaction per update; the
  │  effect, the replies (outbox rows) and the inbox row's `done` commit together
  │  (the staged rows written by one call at its end: `db.plain.write_staged`)
  ▼
outbox.py     every outgoing message is a row, written with the change that causes it
  │
  ▼
delivery.py   one message per chat at a time, within each channel's limits, retried
  │           on 429/5xx/timeouts; after a crash at most one message per chat is in
  ▼           doubt, and it is sent again once (recorded)
channel senders (handlers/telegram.py, handlers/whatsapp.py)

leader.py     which process runs what must run once (the poller, delivery, the
              scheduler): always this one on SQLite; a PostgreSQL advisory lock otherwise

The database work of intake, the marks and light updates runs on the event loop on SQLite
when the database is free, else (and always on PostgreSQL) in a thread
(`db.engine.Database.run`; docs/message-path.md).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from typing import Any


def detached(coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
    """A task that belongs to no update: it starts from an empty context, so the update
    being handled when it was created (`inbox.current_item`) does not follow it into what
    it writes later (a failure notice written by delivery is not that update's reply)."""
    return asyncio.create_task(coro, name=name, context=contextvars.Context())
