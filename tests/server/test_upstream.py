"""The proxy's upstream client against raw HTTP/1.1 servers on loopback: what it sends, how it frames answers,
when it reuses a connection, and how it fails (bounded, within its deadline, never hanging)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable

import pytest

from mockserver.proxy import Upstream
from mockserver.upstream import Answer, Origin, UpstreamFailure, UpstreamPool

#: Writes the answer to one request: (connection's request count, head, body, writer) -> keep the connection?
Handler = Callable[[int, bytes, bytes, asyncio.StreamWriter], Awaitable[bool]]


class RawServer:
    """A loopback HTTP/1.1 server answering through `handler`, counting connections and keeping request heads."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.heads: list[bytes] = []
        self.bodies: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Origin:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return Origin("http", "127.0.0.1", port)

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        count = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                count += 1
                self.heads.append(head)
                self.bodies.append(body)
                if not await self.handler(count, head, body, writer):
                    break
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def ok(body: bytes, *extra: bytes) -> bytes:
    return b"\r\n".join([b"HTTP/1.1 200 OK", b"content-length: %d" % len(body), *extra, b"", body])


async def answer_ok(_count: int, head: bytes, _body: bytes, writer: asyncio.StreamWriter) -> bool:
    writer.write(ok(b'{"path": "' + head.split(b" ")[1] + b'"}', b"x-request-id: r1"))
    return True


def run(coroutine: Awaitable[object]) -> object:
    return asyncio.run(asyncio.wait_for(coroutine, 20))  # type: ignore[arg-type]


def test_requests_reuse_one_connection_and_carry_the_upstreams_host():
    async def scenario() -> list[Answer]:
        server = RawServer(answer_ok)
        async with server as origin:
            pool = UpstreamPool(timeout=5, max_body=1 << 20)
            answers = []
            for index in range(20):
                answer, duration = await pool.request(
                    origin, "GET", b"/api/journey/j%d?x=1" % index, [(b"authorization", b"Bearer t")], b""
                )
                assert duration >= 0
                answers.append(answer)
            posted, _ = await pool.request(origin, "POST", b"/api/journeys/create", [], b'{"slug": "a"}')
            answers.append(posted)
            await pool.aclose()
        assert server.connections == 1
        head = server.heads[0].decode()
        assert head.startswith("GET /api/journey/j0?x=1 HTTP/1.1\r\n")
        assert f"host: 127.0.0.1:{origin.port}\r\n" in head and "authorization: Bearer t\r\n" in head
        assert "content-length" not in head
        assert "content-length: 13\r\n" in server.heads[-1].decode() and server.bodies[-1] == b'{"slug": "a"}'
        return answers

    answers = run(scenario())
    assert isinstance(answers, list)
    body = b'{"path": "/api/journey/j3?x=1"}'
    assert answers[3] == Answer(200, ((b"content-length", str(len(body)).encode()), (b"x-request-id", b"r1")), body)
    assert answers[-1].content == b'{"path": "/api/journeys/create"}'


def test_concurrent_requests_open_one_connection_each_and_keep_them():
    async def slow(_count: int, _head: bytes, _body: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.05)
        writer.write(ok(b"{}"))
        return True

    async def scenario() -> int:
        server = RawServer(slow)
        async with server as origin:
            pool = UpstreamPool(timeout=5, max_body=1024)
            for _ in range(3):
                await asyncio.gather(*(pool.request(origin, "GET", b"/", [], b"") for _ in range(8)))
            await pool.aclose()
        return server.connections

    assert run(scenario()) == 8


