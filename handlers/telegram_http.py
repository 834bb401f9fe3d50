"""The Bot API's HTTP client: python-telegram-bot's request interface (`BaseRequest`, its
documented place for another HTTP library) on aiohttp instead of its default httpx.

Why: CPU per request. Against the local Bot API server, a sendMessage through httpx cost
about 0.95 ms of the bot's CPU and through aiohttp about 0.28 ms (`bench/bench_http.py`),
and every update costs at least two requests (its `getUpdates` and its reply). aiohttp is
already a dependency (the local fakes serve with it).

Everything above `do_request` stays the library's: encoding the parameters (sent as the
library's JSON payload, `RequestData.json_payload`, which the Bot API takes for every method
but uploads; a URL-encoded form, quoted character by character, cost 0.4 ms a message
instead of 0.28; a file goes as a multipart form), reading the answer, and turning
Telegram's error answers into `RetryAfter`, `BadRequest`, `Forbidden`…
(`BaseRequest.post`). Here only the transport's own failures are mapped, as the
library's httpx request does: a timeout is `TimedOut`, any other transport error
`NetworkError`. aiohttp has no write timeout; a request that cannot be written in time
ends with the read timeout.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

_JSON = {"Content-Type": "application/json"}


def _timeout(given: object, default: float | None) -> float | None:
    """A timeout as `do_request` got it: seconds, None (no limit), or the library's documented
    "not given" (`BaseRequest.DEFAULT_NONE`), which means this client's own. The parameters are
    typed `object` because the type of that marker is private to the library."""
    if given is None or isinstance(given, int | float):
        return given
    return default


class AiohttpRequest(BaseRequest):
    """One aiohttp session (a pool of `pool_size` connections) for the Bot API."""

    def __init__(
        self,
        pool_size: int = 128,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # the answer is read as bytes and parsed by the library
                auto_decompress=True,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = _timeout(read_timeout, self._read_timeout)
        conn = _timeout(connect_timeout, self._connect_timeout)
        pool = _timeout(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            # aiohttp's `connect` covers waiting for a free connection and opening one
            connect=None if conn is None or pool is None else conn + pool,
            sock_connect=conn,
            sock_read=read,
        )
        body: Any = None
        headers = None
        if request_data is not None and not request_data.contains_files:
            # a JSON body (the library's own encoding of the parameters), which the Bot API
            # takes for every method but uploads: a form would be URL-encoded character by
            # character, a third of this client's CPU for a message with a keyboard
            body, headers = request_data.json_payload, _JSON
        elif request_data is not None:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, part in request_data.multipart_data.items():
                if isinstance(part, tuple):
                    filename, content, *mime = part
                    form.add_field(
                        name,
                        content,
                        filename=filename,
                        content_type=mime[0] if mime else "application/octet-stream",
                    )
                else:
                    form.add_field(name, part)
            body = form
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as res:
                content = await res.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        if log.isEnabledFor(logging.DEBUG):  # as httpx logs it; the token is masked in logs
            log.debug("HTTP %s %s → %s", method, url, res.status)
        return res.status, content
