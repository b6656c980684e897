"""The proxy's HTTP/1.1 client: pooled keep-alive connections to the configured upstreams, on asyncio protocols.

`journeymock proxy` first forwarded with `httpx.AsyncClient`. Measured under 16 concurrent clients on loopback
(`python -m benchmarks.proxy`), that cost about 2.5 ms of CPU per exchange, nearly all of it in httpcore's
connection pool: every pool operation rescans every connection and polls each idle socket (`has_expired` →
`is_readable`), one idle connection is handed to every queued request at once so all but one retry
(`ConnectionNotAvailable`, ~2.5 attempts per exchange), and each step goes through anyio's locks. The proxy
saturated its core at a few hundred exchanges a second, and the client's latency was the queue in front of it.

This client does only what the proxy needs: one request at a time per connection, a last-in-first-out stack of
idle connections per upstream (so the warmest connection is reused and the surplus ages out), the request
written in one `write` (no small segments for Nagle's algorithm to hold back; asyncio and uvloop also set
`TCP_NODELAY` on TCP sockets), the answer parsed by httptools (the parser uvicorn serves with), its body
bounded, and one deadline for the whole exchange.

Why not aiohttp, a maintained client that pools the same way: its `ClientSession` was put in this module's place
with the same interface and behaviour (a `TCPConnector`, `ClientTimeout(total=...)` as the one deadline,
`auto_decompress=False`, no redirects, a `DummyCookieJar`, `skip_auto_headers`, bodies read at most one byte past
the bound) and measured against this client, runs of the two alternated on the shared 2-core machine
(`python -m benchmarks.proxy --duration 8 --rounds 3`, 16 connections, 2026-12-05, aiohttp 3.14.5 with its C
parser). The proxy's CPU per exchange was 323-419 µs with aiohttp (median of 4 runs 370) against 196-230 µs
with this client (median of 5 runs 199), +86%; the added p50 was 2.9-6.2 ms (median 4.5) against 1.5-3.6 ms
(median 3.4), the added p99 6.5-12.8 ms (median 11.3) against 4.2-7.5 ms (median 6.3). In one process, 16
concurrent exchanges with a raw loopback server cost 127 µs each through aiohttp and 37 µs through this client;
a profile spreads aiohttp's extra over its general request machinery (a `ClientRequest` and header multidicts per
request, auto-header and cookie handling, timers, the response's stream reader), not one setting that could be
turned off. The proxy's CPU is what sets its latency on a small machine, so the hand-written client stays while
that gap does (benchmarks/README.md, "The proxy").
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, cast
from urllib.parse import urlsplit

import httptools

#: Methods a request may be sent again for when a reused connection turns out closed before any answer (the
#: upstream closed it while idle: it never saw the request). Other methods get the failure.
_RETRYABLE: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Methods whose request carries a length even when empty (as HTTP clients do).
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})


class UpstreamFailure(Exception):
    """No usable answer: `timed_out` when the deadline passed, otherwise unreachable or a broken answer."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.timed_out = timed_out


