"""Assembling the Starlette application from the configuration and the loaded specs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from mockserver.admin import ADMIN_PREFIX, admin_routes
from mockserver.clock import Clock
from mockserver.config import ADMIN_TOKEN_ENV, ServerConfig
from mockserver.core import Mock
from mockserver.pipeline import oversized_head
from mockserver.replay import Replay
from mockserver.simulation import warm_up

_ADMIN_PATHS = ADMIN_PREFIX + "/"


class JourneymockApp:
    """The outermost ASGI app: API requests go straight to the pipeline (the hot path skips Starlette's
    router and middleware, ~10 µs a request); the admin API and lifespan events go through Starlette."""

    def __init__(self, starlette: Starlette, mock: Mock, api: ASGIApp | None = None) -> None:
        self.starlette = starlette
        self.mock = mock
        # The pipeline object lives as long as the mock (clock and fault changes happen inside it); the proxy
        # puts itself in its place.
        self._pipeline = api or mock.pipeline
        self._admin = mock.config.admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not (
            self._admin and scope["path"].startswith(_ADMIN_PATHS) and oversized_head(scope) is None
        ):
            # The APIs, and any request too large for the mock (admin calls included): the pipeline answers it.
            await self._pipeline(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)


ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def create_app(config: ServerConfig | None = None, *, clock: Clock | None = None) -> JourneymockApp:
    """The mock as an ASGI app: the three APIs at their real paths, and the admin API unless disabled."""
    mock = open_mock(config, clock=clock)
    replay = Replay(mock.pipeline, mock.config.replay) if mock.config.replay is not None else None
    return assemble(mock, replay)


def open_mock(config: ServerConfig | None = None, *, clock: Clock | None = None) -> Mock:
    """The `Mock` a served app drives, with the admin token from the environment when none is configured."""
    config = config or ServerConfig()
    if config.admin_token is None and os.environ.get(ADMIN_TOKEN_ENV):
        config = replace(config, admin_token=os.environ[ADMIN_TOKEN_ENV])
    mock = Mock(config, clock=clock)
    # Build the text pools now, not on the first request (~0.3 s once per process).
    warm_up()
    return mock


def assemble(
    mock: Mock, api: ASGIApp | None = None, on_close: Callable[[], Awaitable[None]] | None = None
) -> JourneymockApp:
    """The served app over `mock`: `api` (the mock's pipeline by default) answers the APIs, Starlette the admin
    API; `on_close` runs when the app shuts down."""
    routes: list[Route | Mount] = []
    if mock.config.admin:
        routes.append(Mount(ADMIN_PREFIX, routes=admin_routes(mock)))
    routes.append(Route("/{path:path}", api or mock.pipeline))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if on_close is not None:
                await on_close()
            mock.close()

    return JourneymockApp(Starlette(routes=routes, lifespan=lifespan), mock, api)
