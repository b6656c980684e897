"""Assembling the Starlette application from the configuration and the loaded specs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
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
from mockserver.simulation import warm_up

_ADMIN_PATHS = ADMIN_PREFIX + "/"


class JourneymockApp:
    """The outermost ASGI app: API requests go straight to the pipeline (the hot path skips Starlette's
    router and middleware, ~10 µs a request); the admin API and lifespan events go through Starlette."""

    def __init__(self, starlette: Starlette, mock: Mock) -> None:
        self.starlette = starlette
        self.mock = mock
        # The pipeline object lives as long as the mock (clock and fault changes happen inside it).
        self._pipeline = mock.pipeline
        self._admin = mock.config.admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not (
            self._admin and scope["path"].startswith(_ADMIN_PATHS) and oversized_head(scope) is None
        ):
            # The APIs, and any request too large for the mock (admin calls included): the pipeline answers it.
            await self._pipeline(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)


def create_app(config: ServerConfig | None = None, *, clock: Clock | None = None) -> JourneymockApp:
    """The mock as an ASGI app: the three APIs at their real paths, and the admin API unless disabled."""
    config = config or ServerConfig()
    if config.admin_token is None and os.environ.get(ADMIN_TOKEN_ENV):
        config = replace(config, admin_token=os.environ[ADMIN_TOKEN_ENV])
    mock = Mock(config, clock=clock)
    # Build the text pools now, not on the first request (~0.3 s once per process).
    warm_up()
    routes: list[Route | Mount] = []
    if config.admin:
        routes.append(Mount(ADMIN_PREFIX, routes=admin_routes(mock)))
    routes.append(Route("/{path:path}", mock.pipeline))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            mock.close()

    return JourneymockApp(Starlette(routes=routes, lifespan=lifespan), mock)
