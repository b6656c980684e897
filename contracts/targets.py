"""Where the contract requests go: the mock app in-process (no sockets) or a base URL.

A target only says how to reach the server and what it knows about time; what is sent and what is checked is
the same for both, so a departure found against a live vendor means the same as one found against the mock.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, Protocol
from urllib.parse import urlsplit

from journeymock.contracts.settings import printable_url
from mockserver.clock import parse_instant
from mockserver.vendors import BASE_URL_VARIABLES, TEST_NOW

if TYPE_CHECKING:
    from schemathesis import BaseSchema
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from journeymock.contracts.settings import ContractSettings

#: The in-process mock runs at a fixed instant, so its bodies (and any failure) depend on the seed alone.
MOCK_NOW: Final = parse_instant(TEST_NOW)


class Target(Protocol):
    name: str

    def attach(self, schema: BaseSchema, api: str) -> None:
        """Point the schema's requests at this target."""
        ...

    def describe(self, api: str) -> str:
        """Where requests for `api` go, for the report."""
        ...

    def now(self) -> datetime | None:
        """The target's clock when known (time-dependent invariants use it); None means "about now"."""
        ...

    def implements_inferences(self, api: str) -> bool:
        """Whether the target is journeymock itself, which implements every inference it states."""
        ...


class MockTarget:
    """The mock app, in-process, validating its own responses against the specs (a bad body becomes a 500)."""

    name = "mock"

    def __init__(self, settings: ContractSettings) -> None:
        from mockserver.app import create_app
        from mockserver.config import ServerConfig

        self.app: ASGIApp = create_app(
            ServerConfig(apis=settings.apis, seed=settings.seed, now=MOCK_NOW, validate_responses=True)
        )

    def attach(self, schema: BaseSchema, api: str) -> None:
        schema.app = _AsServed(self.app)

    def describe(self, api: str) -> str:
        return "in-process mock"

    def now(self) -> datetime | None:
        return MOCK_NOW

    def implements_inferences(self, api: str) -> bool:
        return True


class _AsServed:
    """The app as a server presents it: an exception escaping the app is a 500 response, as uvicorn sends,
    not an exception in the caller (which is what an in-process client would otherwise raise). So a crash in
    the mock is reported by `not_a_server_error` with the request that caused it, like on any other target.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if scope["type"] != "http" or started:
                return
            body = b"Internal Server Error"
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"21")],
                }
            )
            await send({"type": "http.response.body", "body": body})


@dataclass
class UrlTarget:
    """Any server reachable over HTTP: a vendor, or the mock served on a port."""

    base_urls: dict[str, str]
    name: str = "live"

    def attach(self, schema: BaseSchema, api: str) -> None:
        schema.config.update(base_url=self.base_urls[api])

    def describe(self, api: str) -> str:
        return printable_url(self.base_urls[api])

    def now(self) -> datetime | None:
        return None

    def implements_inferences(self, api: str) -> bool:
        return serves_journeymock(self.base_urls[api], api)


#: Hosts whose admin API may be asked who they are: a vendor is never sent a request outside its API.
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "::1", "localhost"})


def serves_journeymock(base_url: str, api: str, timeout: float = 2.0) -> bool:
    """A loopback base URL served by `journeymock serve` answers its admin health with the APIs it serves."""
    import httpx

    if urlsplit(base_url).hostname not in LOOPBACK_HOSTS:
        return False
    try:
        answer = httpx.get(f"{base_url}/__admin/health", timeout=timeout)
        health = answer.json() if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return False
    return isinstance(health, dict) and "version" in health and api in (health.get("apis") or [])


def unreachable(settings: ContractSettings, timeout: float = 5.0) -> str | None:
    """Why a live target cannot be reached (a wrong base URL is a configuration error, not a violation)."""
    if not settings.live:
        return None
    for api, url in settings.base_urls.items():
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            socket.create_connection((parts.hostname or "", port), timeout=timeout).close()
        except OSError as error:
            source = "--base-url" if settings.options.base_url else BASE_URL_VARIABLES[api]
            reason = error.strerror or str(error) or type(error).__name__
            return f"cannot reach {api} at {printable_url(url)} (from {source}): {reason}"
    return None


def make_target(settings: ContractSettings) -> Target:
    if settings.live:
        return UrlTarget(dict(settings.base_urls))
    return MockTarget(settings)
