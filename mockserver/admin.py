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
from mockserver.config import ServerConfig, parse_duration, parse_seed
from mockserver.core import ClockError, ClockState, Faults, Mock
from mockserver.pipeline import is_loopback
from mockserver.settings import SettingError, declared
from mockserver.store import StoreUnavailable
from mockserver.webui import ui_routes

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


def _guarded(mock: Mock, endpoint: Endpoint) -> Endpoint:
    """`endpoint`, answered only to loopback callers (see the module's docstring) or with the admin token."""

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


def admin_routes(mock: Mock) -> list[BaseRoute]:
    def guarded(endpoint: Endpoint) -> Endpoint:
        return _guarded(mock, endpoint)

    async def health(_request: Request) -> Response:
        return JSONResponse(mock.health())

    async def requests(request: Request) -> Response:
        try:
            query = mock.journal_query(request.query_params)
        except ValueError as error:
            return _error(400, f"Bad journal filter: {error}")
        entries = mock.requests(query)
        # `oldest`: the oldest id the journal still keeps, so a poller asking `since=` knows what was dropped.
        return JSONResponse(
            {
                "requests": [entry.to_dict() for entry in entries],
                "total": len(entries),
                "oldest": mock.journal.oldest_id(),
            }
        )

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
        *page_routes(mock, guarded),
    ]
    unknown = _unknown_admin_route(routes)
    return [
        *ui_routes(fallback=guarded(unknown)),
        *routes,
        Route("/{rest:path}", guarded(unknown), methods=list(ALL_METHODS)),
    ]


# Endpoints the web page uses (and scripts may) -------------------------------------------------------------------


def page_routes(mock: Mock, guarded: Callable[[Endpoint], Endpoint]) -> list[Route]:
    """A journal entry with its operation, the faults and the journey explorer (the clock is the admin API's)."""
    return [
        Route("/requests/{entry_id}", guarded(_journal_entry(mock)), methods=["GET"]),
        Route("/faults", guarded(_faults(mock)), methods=["GET", "POST"]),
        Route("/journeys", guarded(_archetypes(mock)), methods=["GET"]),
        Route("/journeys/{api}/{journey_id}", guarded(_explorer(mock)), methods=["GET"]),
    ]


def _journal_entry(mock: Mock) -> Endpoint:
    async def entry(request: Request) -> Response:
        text = request.path_params["entry_id"]
        if not (text.isascii() and text.isdigit()):
            return _error(400, f"A journal entry id is a whole number, got {text[:40]!r}")
        try:
            found = mock.journal_entry(int(text))
        except LookupError as error:
            return _error(404, str(error.args[0]))
        operation = mock.operation_of(found)
        described = None
        if operation is not None:
            described = {
                "api": operation.api,
                "operationId": operation.operation_id,
                "method": operation.method,
                "path": operation.path,
                "summary": operation.raw.get("summary"),
                "description": operation.raw.get("description"),
                "statuses": sorted(operation.responses),
            }
        return JSONResponse({**found.to_dict(), "operation": described})

    return entry


#: The faults as `GET|POST /__admin/faults` speak of them, and the server settings each one is.
FAULT_SETTINGS = ("latency", "error_rate", "rate_limit")


def _faults_json(faults: Faults) -> dict[str, Any]:
    latency = faults.latency
    return {
        "latency": [latency.low_ms, latency.high_ms] if latency is not None else None,
        "error_rate": faults.error_rate,
        "rate_limit": faults.rate_limit,
    }


def _faults(mock: Mock) -> Endpoint:
    """GET: the faults in force. POST a JSON object with any of `latency` (ms: `50`, `[10, 200]` or `"10-200"`),
    `error_rate` (0 to 1) and `rate_limit` (requests per second: `20` or `"20/s"`); null turns one off."""
    items = {item.name: item for item in declared(ServerConfig) if item.name in FAULT_SETTINGS}

    async def faults(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(_faults_json(mock.current_faults))
        changes = await _json_object(request)
        if isinstance(changes, Response):
            return changes
        unknown = sorted(set(changes) - set(FAULT_SETTINGS))
        if unknown:
            return _error(400, f"Unknown fault {unknown[0]!r}; faults: {', '.join(FAULT_SETTINGS)}")
        values: dict[str, Any] = {}
        for name, value in changes.items():
            if value is None:
                values[name] = 0.0 if name == "error_rate" else None
                continue
            try:
                values[name] = items[name].take(value)
            except SettingError as error:
                return _error(400, f"Bad {name}: {str(error).rsplit(': ', 1)[-1]}")
        return JSONResponse(_faults_json(mock.set_faults(**values)))

    return faults


def _archetypes(mock: Mock) -> Endpoint:
    async def archetypes(_request: Request) -> Response:
        return JSONResponse({"archetypes": mock.generated_archetypes()})

    return archetypes


def _explorer(mock: Mock) -> Endpoint:
    """A generated journey: `GET /__admin/journeys/{api}/{journey_id}[?seed=&archetype=]`."""

    async def explore(request: Request) -> Response:
        params = request.query_params
        unknown = sorted(set(params) - {"seed", "archetype"})
        if unknown:
            return _error(400, f"Unknown parameter {unknown[0]!r}; parameters: seed, archetype")
        try:
            seed = parse_seed(params["seed"]) if params.get("seed") else None
            explored = mock.explore_journey(
                request.path_params["api"],
                request.path_params["journey_id"],
                seed=seed,
                archetype=params.get("archetype") or None,
            )
        except LookupError as error:
            return _error(404, str(error.args[0]))
        except ValueError as error:
            return _error(400, str(error))
        return JSONResponse(explored)

    return explore


async def _json_object(request: Request) -> dict[str, Any] | Response:
    """The request's body as a JSON object, or the 400 to answer."""
    try:
        value = jsonio.decode(await request.body())
    except jsonio.InvalidJson as error:
        return _error(400, f"The body is not JSON: {error}")
    if not isinstance(value, dict):
        return _error(400, "The body must be a JSON object")
    return value


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
