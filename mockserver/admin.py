"""The admin API under `/__admin/` (WireMock's shape): health, the request journal, reset, and the specs.

Admin calls from loopback clients are always allowed; from anywhere else they need the admin token
(`JOURNEYMOCK_ADMIN_TOKEN`) as `Authorization: Bearer <token>`, and without a configured token they are refused.
"Loopback" also means the `Host` names this machine and no web page of another origin sent the request
(`Origin`), so a browser tab cannot reset or read the mock through DNS rebinding or a cross-site form.
"""

from __future__ import annotations

import hmac
import os
import socket
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver import __version__, jsonio
from mockserver.clock import format_instant
from mockserver.pipeline import ApiPipeline, is_loopback
from mockserver.specs import ApiSpec
from mockserver.store import StoreUnavailable

Endpoint = Callable[[Request], Awaitable[Response]]
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


class JSONResponse(Response):
    """Journal entries hold whatever clients sent (lone surrogates, huge integers): jsonio writes them all."""

    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return jsonio.encode(content)


def _is_loopback_name(authority: str | None) -> bool:
    """`Host`/`Origin` authority names this machine (so a web page cannot reach us by DNS rebinding)."""
    if not authority:
        return False
    host = authority.rsplit("]", 1)[0] + "]" if authority.startswith("[") else authority.split(":", 1)[0]
    return host in LOOPBACK_NAMES or is_loopback(host)


def replica_name() -> str:
    """Which server process answered: `host:pid` (several replicas, or workers, share one store)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def admin_routes(pipeline: ApiPipeline, specs: dict[str, ApiSpec]) -> list[Route]:
    config = pipeline.config
    store = pipeline.store

    def guarded(endpoint: Endpoint) -> Endpoint:
        async def check(request: Request) -> Response:
            client = request.client.host if request.client else None
            origin = request.headers.get("origin")
            if not is_loopback(client):
                refusal = "is open to non-loopback clients only with the admin token"
            elif not _is_loopback_name(request.headers.get("host")):
                refusal = "is open to a Host header naming another machine only with the admin token"
            elif origin is not None and not _is_loopback_name(origin.split("://", 1)[-1]):
                refusal = "is open to web pages of another origin only with the admin token"
            else:
                refusal = ""
            if refusal:
                token = config.admin_token
                offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
                if not token or not hmac.compare_digest(offered.encode(), token.encode()):
                    hint = "" if token else " (start the server with JOURNEYMOCK_ADMIN_TOKEN set)"
                    return JSONResponse({"error": f"The admin API {refusal}{hint}"}, status_code=403)
            return await endpoint(request)

        return check

    async def health(_request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "apis": list(specs),
                "seed": config.seed,
                "now": format_instant(config.now) if config.now else None,
                "state": store.location,
                "store": {"kind": store.kind, "location": store.location},
                "replica": replica_name(),
                "journal": {"entries": len(pipeline.journal), "capacity": config.journal_size},
            }
        )

    async def requests(request: Request) -> Response:
        entries = pipeline.journal.entries()
        for key, attribute in (("api", "api"), ("operationId", "operation_id"), ("status", "status")):
            wanted = request.query_params.get(key)
            if wanted is not None:
                entries = [entry for entry in entries if str(getattr(entry, attribute)) == wanted]
        return JSONResponse({"requests": [entry.to_dict() for entry in entries], "total": len(entries)})

    async def clear_requests(_request: Request) -> Response:
        pipeline.journal.clear()
        return Response(status_code=204)

    async def reset(_request: Request) -> Response:
        # The journal and the rate-limit buckets are this process's own; the store is shared by every replica.
        pipeline.journal.clear()
        pipeline.faults.reset()
        try:
            if store.blocking:
                await run_in_threadpool(store.clear)
            else:
                store.clear()
        except StoreUnavailable as error:
            return JSONResponse({"error": error.message}, status_code=error.status, headers=dict(error.headers))
        return Response(status_code=204)

    async def spec(request: Request) -> Response:
        name = request.path_params["api"]
        if name not in specs:
            return JSONResponse({"error": f"API {name!r} is not served; served: {', '.join(specs)}"}, status_code=404)
        return JSONResponse(specs[name].document)

    return [
        Route("/health", guarded(health), methods=["GET"]),
        Route("/requests", guarded(requests), methods=["GET"]),
        Route("/requests", guarded(clear_requests), methods=["DELETE"]),
        Route("/reset", guarded(reset), methods=["POST"]),
        Route("/specs/{api}", guarded(spec), methods=["GET"]),
    ]
