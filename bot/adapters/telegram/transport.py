"""PTB's HTTP transport on aiohttp (``AiohttpRequest``), plugged in through PTB's own
``telegram.request.BaseRequest`` extension point. Why it exists: docs/DESIGN.md and
bench/telegram_updates.py."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput


class AiohttpRequest(BaseRequest):
    """PTB's HTTP transport on ``aiohttp`` (PTB's default is ``httpx``).

    Why: every Bot API call pays the client's per-request cost, and httpx/httpcore cost about
    four times what aiohttp does per request (a keep-alive round trip to a local server: ~1.2 ms
    against ~0.3 ms), and httpcore's pool gets slower the more requests are in flight and the
    more connections it holds (each assignment re-checks every connection with a ``poll``
    syscall). A bot that answers with one to three messages per update spent most of its
    time there (see bench/telegram_updates.py).

    Same contract as ``HTTPXRequest``: the status code and body returned as they are (PTB
    turns them into results or errors). Parameters go as multipart when uploading, otherwise
    as a JSON object of the very strings a form would carry (PTB's ``json_payload``): the Bot
    API reads a JSON string value exactly like a form value (telegram-bot-api's
    ``HttpReader::parse_json_parameters``), and a JSON body is cheaper to build and to parse
    than percent-encoding every keyboard.
    Timeouts: ``connect_timeout`` for a new connection, ``pool_timeout`` (added to it) for
    waiting on a free one, ``read_timeout`` between reads; aiohttp has no write timeout, so
    the total of all four bounds the whole request. Errors become ``TimedOut`` or
    ``NetworkError`` naming only the aiohttp exception class: the URL holds the token and never
    ends up in an error message.
    """

    __slots__ = (
        "_connect",
        "_media_write",
        "_pool",
        "_pool_size",
        "_read",
        "_session",
        "_write",
    )

    def __init__(
        self,
        connection_pool_size: int = 16,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 10.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=None),  # per request, see _timeout
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def _timeout(
        read: float | None,
        write: float | None,
        connect: float | None,
        pool: float | None,
    ) -> aiohttp.ClientTimeout:
        acquire = None if connect is None or pool is None else connect + pool
        parts = (read, write, connect, pool)
        total = None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
        return aiohttp.ClientTimeout(
            total=total, connect=acquire, sock_connect=connect, sock_read=read
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        default_write = self._media_write if files else self._write
        timeout = self._timeout(
            _seconds(read_timeout, self._read),
            _seconds(write_timeout, default_write),
            _seconds(connect_timeout, self._connect),
            _seconds(pool_timeout, self._pool),
        )
        body: aiohttp.FormData | bytes | None = None
        if request_data is not None:
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                body = form
            else:
                body = request_data.json_payload
        try:
            async with session.request(  # the Bot API never redirects; do not follow one
                method,
                url,
                data=body,
                timeout=timeout,
                allow_redirects=False,
                headers=_JSON if isinstance(body, bytes) else None,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts subclass it
            raise TimedOut(f"Timed out ({type(exc).__name__})") from None
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from None


_JSON = {"Content-Type": "application/json"}


def _seconds(given: object, default: float | None) -> float | None:
    """A per-call timeout as PTB passes it (a number, ``None`` or "not given")."""
    if given is None:
        return None
    if isinstance(given, int | float):
        return float(given)
    return default
