"""One ASGI application (Starlette) for webhook mode: the WhatsApp webhook (signature
checked), the Telegram webhook (secret token checked) and /healthz. Each webhook call is
recorded in the inbox and committed before it is answered 200; a malformed body is answered
400 and logged once, never a 500. Several processes can serve it behind a load balancer on
PostgreSQL: all state is in the database."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.messaging.inbox import is_transient
from bot.settings import Settings
from handlers.whatsapp import WhatsAppChannel

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    telegram_receive: Callable[[Any], Awaitable[None]] | None,
    whatsapp: WhatsAppChannel | None,
    health: Callable[[], dict[str, Any]],
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
    extra_routes: list[BaseRoute] | None = None,
) -> Starlette:
    """The ASGI app; `lifespan` starts and stops the bot around it when it serves alone."""

    async def healthz(_: Request) -> Response:
        return JSONResponse(health())

    async def wa_verify(request: Request) -> Response:
        q = request.query_params
        token = settings.whatsapp_verify_token
        if q.get("hub.mode") == "subscribe" and token and q.get("hub.verify_token") == token:
            return PlainTextResponse(q.get("hub.challenge", ""))
        return PlainTextResponse("forbidden", status_code=403)

    async def wa_webhook(request: Request) -> Response:
        if whatsapp is None:
            return PlainTextResponse("whatsapp not configured", status_code=404)
        body = await request.body()
        try:
            status = await whatsapp.webhook(body, request.headers.get("x-hub-signature-256"))
        except Exception as exc:
            return _failed("whatsapp", exc)
        return PlainTextResponse("ok" if status == 200 else "refused", status_code=status)

    async def tg_webhook(request: Request) -> Response:
        secret = settings.webhook_secret
        if not secret or request.headers.get("x-telegram-bot-api-secret-token") != secret:
            log.warning("telegram webhook refused: bad secret token")
            return PlainTextResponse("forbidden", status_code=403)
        if telegram_receive is None:
            return PlainTextResponse("telegram webhook not configured", status_code=404)
        body = await request.body()
        try:
            update = json.loads(body)
        except ValueError:
            log.warning("telegram webhook: body is not JSON (%d bytes)", len(body))
            return PlainTextResponse("bad request", status_code=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            log.warning("telegram webhook: not an update: %.120r", update)
            return PlainTextResponse("bad request", status_code=400)
        try:
            await telegram_receive(update)
        except Exception as exc:
            return _failed("telegram", exc)
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/whatsapp", wa_verify, methods=["GET"]),
            Route("/whatsapp", wa_webhook, methods=["POST"]),
            Route("/telegram", tg_webhook, methods=["POST"]),
            *(extra_routes or []),
        ],
        lifespan=lifespan,
    )


def _failed(channel: str, exc: Exception) -> Response:
    """The update could not be recorded: 503 so the sender retries it later (a database
    outage), never a stack trace to the sender."""
    if is_transient(exc):
        log.warning("%s webhook: database unavailable, asking for a retry", channel)
    else:
        log.exception("%s webhook could not be recorded", channel)
    return PlainTextResponse("try again later", status_code=503)