def test_chunked_and_close_delimited_answers_are_read_whole():
    async def chunked(_count: int, _head: bytes, _body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        return True

    async def until_close(_count: int, _head: bytes, _body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\n")
        await writer.drain()
        writer.write(b"all of it")
        return False

    async def scenario() -> tuple[bytes, bytes]:
        pool = UpstreamPool(timeout=5, max_body=1024)
        async with RawServer(chunked) as origin:
            first, _ = await pool.request(origin, "GET", b"/", [], b"")
        async with RawServer(until_close) as origin:
            second, _ = await pool.request(origin, "GET", b"/", [], b"")
        await pool.aclose()
        return first.content, second.content

    assert run(scenario()) == (b"hello world", b"all of it")


@pytest.mark.parametrize(
    "answer",
    [
        ok(b"x" * 2048),
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        + (b"400\r\n" + b"x" * 1024 + b"\r\n") * 2
        + b"0\r\n\r\n",
    ],
    ids=["declared", "chunked"],
)
def test_an_answer_larger_than_the_bound_fails(answer):
    async def large(_count: int, _head: bytes, _body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer)
        return True

    async def scenario() -> None:
        async with RawServer(large) as origin:
            pool = UpstreamPool(timeout=5, max_body=1500)
            with pytest.raises(UpstreamFailure, match="larger than 1500 bytes"):
                await pool.request(origin, "GET", b"/", [], b"")
            await pool.aclose()

    run(scenario())


def test_a_silent_upstream_times_out_and_an_absent_one_fails_at_once():
    async def silent(_count: int, _head: bytes, _body: bytes, _writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(30)
        return False

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    async def scenario() -> None:
        pool = UpstreamPool(timeout=0.3, max_body=1024)
        async with RawServer(silent) as origin:
            started = time.monotonic()
            with pytest.raises(UpstreamFailure) as timed_out:
                await pool.request(origin, "GET", b"/", [], b"")
            assert timed_out.value.timed_out and time.monotonic() - started < 2
        with pytest.raises(UpstreamFailure) as refused:
            await pool.request(Origin("http", "127.0.0.1", closed_port), "GET", b"/", [], b"")
        assert not refused.value.timed_out and "could not connect" in refused.value.message
        await pool.aclose()

    run(scenario())


def test_a_connection_the_upstream_dropped_is_retried_only_for_idempotent_methods():
    async def drops_second(count: int, head: bytes, _body: bytes, writer: asyncio.StreamWriter) -> bool:
        if count == 2:
            # Closed without an answer, as a server closing an idle keep-alive connection does.
            return False
        writer.write(ok(head.split(b" ")[0]))
        return True

    async def scenario() -> None:
        server = RawServer(drops_second)
        async with server as origin:
            pool = UpstreamPool(timeout=5, max_body=1024)
            await pool.request(origin, "GET", b"/", [], b"")
            again, _ = await pool.request(origin, "GET", b"/", [], b"")
            assert again.content == b"GET" and server.connections == 2
            # The second connection's second request is dropped too: a POST is not sent again.
            with pytest.raises(UpstreamFailure, match="closed the connection"):
                await pool.request(origin, "POST", b"/", [], b"{}")
            assert server.connections == 2
            posted, _ = await pool.request(origin, "POST", b"/", [], b"{}")
            assert posted.content == b"POST" and server.connections == 3
            await pool.aclose()

    run(scenario())


def test_interim_answers_are_skipped_and_head_answers_end_after_their_headers():
    async def interim(_count: int, head: bytes, _body: bytes, writer: asyncio.StreamWriter) -> bool:
        if head.startswith(b"HEAD"):
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n")
            return True
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"final"))
        return True

    async def scenario() -> tuple[Answer, Answer]:
        async with RawServer(interim) as origin:
            pool = UpstreamPool(timeout=2, max_body=1024)
            final, _ = await pool.request(origin, "POST", b"/", [], b"{}")
            head, _ = await pool.request(origin, "HEAD", b"/", [], b"")
            await pool.aclose()
        return final, head

    final, head = run(scenario())  # type: ignore[misc]
    assert (final.status, final.content) == (200, b"final")
    assert (head.status, head.content, dict(head.headers)[b"content-length"]) == (200, b"", b"500")


def test_at_most_max_connections_are_open_and_waiting_for_one_counts_against_the_deadline():
    async def slow(_count: int, _head: bytes, _body: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.2)
        writer.write(ok(b"{}"))
        return True

    async def scenario() -> None:
        server = RawServer(slow)
        async with server as origin:
            pool = UpstreamPool(timeout=5, max_body=1024, max_connections=2)
            await asyncio.gather(*(pool.request(origin, "GET", b"/", [], b"") for _ in range(6)))
            assert server.connections == 2
            hurried = UpstreamPool(timeout=0.3, max_body=1024, max_connections=1)
            outcomes = await asyncio.gather(
                *(hurried.request(origin, "GET", b"/", [], b"") for _ in range(3)), return_exceptions=True
            )
            failures = [outcome for outcome in outcomes if isinstance(outcome, UpstreamFailure)]
            assert len(failures) == 2 and all(failure.timed_out for failure in failures)
            await pool.aclose()
            await hurried.aclose()

    run(scenario())


@pytest.mark.parametrize(
    ("url", "origin", "host", "path"),
    [
        ("http://127.0.0.1:8001", Origin("http", "127.0.0.1", 8001), b"127.0.0.1:8001", b""),
        ("https://api.example.com/base/v1/", Origin("https", "api.example.com", 443), b"api.example.com", b"/base/v1"),
        ("http://[::1]:8080/caf\u00e9/x%20y", Origin("http", "::1", 8080), b"[::1]:8080", b"/caf%C3%A9/x%20y"),
    ],
)
def test_a_configured_base_url_gives_the_origin_the_host_header_and_the_path_prefix(url, origin, host, path):
    upstream = Upstream.of(url)
    assert (upstream.origin, upstream.origin.host_header, upstream.path) == (origin, host, path)
