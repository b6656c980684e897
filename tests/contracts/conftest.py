"""Fixtures of the contract-runner tests: apps served on loopback in a background thread, the command run
in-process, and the environment a live run reads."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import uvicorn

from mockserver.app import create_app
from mockserver.cli import main as journeymock
from mockserver.config import ServerConfig

#: Credentials of the live-target tests: long and distinctive, so a leak is easy to find in any output.
SECRETS = {
    "JOURVEX_API_KEY": "jvx_test_S3CRET-jourvex-0123456789",
    "ODYSSEY_API_TOKEN": "odyssey-S3CRET-token-0123456789",
    "YOFI_API_TOKEN": "yofi-S3CRET-token-0123456789",
    "YOFI_PARTNER_ID": "partner-S3CRET-0123456789",
}


@dataclass
class Outcome:
    status: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: object, lifespan: str = "off") -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port until the block ends (`lifespan="on"` for an app that
    opens and closes resources of its own, e.g. the proxy's pooled client)."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan=lifespan, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Exchange:
    """One request and its response, as a departure sees and may change them."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.response_body)

    def set_json(self, value: Any) -> None:
        self.response_body = json.dumps(value).encode()


Hook = Callable[[Exchange], None]


class Departure:
    """The mock app with `before` applied to each request and `after` to each response."""

    def __init__(self, app: Any, before: Hook | None = None, after: Hook | None = None) -> None:
        self.app = app
        self.before = before
        self.after = after

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        exchange = Exchange(
            method=scope["method"],
            path=scope["path"],
            query=parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True),
            headers={key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]},
            body=b"".join(chunks),
        )
        if self.before is not None:
            self.before(exchange)
        inner_scope = {
            **scope,
            "method": exchange.method,
            "path": exchange.path,
            "raw_path": exchange.path.encode(),
            "query_string": urlencode(exchange.query).encode(),
            "headers": [(key.encode("latin-1"), value.encode("latin-1")) for key, value in exchange.headers.items()],
        }
        body_sent = False

        async def replay() -> dict[str, Any]:
            nonlocal body_sent
            if body_sent:
                return {"type": "http.disconnect"}
            body_sent = True
            return {"type": "http.request", "body": exchange.body, "more_body": False}

        response: dict[str, Any] = {"chunks": []}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = {
                    key.decode("latin-1").lower(): value.decode("latin-1") for key, value in message["headers"]
                }
            elif message["type"] == "http.response.body":
                response["chunks"].append(message.get("body", b""))

        await self.app(inner_scope, replay, capture)
        exchange.status = response["status"]
        exchange.response_headers = response["headers"]
        exchange.response_body = b"".join(response["chunks"])
        if self.after is not None:
            self.after(exchange)
        exchange.response_headers["content-length"] = str(len(exchange.response_body))
        await send(
            {
                "type": "http.response.start",
                "status": exchange.status,
                "headers": [(key.encode(), value.encode()) for key, value in exchange.response_headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": exchange.response_body})


@pytest.fixture
def serve() -> Iterator[Callable[[object], str]]:
    """Serve ASGI apps on loopback for the test; every server is stopped when it ends."""
    with contextlib.ExitStack() as stack:
        yield lambda app: stack.enter_context(serve_in_thread(app))


@pytest.fixture
def plant(serve: Callable[[object], str]) -> Callable[..., str]:
    """Serve the mock of one API with a departure planted: `plant(api, before=..., after=...)` → base URL.

    Without its admin API: the broken server must be judged as a vendor is, not recognised as journeymock
    (whose inferences always count)."""

    def planted(api: str, *, before: Hook | None = None, after: Hook | None = None) -> str:
        return serve(Departure(create_app(ServerConfig(apis=(api,), admin=False)), before=before, after=after))

    return planted


@pytest.fixture
def live_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    for name in ("JOURVEX_JOURNEY_IDS", "YOFI_JOURNEY_IDS", "JOURVEX_BASE_URL", "ODYSSEY_BASE_URL", "YOFI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return dict(SECRETS)


@pytest.fixture
def run_contracts(capfd: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """`journeymock contracts ARGUMENTS`, in this process, through the console script's `main`."""

    def run(*arguments: str) -> Outcome:
        capfd.readouterr()
        try:
            status = journeymock(["contracts", *arguments])
        except SystemExit as exit_:  # argparse's usage errors
            status = exit_.code if isinstance(exit_.code, int) else 2
        captured = capfd.readouterr()
        return Outcome(status, captured.out, captured.err)

    return run
