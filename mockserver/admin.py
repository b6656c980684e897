"""The admin API under `/__admin/` (WireMock's shape): health, the request journal, reset, and the specs.

Admin calls from loopback clients are always allowed; from anywhere else they need the admin token
(`JOURNEYMOCK_ADMIN_TOKEN`) as `Authorization: Bearer <token>`, and without a configured token they are refused.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver import __version__
from mockserver.clock import format_instant
from mockserver.pipeline import ApiPipeline, is_loopback
from mockserver.specs import ApiSpec

Endpoint = Callable[[Request], Awaitable[Response]]


def admin_routes(pipeline: ApiPipeline, specs: dict[str, ApiSpec]) -> list[Route]:
    config = pipeline.config

    def guarded(endpoint: Endpoint) -> Endpoint:
        async def check(request: Request) -> Response:
            client = request.client.host if request.client else None
            if not is_loopback(client):
                token = config.admin_token
                offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
                if not token or not hmac.compare_digest(offered.encode(), token.encode()):
                    reason = "an admin token" if token else "JOURNEYMOCK_ADMIN_TOKEN to be set on the server"
                    return JSONResponse(
                        {"error": f"The admin API needs {reason} for non-loopback clients"}, status_code=403
                    )
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
                "state": str(config.state_path) if config.state_path else "memory",
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
        pipeline.journal.clear()
        pipeline.store.clear()
        pipeline.faults.reset()
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
