"""The admin API under `/__admin/` (WireMock's shape): health, the request journal, reset, the clock, and the specs.

Admin calls from loopback clients are always allowed; from anywhere else they need the admin token
(`JOURNEYMOCK_ADMIN_TOKEN`) as `Authorization: Bearer <token>`, and without a configured token they are refused.
"Loopback" also means the `Host` names this machine and no web page of another origin sent the request
(`Origin`), so a browser tab cannot reset or read the mock through DNS rebinding or a cross-site form.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from mockserver import jsonio
from mockserver.clock import parse_instant
from mockserver.config import parse_duration
from mockserver.core import ClockError, ClockState, Mock
from mockserver.pipeline import is_loopback
from mockserver.store import StoreUnavailable

Endpoint = Callable[[Request], Awaitable[Response]]
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
ADMIN_PREFIX = "/__admin"
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


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


def admin_routes(mock: Mock) -> list[BaseRoute]:
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
                token = mock.config.admin_token
                offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
                if not token or not hmac.compare_digest(offered.encode(), token.encode()):
                    hint = "" if token else " (start the server with JOURNEYMOCK_ADMIN_TOKEN set)"
                    return _error(403, f"The admin API {refusal}{hint}")
            return await endpoint(request)

        return check

    async def health(_request: Request) -> Response:
        return JSONResponse(mock.health())

    async def requests(request: Request) -> Response:
        try:
            query = mock.journal_query(request.query_params)
        except ValueError as error:
            return _error(400, f"Bad journal filter: {error}")
        entries = mock.requests(query)
        return JSONResponse({"requests": [entry.to_dict() for entry in entries], "total": len(entries)})

    async def clear_requests(_request: Request) -> Response:
        mock.clear_journal()
        return Response(status_code=204)

    async def reset(_request: Request) -> Response:
        # The journal and the rate-limit buckets are this process's own; the store is shared by every replica.
        try:
            if mock.store.blocking:
                await run_in_threadpool(mock.reset)
            else:
                mock.reset()
        except StoreUnavailable as error:
            return _error(error.status, error.message, dict(error.headers))
        return Response(status_code=204)

    async def clock(_request: Request) -> Response:
        return JSONResponse(mock.clock_state().to_dict())

    async def move_clock(request: Request) -> Response:
        try:
            state = _move_clock(mock, jsonio.decode(await request.body()))
        except ClockError as error:
            return _error(409, str(error))
        except (ValueError, TypeError) as error:
            return _error(400, f"Bad clock move: {error}")
        return JSONResponse(state.to_dict())

    async def spec(request: Request) -> Response:
        try:
            return JSONResponse(mock.spec_document(request.path_params["api"]))
        except LookupError as error:
            return _error(404, str(error.args[0]))

    routes = [
        Route("/health", guarded(health), methods=["GET"]),
        Route("/requests", guarded(requests), methods=["GET"]),
        Route("/requests", guarded(clear_requests), methods=["DELETE"]),
        Route("/reset", guarded(reset), methods=["POST"]),
        Route("/clock", guarded(clock), methods=["GET"]),
        Route("/clock", guarded(move_clock), methods=["POST"]),
        Route("/specs/{api}", guarded(spec), methods=["GET"]),
    ]
    return [*routes, Route("/{rest:path}", guarded(_unknown_admin_route(routes)), methods=list(ALL_METHODS))]


_CLOCK_MOVES = 'send {"now": ISO8601} or {"advance": ISO8601 duration}, and "allow_rewind": true to go back'


def _move_clock(mock: Mock, request: Any) -> ClockState:
    """`POST /__admin/clock`: `{"now": "2026-05-21T18:00:00Z"}` or `{"advance": "PT2H"}`, optionally with
    `"allow_rewind": true`; `ValueError` saying what is expected, `ClockError` for a refused move."""
    if not isinstance(request, dict) or len({"now", "advance"} & request.keys()) != 1:
        raise ValueError(_CLOCK_MOVES)
    unknown = sorted(request.keys() - {"now", "advance", "allow_rewind"})
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}; {_CLOCK_MOVES}")
    allow_rewind = request.get("allow_rewind", False)
    if not isinstance(allow_rewind, bool):
        raise ValueError("allow_rewind must be true or false")
    if not isinstance(request.get("now", request.get("advance")), str):
        raise ValueError(f"the value must be text; {_CLOCK_MOVES}")
    if "advance" in request:
        if allow_rewind:
            raise ValueError("allow_rewind goes with now, not with advance")
        return mock.advance(parse_duration(request["advance"]))
    return mock.set_clock(parse_instant(request["now"]), allow_rewind=allow_rewind)


def _unknown_admin_route(routes: list[Route]) -> Endpoint:
    """What is not an admin route, or not with this method: JSON like the rest of the admin API."""
    listing = ", ".join(
        f"{method} {ADMIN_PREFIX}{route.path}"
        for route in routes
        for method in sorted(route.methods or ())
        if method != "HEAD"
    )

    async def unknown(request: Request) -> Response:
        allowed: set[str] = set()
        for route in routes:
            match, _scope = route.matches(request.scope)
            if match is not Match.NONE:
                allowed |= route.methods or set()
        if allowed:
            methods = ", ".join(sorted(allowed))
            return _error(
                405,
                f"Method {request.method} is not allowed on {request.url.path}; allowed: {methods}",
                {"Allow": methods},
            )
        return _error(404, f"No admin endpoint {request.url.path}; endpoints: {listing}")

    return unknown


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
