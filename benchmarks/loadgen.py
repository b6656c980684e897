"""Bundled HTTP/1.1 load generator, used when wrk is not installed and for fixed-count fills.

N keep-alive connections each send one request at a time; every request asks for a journey id never asked
for before in the run (`<prefix><tag>n<counter>`), so a server cannot answer from a cache. With a body template
the id goes into the body instead (`{id}`, e.g. the slug of an Odyssey create) and the path stays fixed; with
`id_cycle` the ids repeat after that many, to read back what an earlier run created. A run stops at the
deadline or after `max_requests`, whichever comes first, and is cut off `GRACE_S` after that whatever the
server does. Written on raw asyncio protocols (uvloop when installed) because a client library would spend
more CPU per request than the servers under test and measure itself instead.

`python -m benchmarks.loadgen --port 8000 --duration 5` prints one JSON `LoadResult`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from benchmarks.stats import LoadResult, percentile

GRACE_S = 10.0
# Upper bound on reconnects in one run, so a server that drops every connection cannot spin the client.
MAX_RECONNECTS = 1000


@dataclass(frozen=True)
class LoadSpec:
    host: str
    port: int
    path_prefix: str
    headers: tuple[tuple[str, str], ...]
    connections: int
    duration_s: float
    max_requests: int | None = None
    id_tag: str = "a"
    method: str = "GET"
    #: A JSON body with `{id}` where the request's id goes; None: the id ends the path.
    body_template: str | None = None
    #: Ids run 1..id_cycle and start again; None: every id is new.
    id_cycle: int | None = None


def method_name() -> str:
    return "python-asyncio+uvloop" if _uvloop_factory() is not None else "python-asyncio"


def _uvloop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def parse_response(buf: bytearray) -> tuple[int, int, bool] | None:
    """(status, bytes consumed, server asked to close) of the first full response in `buf`, or None."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    lines = bytes(buf[:head_end]).decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    chunked = False
    close = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif name == "connection":
            close = "close" in value.lower()
    body_start = head_end + 4
    if chunked:
        end = _chunked_end(buf, body_start)
        return None if end is None else (status, end, close)
    if len(buf) < body_start + length:
        return None
    return status, body_start + length, close


def _chunked_end(buf: bytearray, pos: int) -> int | None:
    """Offset just past a chunked body starting at `pos`, or None while it is incomplete."""
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(bytes(buf[pos:line_end]).split(b";", 1)[0], 16)
        if size == 0:
            # Last chunk: optional trailer lines, then an empty line.
            trailer_end = buf.find(b"\r\n\r\n", line_end)
            if buf[line_end + 2 : line_end + 4] == b"\r\n":
                return line_end + 4
            return None if trailer_end < 0 else trailer_end + 4
        pos = line_end + 2 + size + 2
        if len(buf) < pos:
            return None


class _Run:
    """Shared state of one run: the id counter, the measurements and the stop condition."""

    def __init__(self, spec: LoadSpec, loop: asyncio.AbstractEventLoop) -> None:
        self.spec = spec
        self.loop = loop
        self.latencies: list[float] = []
        self.http_errors = 0
        self.socket_errors = 0
        self.issued = 0
        self.stopping = False
        self.open = 0
        self.reconnects_left = MAX_RECONNECTS
        self.started = 0.0
        self.last_done = 0.0
        self.done: asyncio.Future[None] = loop.create_future()
        self.connections: set[_Connection] = set()
        # Strong references: the event loop keeps only weak ones to running tasks.
        self.tasks: set[asyncio.Task[None]] = set()
        extra = "".join(f"{name}: {value}\r\n" for name, value in spec.headers)
        self.request_tail = f" HTTP/1.1\r\nHost: {spec.host}:{spec.port}\r\n{extra}\r\n"
        self.request_head = f"{spec.method} {spec.path_prefix}{spec.id_tag}n"
        if spec.body_template is not None:
            self.request_head = f"{spec.method} {spec.path_prefix} HTTP/1.1\r\nHost: {spec.host}:{spec.port}\r\n{extra}"
        self.id_prefix = f"{spec.id_tag}n"

    def next_request(self) -> bytes | None:
        limit = self.spec.max_requests
        if self.stopping or (limit is not None and self.issued >= limit):
            return None
        self.issued += 1
        number = self.issued if self.spec.id_cycle is None else (self.issued - 1) % self.spec.id_cycle + 1
        template = self.spec.body_template
        if template is None:
            return f"{self.request_head}{number:x}{self.request_tail}".encode("latin-1")
        body = template.replace("{id}", f"{self.id_prefix}{number:x}").encode()
        head = f"{self.request_head}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        return head.encode("latin-1") + body

    def record(self, seconds: float, status: int) -> None:
        self.latencies.append(seconds)
        if status >= 400:
            self.http_errors += 1
        self.last_done = time.perf_counter()

    def more_to_send(self) -> bool:
        limit = self.spec.max_requests
        return not self.stopping and (limit is None or self.issued < limit)

    def spawn_connection(self) -> None:
        task = self.loop.create_task(self.open_connection())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def open_connection(self) -> None:
        self.open += 1
        try:
            await self.loop.create_connection(lambda: _Connection(self), self.spec.host, self.spec.port)
        except OSError:
            self.socket_errors += 1
            # A refused connection fails at once: pause so a dead server does not make this a busy loop.
            await asyncio.sleep(0.01)
            self.connection_closed(None)

    def connection_closed(self, conn: _Connection | None) -> None:
        if conn is not None:
            self.connections.discard(conn)
        self.open -= 1
        if self.more_to_send() and self.reconnects_left > 0:
            self.reconnects_left -= 1
            self.spawn_connection()
        elif self.open == 0 and not self.done.done():
            self.done.set_result(None)


