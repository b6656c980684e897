"""Assembling the Starlette application from the configuration and the loaded specs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from mockserver.admin import admin_routes
from mockserver.apis import BEHAVIOURS
from mockserver.clock import Clock, FixedClock, SystemClock
from mockserver.config import ADMIN_TOKEN_ENV, ServerConfig
from mockserver.faults import FaultInjector
from mockserver.journal import RequestJournal
from mockserver.pipeline import ApiPipeline, oversized_head
from mockserver.simulation import warm_up
from mockserver.specs import ApiSpec, load_specs
from mockserver.store import JourneyStore, open_store

ADMIN_PREFIX = "/__admin"
_ADMIN_PATHS = ADMIN_PREFIX + "/"


def build_pipeline(
    config: ServerConfig,
    *,
    specs: Mapping[str, ApiSpec] | None = None,
    clock: Clock | None = None,
    store: JourneyStore | None = None,
) -> ApiPipeline:
    loaded = dict(specs) if specs is not None else dict(load_specs(config.apis))
    return ApiPipeline(
        config=config,
        specs=loaded,
        behaviours=BEHAVIOURS,
        clock=clock or (FixedClock(config.now) if config.now else SystemClock()),
        store=store if store is not None else open_store(config.state_path),
        journal=RequestJournal(config.journal_size),
        faults=FaultInjector(
            seed=config.seed,
            latency=config.latency,
            error_rate=config.error_rate,
            rate_limit=config.rate_limit,
        ),
    )


class JourneymockApp:
    """The outermost ASGI app: API requests go straight to the pipeline (the hot path skips Starlette's
    router and middleware, ~10 µs a request); the admin API and lifespan events go through Starlette."""

    def __init__(self, starlette: Starlette, pipeline: ApiPipeline, *, admin: bool) -> None:
        self.starlette = starlette
        self.pipeline = pipeline
        self.state = starlette.state
        self._admin = admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not (
            self._admin and scope["path"].startswith(_ADMIN_PATHS) and oversized_head(scope) is None
        ):
            # The APIs, and any request too large for the mock (admin calls included): the pipeline answers it.
            await self.pipeline(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)


def create_app(config: ServerConfig | None = None, *, clock: Clock | None = None) -> JourneymockApp:
    """The mock as an ASGI app: the three APIs at their real paths, and the admin API unless disabled."""
    config = config or ServerConfig()
    if config.admin_token is None and os.environ.get(ADMIN_TOKEN_ENV):
        config = replace(config, admin_token=os.environ[ADMIN_TOKEN_ENV])
    specs = dict(load_specs(config.apis))
    pipeline = build_pipeline(config, specs=specs, clock=clock)
    # Build the text pools now, not on the first request (~0.3 s once per process).
    warm_up()
    routes: list[Route | Mount] = []
    if config.admin:
        routes.append(Mount(ADMIN_PREFIX, routes=admin_routes(pipeline, specs)))
    routes.append(Route("/{path:path}", pipeline))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            pipeline.store.close()

    starlette = Starlette(routes=routes, lifespan=lifespan)
    starlette.state.pipeline = pipeline
    return JourneymockApp(starlette, pipeline, admin=config.admin)
