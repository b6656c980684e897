"""Helpers of the hardening tests: raw HTTP over loopback sockets, a fast keep-alive load client, error-shape
assertions, and an auditor that reads a served mock's bounded request journal while traffic flows."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

#: Distinctive credentials, so that a leak is easy to find in any output.
JOURVEX_TOKEN = "jvx_test_hardening-S3CRET-5d1c"
ODYSSEY_TOKEN = "odyssey-hardening-S3CRET-93ab"
YOFI_TOKEN = "yofi-hardening-S3CRET-41fe"
YOFI_PARTNER = "partner-hardening-S3CRET-77c2"

JOURVEX = {"Authorization": f"Bearer {JOURVEX_TOKEN}"}
ODYSSEY = {"Authorization": f"Bearer {ODYSSEY_TOKEN}"}
YOFI = {"Authorization": f"Bearer {YOFI_TOKEN}", "x-scope-partner-id": YOFI_PARTNER}

MIB = 1024 * 1024
#: Paths of the requests that mark where an audit starts and ends (no route matches them).
MARKER_PREFIX = "/__journal-audit/"


# --- raw HTTP/1.1 ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        # Strict: a JSON response must be UTF-8 (RFC 8259), so decode before parsing.
        return json.loads(self.body.decode("utf-8"))


def address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    assert parts.hostname == "127.0.0.1", "the hardening tests only talk to loopback servers"
    return parts.hostname, int(parts.port or 80)


def http_request(
    method: str | bytes,
    target: str | bytes,
    headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]] = (),
    body: bytes | None = None,
    *,
    close: bool = True,
) -> bytes:
    """The bytes of one HTTP/1.1 request, exactly as given (nothing is normalised or percent-encoded)."""

    def raw(value: str | bytes) -> bytes:
        return value if isinstance(value, bytes) else value.encode("latin-1")

    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    lines = [raw(method) + b" " + raw(target) + b" HTTP/1.1", b"Host: 127.0.0.1"]
    lines += [raw(name) + b": " + raw(value) for name, value in pairs]
    if body is not None:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def connect(base_url: str, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection(address(base_url), timeout=timeout)


def read_response(sock: socket.socket, timeout: float = 10.0, pending: bytearray | None = None) -> RawResponse:
    """One response from the socket; fails (never hangs) when none arrives within `timeout` seconds.

    Bytes read past this response (pipelined answers) stay in `pending` for the next call.
    """
    deadline = time.monotonic() + timeout
    buffer = pending if pending is not None else bytearray()

    def receive() -> bytes:
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            return sock.recv(65536)
        except TimeoutError:
            received = bytes(buffer[:300])
            raise AssertionError(f"no complete response within {timeout} s; received: {received!r}") from None

    while b"\r\n\r\n" not in buffer:
        chunk = receive()
        if not chunk:
            raise AssertionError(f"connection closed before a response; received: {bytes(buffer[:300])!r}")
        buffer += chunk
    end = buffer.index(b"\r\n\r\n")
    status_line, *header_lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    del buffer[: end + 4]
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        length = int(headers["content-length"])
        while len(buffer) < length:
            chunk = receive()
            if not chunk:
                raise AssertionError(f"connection closed after {len(buffer)} of {length} body bytes")
            buffer += chunk
    else:  # the body runs to the end of the connection
        while chunk := receive():
            buffer += chunk
        length = len(buffer)
    body = bytes(buffer[:length])
    del buffer[:length]
    return RawResponse(int(status_line.split(" ")[1]), headers, body)


def exchange(base_url: str, request: bytes, timeout: float = 10.0) -> RawResponse:
    """Send one raw request on a new connection and read the answer."""
    with connect(base_url, timeout) as sock:
        sock.sendall(request)
        return read_response(sock, timeout)


# --- error shapes ----------------------------------------------------------------------------------------------


def assert_simple_error(response: RawResponse | httpx.Response, status: int | Sequence[int]) -> str:
    """Jourvex and Odyssey: `{"error": "<message>"}`, as JSON. Returns the message."""
    statuses = (status,) if isinstance(status, int) else tuple(status)
    content = response.body if isinstance(response, RawResponse) else response.content
    assert _status_of(response) in statuses, (_status_of(response), content[:500])
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = json.loads(content.decode("utf-8"))
    assert isinstance(body, dict)
    assert set(body) == {"error"}, body
    assert isinstance(body["error"], str)
    assert body["error"]
    return str(body["error"])


def assert_json_api_error(response: RawResponse | httpx.Response, status: int | Sequence[int]) -> str:
    """Yofi: `{"errors": [{"status", "title", "detail"}]}`, as JSON. Returns the detail."""
    statuses = (status,) if isinstance(status, int) else tuple(status)
    content = response.body if isinstance(response, RawResponse) else response.content
    assert _status_of(response) in statuses, (_status_of(response), content[:500])
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = json.loads(content.decode("utf-8"))
    assert isinstance(body, dict)
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert error["status"] == str(_status_of(response))
    assert isinstance(error["title"], str)
    assert error["title"]
    assert isinstance(error["detail"], str)
    assert error["detail"]
    return str(error["detail"])


def _status_of(response: RawResponse | httpx.Response) -> int:
    return response.status if isinstance(response, RawResponse) else response.status_code


def call(
    base_url: str, method: str, path: str, headers: Mapping[str, str] | None = None, json_body: Any = None
) -> RawResponse:
    """One well-formed request on a new connection (cheaper than an httpx client per call)."""
    all_headers = dict(headers or {})
    body = None
    if json_body is not None:
        all_headers["Content-Type"] = "application/json"
        body = json.dumps(json_body).encode()
    return exchange(base_url, http_request(method, path, all_headers, body))


def assert_still_serving(base_url: str) -> None:
    """A good request to each API is answered normally: the server survived whatever came before."""
    jourvex = call(base_url, "GET", "/api/journey/still-serving", JOURVEX)
    assert jourvex.status == 200, jourvex.body[:300]
    assert jourvex.json()["journey_id"] == "still-serving"
    yofi = call(base_url, "GET", "/data-api/v3/journeys/still-serving", YOFI)
    assert yofi.status == 200, yofi.body[:300]
    odyssey = call(base_url, "POST", "/api/journeys/create", ODYSSEY, {"slug": "still-serving", "displayName": "S"})
    assert odyssey.status in (201, 409), odyssey.body[:300]
    assert call(base_url, "GET", "/api/journeys/still-serving", ODYSSEY).status == 200


# --- load ------------------------------------------------------------------------------------------------------


def json_request(method: str, target: str, token: str, body: Any | None = None) -> bytes:
    """An Odyssey request (keep-alive) with a JSON body."""
    headers = {"Authorization": f"Bearer {token}"}
    payload = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        payload = json.dumps(body).encode()
    return http_request(method, target, headers, payload, close=False)


async def _read_async(reader: asyncio.StreamReader) -> RawResponse:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return RawResponse(int(status_line.split(" ")[1]), headers, body)


async def send_concurrently(
    base_url: str, requests: Sequence[bytes], *, connections: int = 50, timeout: float = 60.0
) -> list[RawResponse]:
    """Send every request over `connections` keep-alive connections at once; answers in request order.

    A few dozen lines of asyncio rather than httpx.AsyncClient: at this concurrency httpx's connection pool costs
    more CPU than the server under test, and on two cores the test would measure the client.
    """
    host, port = address(base_url)
    results: list[RawResponse | None] = [None] * len(requests)
    pending = iter(enumerate(requests))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for index, request in pending:
                writer.write(request)
                await writer.drain()
                response = await _read_async(reader)
                results[index] = response
                if response.headers.get("connection", "").lower() == "close":
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(connections))), timeout)
    assert all(result is not None for result in results)
    return [result for result in results if result is not None]


# --- the journal -----------------------------------------------------------------------------------------------


@dataclass
class JournalAudit:
    """Reads a served mock's request journal while traffic flows, so no entry is dropped unseen.

    The journal keeps the last 1000 requests and numbers every request from one counter, so reading it every
    `interval` seconds sees each id once, and a missing id proves an entry was dropped before it was read (then
    the audit fails rather than pass on partial evidence). Entries answered 5xx or carrying `problems` (the
    mock's self-validation findings) are kept. One server process only: workers have a journal each.
    """

    base_url: str
    interval: float = 1.0
    count: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    apis: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    missing: int = 0
    _first: int = 0
    _last: int = 0
    _seen: set[int] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> JournalAudit:
        self._client = httpx.Client(base_url=self.base_url, timeout=30)
        self._first, _ = self._mark()
        self._thread = threading.Thread(target=self._run, name="journal-audit", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        try:
            self._last, entries = self._mark()
            self._absorb(entries)
            self.missing = len(set(range(self._first + 1, self._last)) - self._seen)
        finally:
            self._client.close()

    def _mark(self) -> tuple[int, list[dict[str, Any]]]:
        """Send a request no route matches; its journal id, once recorded, and the journal read then."""
        marker = f"{MARKER_PREFIX}{uuid.uuid4().hex}"
        self._client.get(marker)
        for _ in range(100):
            entries = self._fetch()
            for entry in entries:
                if entry["path"] == marker:
                    return int(entry["id"]), entries
            time.sleep(0.05)
        raise AssertionError(f"the journal never recorded {marker}")

    def _fetch(self) -> list[dict[str, Any]]:
        response = self._client.get("/__admin/requests")
        if response.status_code != 200:
            self.unreadable.append(f"GET /__admin/requests → {response.status_code}: {response.text[:300]}")
            return []
        entries: list[dict[str, Any]] = response.json()["requests"]
        return entries

    def _absorb(self, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            identifier = int(entry["id"])
            if identifier <= self._first or identifier in self._seen or (self._last and identifier >= self._last):
                continue
            if entry["path"].startswith(MARKER_PREFIX):
                continue
            self._seen.add(identifier)
            self.count += 1
            self.statuses[int(entry["status"])] += 1
            self.apis[str(entry["api"])] += 1
            if int(entry["status"]) >= 500 or entry.get("problems"):
                self.failures.append(
                    {key: entry.get(key) for key in ("id", "method", "path", "query", "status", "problems")}
                )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._absorb(self._fetch())
            except httpx.HTTPError as error:
                self.unreadable.append(f"GET /__admin/requests failed: {error!r}")

    def assert_clean(self) -> None:
        assert not self.unreadable, self.unreadable[:3]
        assert self.missing == 0, f"{self.missing} journal entries were dropped before they could be read"
        assert not self.failures, (
            f"{len(self.failures)} requests answered 5xx or failed self-validation: "
            + (json.dumps(self.failures[:5], ensure_ascii=True)[:4000])
        )