class _Connection(asyncio.Protocol):
    def __init__(self, run: _Run) -> None:
        self.run = run
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.sent_at = 0.0
        self.in_flight = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.run.connections.add(self)
        self._send_next()

    def _send_next(self) -> None:
        assert self.transport is not None
        request = self.run.next_request()
        if request is None:
            self.transport.close()
            return
        self.in_flight = True
        self.sent_at = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buf += data
        while self.in_flight:
            parsed = parse_response(self.buf)
            if parsed is None:
                return
            status, consumed, close = parsed
            del self.buf[:consumed]
            self.in_flight = False
            self.run.record(time.perf_counter() - self.sent_at, status)
            if close:
                self.transport.close()
                return
            self._send_next()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.in_flight:
            self.in_flight = False
            self.run.socket_errors += 1
        self.run.connection_closed(self)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def _run(spec: LoadSpec) -> LoadResult:
    loop = asyncio.get_running_loop()
    run = _Run(spec, loop)
    run.started = time.perf_counter()
    stopper = loop.call_later(spec.duration_s, setattr, run, "stopping", True)
    for _ in range(spec.connections):
        run.spawn_connection()
    try:
        await asyncio.wait_for(asyncio.shield(run.done), spec.duration_s + GRACE_S)
    except TimeoutError:
        # The server stopped answering: what is still in flight counts as timed out.
        run.stopping = True
        for conn in list(run.connections):
            conn.abort()
        await asyncio.sleep(0)
    finally:
        stopper.cancel()
    elapsed = (run.last_done or time.perf_counter()) - run.started
    latencies_ms = [seconds * 1000 for seconds in run.latencies]
    return LoadResult(
        method=method_name(),
        connections=spec.connections,
        duration_s=round(elapsed, 4),
        requests=len(run.latencies),
        http_errors=run.http_errors,
        socket_errors=run.socket_errors,
        p50_ms=round(percentile(latencies_ms, 50), 3),
        p99_ms=round(percentile(latencies_ms, 99), 3),
    )


def run_load(spec: LoadSpec) -> LoadResult:
    """Run one load in this process, on uvloop when it is installed."""
    with asyncio.Runner(loop_factory=_uvloop_factory()) as runner:
        return runner.run(_run(spec))


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.loadgen", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path-prefix", default="/api/journey/cluster_")
    parser.add_argument("--header", type=_header, action="append", default=[])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds; also the cap with --max-requests")
    parser.add_argument("--max-requests", type=int, default=None)
    parser.add_argument("--id-tag", default="a", help="makes ids distinct across runs against one server")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body-template", default=None, help="JSON body with {id} where the id goes")
    parser.add_argument("--id-cycle", type=int, default=None, help="ids repeat after this many")
    args = parser.parse_args(argv)
    spec = LoadSpec(
        host=args.host,
        port=args.port,
        path_prefix=args.path_prefix,
        headers=tuple(args.header),
        connections=args.connections,
        duration_s=args.duration,
        max_requests=args.max_requests,
        id_tag=args.id_tag,
        method=args.method,
        body_template=args.body_template,
        id_cycle=args.id_cycle,
    )
    json.dump(run_load(spec).to_json(), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
