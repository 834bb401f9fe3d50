"""What both local fakes share: an aiohttp server on 127.0.0.1 with a port chosen by the OS."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Self

from aiohttp import web


class LocalServer:
    """Subclasses add their routes in `routes()`; `start()` serves them, `stop()` ends it."""

    max_body = 200 * 1024 * 1024

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._cond: asyncio.Condition | None = None
        self.port = 0

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self, port: int = 0) -> None:
        self._cond = asyncio.Condition()
        app = web.Application(client_max_size=self.max_body)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        assert sockets
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def notify(self) -> None:
        """Wake whoever waits in `wait_until` (after something was sent)."""
        if self._cond is not None:
            async with self._cond:
                self._cond.notify_all()

    async def wait_until(
        self, ready: Callable[[], bool], timeout: float, describe: Callable[[], str]
    ) -> None:
        """Until `ready()` holds (checked on every send), or TimeoutError saying `describe()`."""
        assert self._cond is not None, "start() first"
        try:
            async with asyncio.timeout(timeout), self._cond:
                await self._cond.wait_for(ready)
        except TimeoutError:
            raise TimeoutError(describe()) from None

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"
