"""One ASGI application (Starlette) for webhook mode: the WhatsApp webhook (signature
checked), the Telegram webhook (secret token checked) and /healthz. Several processes can
run it behind a load balancer on PostgreSQL: all state is in the database."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

if TYPE_CHECKING:
    from bot.app import Runtime

log = logging.getLogger(__name__)


def create_app(rt: Runtime, manage_bot: bool = True) -> Starlette:
    """The ASGI app; with `manage_bot` it also starts and stops the Telegram application."""

    async def healthz(_: Request) -> Response:
        return JSONResponse(
            {"ok": True, "telegram": rt.application.running, "whatsapp": rt.whatsapp is not None}
        )

    async def wa_verify(request: Request) -> Response:
        q = request.query_params
        token = rt.settings.whatsapp_verify_token
        if q.get("hub.mode") == "subscribe" and token and q.get("hub.verify_token") == token:
            return PlainTextResponse(q.get("hub.challenge", ""))
        return PlainTextResponse("forbidden", status_code=403)

    async def wa_webhook(request: Request) -> Response:
        if rt.whatsapp is None:
            return PlainTextResponse("whatsapp not configured", status_code=404)
        body = await request.body()
        status = await rt.whatsapp.webhook(body, request.headers.get("x-hub-signature-256"))
        return PlainTextResponse("ok" if status == 200 else "refused", status_code=status)

    async def tg_webhook(request: Request) -> Response:
        secret = rt.settings.webhook_secret
        if not secret or request.headers.get("x-telegram-bot-api-secret-token") != secret:
            log.warning("telegram webhook refused: bad secret token")
            return PlainTextResponse("forbidden", status_code=403)
        update = Update.de_json(await request.json(), rt.application.bot)
        await rt.application.update_queue.put(update)
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if manage_bot:
            await rt.application.initialize()
            await rt.application.start()
            s = rt.settings
            if s.webhook_url:
                await rt.application.bot.set_webhook(
                    f"{s.webhook_url.rstrip('/')}/telegram",
                    secret_token=s.webhook_secret or None,
                    allowed_updates=["message", "callback_query"],
                )
            elif rt.application.updater is not None:
                await rt.application.updater.start_polling(
                    allowed_updates=["message", "callback_query"]
                )
            await rt.on_start(rt.application)  # what post_init does under run_polling()
        try:
            yield
        finally:
            if manage_bot:
                if rt.application.updater is not None and rt.application.updater.running:
                    await rt.application.updater.stop()
                await rt.on_stop(rt.application)
                await rt.application.stop()
                await rt.application.shutdown()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/whatsapp", wa_verify, methods=["GET"]),
            Route("/whatsapp", wa_webhook, methods=["POST"]),
            Route("/telegram", tg_webhook, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def serve(rt: Runtime) -> None:
    """`sakip-bot run` with webhook or WhatsApp settings: serve the ASGI app."""
    import uvicorn

    uvicorn.run(
        create_app(rt),
        host=rt.settings.listen_host,
        port=rt.settings.listen_port,
        log_level="warning",
    )