@dataclass(frozen=True)
class Origin:
    """Where an upstream is: scheme, host and port from its configured base URL, never from a request."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an absolute http(s) URL: {url!r}")
        default = 443 if parts.scheme == "https" else 80
        return cls(parts.scheme, parts.hostname, parts.port or default)

    @property
    def host_header(self) -> bytes:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return (host if self.port == default else f"{host}:{self.port}").encode("ascii")


@dataclass(frozen=True)
class Answer:
    """The upstream's answer as sent: status, headers (names as sent, in order), body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    content: bytes


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `exchange` sends a request and waits for the whole answer."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Answer] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._chunks: list[bytes] = []
        self._size = 0
        self._received = False
        self._head = False
        self._eof_body = False
        self.closed = False
        self.reusable = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without deriving from it.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            # Bytes nobody asked for (after an answer ended): the connection's framing cannot be trusted any more.
            self.close()
            return
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(UpstreamFailure("the upstream switched protocols"))
        except httptools.HttpParserError as error:
            # A callback's own failure (a body over the limit) reaches here as the parser error's context.
            cause = error.__context__
            if isinstance(cause, UpstreamFailure):
                self._fail(cause)
            else:
                self._fail(UpstreamFailure(f"the upstream's answer is not valid HTTP/1.1 ({error})"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._eof_body and self._waiter is not None and not self._waiter.done():
            # An answer without a length ends when the upstream closes the connection.
            self._settle()
            return
        self._fail(UpstreamFailure("the upstream closed the connection before answering"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._headers = []
        self._chunks = []
        self._size = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:
            return
        length = None
        chunked = False
        for name, value in self._headers:
            lowered = name.lower()
            if lowered == b"content-length" and value.strip().isdigit():
                length = int(value)
            elif lowered == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if length is not None and length > self._limit:
            raise UpstreamFailure(f"the upstream's answer is larger than {self._limit} bytes")
        if self._head:
            # httptools cannot know that an answer to HEAD has no body: it ends here, and the connection is not
            # reused (what follows on it is framed by the upstream's word alone).
            self._settle(reusable=False)
        elif length is None and not chunked:
            self._eof_body = True

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self._limit:
            raise UpstreamFailure(f"the upstream's answer is larger than {self._limit} bytes")
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self._parser.get_status_code() < 200:
            # An interim answer (100 Continue): the final one follows on the same connection.
            return
        self._settle(reusable=self._parser.should_keep_alive())

    # the exchange
    async def exchange(self, head: bytes, body: bytes, head_only: bool) -> Answer:
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._received = False
        self._head = head_only
        self._eof_body = False
        self.reusable = False
        self._transport.write(head + body if body else head)
        return await self._waiter

    @property
    def received(self) -> bool:
        """Whether any byte of an answer arrived for the current exchange."""
        return self._received

    def _settle(self, *, reusable: bool = False) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        self.reusable = reusable and not self.closed
        status = self._parser.get_status_code()
        waiter.set_result(Answer(status, tuple(self._headers), b"".join(self._chunks)))

    def _fail(self, failure: UpstreamFailure) -> None:
        self.close()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(failure)

    def close(self) -> None:
        self.closed = True
        self.reusable = False
        if self._transport is not None:
            self._transport.close()


def _ssl_context() -> ssl.SSLContext:
    """Verified TLS with the certificates httpx would use (certifi's bundle), the system's without it."""
    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class UpstreamPool:
    """Keep-alive connections to the upstreams: at most `max_connections` open at once, at most `max_idle` kept
    idle per upstream, every exchange within `timeout` seconds, every answer's body within `max_body` bytes."""

    def __init__(self, *, timeout: float, max_body: int, max_connections: int = 100, max_idle: int = 32) -> None:
        self.timeout = timeout
        self._limit = max_body
        self._max_idle = max_idle
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: dict[Origin, list[_Connection]] = {}
        self._ssl: ssl.SSLContext | None = None

    async def request(
        self, origin: Origin, method: str, target: bytes, headers: Sequence[tuple[bytes, bytes]], body: bytes
    ) -> tuple[Answer, float]:
        """The upstream's answer to one request and the time it took in ms; `UpstreamFailure` otherwise."""
        head = _request_head(origin, method, target, headers, body)
        try:
            # The deadline covers waiting for one of the `max_connections` too.
            async with asyncio.timeout(self.timeout), self._slots:
                started = time.perf_counter()
                answer = await self._exchange(origin, method, head, body)
        except TimeoutError:
            raise UpstreamFailure(f"no answer within {self.timeout:g} s", timed_out=True) from None
        return answer, round((time.perf_counter() - started) * 1000, 3)

    async def _exchange(self, origin: Origin, method: str, head: bytes, body: bytes) -> Answer:
        while True:
            connection, reused = self._idle_connection(origin), True
            if connection is None:
                connection, reused = await self._connect(origin), False
            try:
                answer = await connection.exchange(head, body, method == "HEAD")
            except UpstreamFailure:
                if reused and not connection.received and method in _RETRYABLE:
                    # The upstream closed this idle connection as the request went out: it never saw it.
                    continue
                raise
            except BaseException:
                # Cancelled (the deadline): the connection is mid-exchange and cannot be reused.
                connection.close()
                raise
            self._release(origin, connection)
            return answer

    def _idle_connection(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if not connection.closed:
                return connection
        return None

    async def _connect(self, origin: Origin) -> _Connection:
        loop = asyncio.get_running_loop()
        context = None
        if origin.scheme == "https":
            if self._ssl is None:
                self._ssl = _ssl_context()
            context = self._ssl
        try:
            _, connection = await loop.create_connection(
                lambda: _Connection(self._limit),
                origin.host,
                origin.port,
                ssl=context,
                server_hostname=origin.host if context is not None else None,
            )
        except (OSError, ssl.SSLError) as error:
            raise UpstreamFailure(f"could not connect ({type(error).__name__})") from None
        return connection

    def _release(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if connection.reusable and len(idle) < self._max_idle:
            idle.append(connection)
        else:
            connection.close()

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()


def _request_head(
    origin: Origin, method: str, target: bytes, headers: Sequence[tuple[bytes, bytes]], body: bytes
) -> bytes:
    """The request line and headers, with the upstream's own host and the body's length."""
    lines = [method.encode("ascii") + b" " + target + b" HTTP/1.1", b"host: " + origin.host_header]
    lines += [name + b": " + value for name, value in headers]
    if body or method in _BODY_METHODS:
        lines.append(b"content-length: " + str(len(body)).encode("ascii"))
    return b"\r\n".join(lines) + b"\r\n\r\n"
