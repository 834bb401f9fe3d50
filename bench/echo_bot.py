"""The floor: a bare python-telegram-bot echo bot (`concurrent_updates(32)`) polling the
local Bot API server, in a process of its own.

    python bench/echo_bot.py http://127.0.0.1:PORT
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

TOKEN = "123456:BENCH"


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say back what the person wrote."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "-")


def main(root: str) -> None:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .concurrent_updates(32)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0, timeout=1)  # stops on SIGTERM/SIGINT


if __name__ == "__main__":
    main(sys.argv[1])
