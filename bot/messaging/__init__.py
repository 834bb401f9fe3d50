"""The message path: how an update travels from a channel to the core and a reply back.

channel (Telegram polling / webhooks, WhatsApp webhooks)
  │  intake: the raw update is written to the inbox and committed, then acknowledged
  ▼
inbox.py      durable, deduplicated by the sender's id; one person's updates in order
  │  worker: one update at a time per person → channel adapter → `Core.handle`
  ▼
core (bot/core.py, bot/router.py, bot/features): one transaction per update; the
  │  effect, the replies (outbox rows) and the inbox row's `done` commit together
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
"""
