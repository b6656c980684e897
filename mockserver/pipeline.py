"""The request pipeline for the three APIs, as one raw ASGI application.

route → preferences → faults → authenticate → validate → handler (or canned answer) → self-validate → send.
Every step either passes the request on or produces an `ApiError`, rendered in the API's own error style. It is
raw ASGI rather than Starlette's Request/Response because this is the hot path: a journey GET does a prefix
match that leads straight to its prepared `Endpoint`, one header dict, one handler call and one `orjson.dumps`.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from mockserver import jsonio
from mockserver.auth import CHALLENGE, Authenticator
from mockserver.clock import Clock
from mockserver.config import ServerConfig
from mockserver.errors import ApiError, ErrorStyle, reason_phrase
from mockserver.exchange import ApiBehaviour, ApiResponse, Handler, RequestContext
from mockserver.faults import FaultInjector
from mockserver.journal import JOURNAL_NOTE, JournalRecord, RequestJournal
from mockserver.prefer import (
    NO_PREFERENCES,
    Preferences,
    parse_prefer_header,
    resolve_preferences,
    split_control_query,
)
from mockserver.routing import MethodNotAllowed, NoRoute, RouteMatch, RouteTable
from mockserver.specs import ApiSpec, Operation
from mockserver.store import JourneyStore
from mockserver.validation import RequestValidator, ResponseValidator, header_text

logger = logging.getLogger("journeymock")

JSON_CONTENT_TYPE = (b"content-type", b"application/json")
#: The longest request target (path and query string) served; a longer one is answered 414.
MAX_TARGET_BYTES = 8 * 1024
#: The largest header block (every `name: value` line) served; a larger one is answered 431.
MAX_HEADER_BYTES = 16 * 1024
#: Request bodies larger than this are journalled by size only.
JOURNAL_BODY_LIMIT = 16 * 1024
#: Headers that documented error statuses carry, for answers forced with `Prefer: code=`.
ERROR_HEADERS: Mapping[int, Mapping[str, str]] = {
    401: CHALLENGE,
    429: {"Retry-After": "1", "X-RateLimit-Limit": "0", "X-RateLimit-Remaining": "0"},
    503: {"Retry-After": "1"},
}


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        # Connection: close — a client streaming a huge body learns at once that the rest is not wanted.
        super().__init__(
            413, f"The request body is larger than {limit} bytes", headers={"Connection": "close"}, control=True
        )


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One operation, ready to serve: what a request to it needs, found once at start-up so that routing
    leads straight here."""

    operation: Operation
    behaviour: ApiBehaviour
    authenticator: Authenticator
    request_validator: RequestValidator
    response_validator: ResponseValidator
    handler: Handler
    #: The handler touches a store that blocks, so it runs off the event loop.
    offloaded: bool


class ApiPipeline:
    """Serves every operation of the loaded specs with the behaviour of its API."""

    def __init__(
        self,
        *,
        config: ServerConfig,
        specs: Mapping[str, ApiSpec],
        behaviours: Mapping[str, ApiBehaviour],
        clock: Clock,
        epoch: datetime,
        store: JourneyStore,
        journal: RequestJournal,
        faults: FaultInjector,
    ) -> None:
        self.config = config
        self.clock = clock
        self.epoch = epoch
        self.store = store
        self.journal = journal
        self.faults = faults
        self.behaviours = {name: behaviours[name] for name in specs}
        authenticators = {
            name: Authenticator(name, behaviour.token_policy, config.tokens, specs[name].scopes)
            for name, behaviour in self.behaviours.items()
        }
        endpoints: list[tuple[str, str, str, Endpoint]] = []
        for spec in specs.values():
            claimed = set(self.behaviours[spec.name].handlers)
            documented = {operation.operation_id for operation in spec.operations}
            if documented - claimed:
                raise ValueError(
                    f"{spec.name}: operations without a handler: {', '.join(sorted(documented - claimed))}"
                )
            if claimed - documented:
                raise ValueError(
                    f"{spec.name}: handlers for unknown operations: {', '.join(sorted(claimed - documented))}"
                )
            behaviour = self.behaviours[spec.name]
            for operation in spec.operations:
                endpoint = Endpoint(
                    operation=operation,
                    behaviour=behaviour,
                    authenticator=authenticators[spec.name],
                    request_validator=RequestValidator(operation),
                    response_validator=ResponseValidator(operation),
                    handler=behaviour.handlers[operation.operation_id],
                    offloaded=store.blocking and behaviour.uses_store,
                )
                endpoints.append((spec.name, operation.path, operation.method, endpoint))
        self.table = RouteTable(endpoints)
        self._validate_responses = config.validate_responses
        self._path_styles = _path_styles(specs, self.behaviours)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method: str = scope["method"]
        path: str = scope["path"]
        raw_path: bytes | None = scope.get("raw_path")
        raw_headers = scope["headers"]
        # ASGI header names are lower-case bytes; values are decoded only where they are read.
        headers: dict[bytes, bytes] = dict(raw_headers)
        refusal = oversized_head(scope)
        match = self.table.match(method, raw_path.decode("latin-1") if raw_path is not None else path)
        api: str | None = None
        operation_id: str | None = None
        body: Any = None
        problems: tuple[str, ...] = ()
        control = False
        if refusal is not None:
            # Before any operation: the request is refused for its size, whatever it asks.
            answer = _error(self._style_for_path(path), refusal.status, refusal.message)
        elif isinstance(match, RouteMatch):
            endpoint = match.endpoint
            api, operation_id = endpoint.operation.api, endpoint.operation.operation_id
            try:
                answer, body = await self._answer(scope, receive, headers, match.path_params, endpoint)
            except ApiError as error:
                answer = _error(endpoint.behaviour.error_style, error.status, error.message, error.headers)
                control = error.control
            except Exception as error:  # a bug: answer loudly, keep serving
                logger.exception("journeymock failed on %s %s", method, path)
                message = f"journeymock internal error: {type(error).__name__}: {error}"
                answer = _error(endpoint.behaviour.error_style, 500, message)
                control = True
                problems = (message,)
            if self._validate_responses and not control:
                found = endpoint.response_validator.problems(answer.status, answer.body)
                if found:
                    problems = tuple(str(problem) for problem in found)
                    logger.error(
                        "journeymock emitted a response its own spec rejects (%s %s → %s): %s",
                        method,
                        path,
                        answer.status,
                        "; ".join(problems),
                    )
                    message = "journeymock emitted a response its own spec rejects: " + "; ".join(problems)
                    answer = _error(endpoint.behaviour.error_style, 500, message)
        elif isinstance(match, MethodNotAllowed):
            api = match.api
            message = f"Method {method} is not allowed here; allowed: {', '.join(match.allowed)}"
            allow = {"Allow": ", ".join(match.allowed)}
            answer = _error(self.behaviours[api].error_style, 405, message, allow)
        else:
            answer = self._no_route(match)
        payload = jsonio.encode(answer.body)
        response_headers = [JSON_CONTENT_TYPE, (b"content-length", str(len(payload)).encode())]
        if answer.headers:
            response_headers.extend((name.lower().encode(), value.encode()) for name, value in answer.headers.items())
        duration = (time.perf_counter() - started) * 1000
        # Recorded before sending: a client that reads the journal after its answer must find its request.
        self.journal.record(
            JournalRecord(
                method=method,
                path=path,
                query=scope["query_string"],
                headers=raw_headers,
                api=api,
                operation_id=operation_id,
                status=answer.status,
                duration_ms=duration,
                problems=problems,
                body=body,
                response_headers=answer.headers,
                response_payload=payload,
                note=scope.get(JOURNAL_NOTE),
            )
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s → %s (%.1f ms)", method, path, answer.status, duration)
        await send({"type": "http.response.start", "status": answer.status, "headers": response_headers})
        await send({"type": "http.response.body", "body": payload})

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        headers: Mapping[bytes, bytes],
        path_params: Mapping[str, str],
        endpoint: Endpoint,
    ) -> tuple[ApiResponse, Any]:
        operation = endpoint.operation
        behaviour = endpoint.behaviour
        query_string: bytes = scope["query_string"]
        own_query: list[tuple[str, str]] = []
        raw_preferences: dict[str, str] = {}
        if query_string:
            query = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
            own_query, raw_preferences = split_control_query(query)
        prefer = header_text(headers, b"prefer")
        if prefer:
            raw_preferences.update(parse_prefer_header(prefer))
        preferences = (
            resolve_preferences(raw_preferences, operation, behaviour.archetypes) if raw_preferences else NO_PREFERENCES
        )
        credentials = header_text(headers, b"authorization")
        if self.faults.active or preferences.latency_ms is not None:
            self.faults.check_rate(f"{operation.api}:{credentials or ''}")
            await self.faults.delay(preferences.latency_ms)
            self.faults.maybe_fail()
        principal = endpoint.authenticator.authenticate(credentials, operation)
        validator = endpoint.request_validator
        params, problems = validator.parameters(path_params, own_query, headers)
        body: Any = None
        journal_body: Any = None
        if validator.expects_body:
            raw = await self._read_body(receive, headers)
            body, body_problems = validator.body(raw, header_text(headers, b"content-type"))
            problems.extend(body_problems)
            # The journal is bounded in entries; bounding each entry keeps its memory bounded too.
            journal_body = body if len(raw) <= JOURNAL_BODY_LIMIT else f"<{len(raw)} bytes, not kept in the journal>"
        if problems:
            raise ApiError(400, behaviour.invalid_request_message(problems))
        if preferences is not NO_PREFERENCES:
            canned = self._canned(operation, preferences, behaviour, path_params)
            if canned is not None:
                return canned, journal_body
        seed = preferences.seed if preferences.seed is not None else self.config.seed
        context = RequestContext(
            operation=operation,
            params=params,
            body=body,
            principal=principal,
            preferences=preferences,
            seed=seed,
            now=self.clock.now(),
            epoch=self.epoch,
            store=self.store,
        )
        if endpoint.offloaded:
            return await run_in_threadpool(endpoint.handler, context), journal_body
        return endpoint.handler(context), journal_body

    def _canned(
        self,
        operation: Operation,
        preferences: Preferences,
        behaviour: ApiBehaviour,
        path_params: Mapping[str, str],
    ) -> ApiResponse | None:
        """Static answers asked for with `Prefer: example=`, `code=` or `dynamic=false`."""
        if preferences.example is not None:
            for status_text, documented in operation.responses.items():
                if preferences.example in documented.examples:
                    status = int(status_text)
                    return ApiResponse(status, documented.examples[preferences.example], ERROR_HEADERS.get(status, {}))
        code = preferences.code
        if code is not None and code >= 300:
            response = operation.responses[str(code)]
            if response.examples:
                value = next(iter(response.examples.values()))
            elif code == 404:
                value = behaviour.error_style.body(code, behaviour.not_found_message(operation, path_params))
            else:
                value = behaviour.error_style.body(code, f"{reason_phrase(code)} (asked for with Prefer code={code})")
            return ApiResponse(code, value, ERROR_HEADERS.get(code, {}))
        if not preferences.dynamic:
            statuses = [code] if code is not None else [int(s) for s in operation.responses if s.startswith("2")]
            for status in statuses:
                examples = operation.responses[str(status)].examples
                if examples:
                    return ApiResponse(status, next(iter(examples.values())))
        return None

    async def _read_body(self, receive: Receive, headers: Mapping[bytes, bytes]) -> bytes:
        return await read_body(receive, headers, self.config.max_body_bytes)

    def _no_route(self, match: NoRoute) -> ApiResponse:
        style = self._style_for_path(match.path)
        message = f"No operation at {match.path}" + (f": {match.reason}" if match.reason else "")
        return _error(style, 404, message)

    def _style_for_path(self, path: str) -> ErrorStyle:
        """The style of the API whose paths share the most leading segments with this one."""
        segments = path.strip("/").split("/")
        best: tuple[int, ErrorStyle] = (0, ErrorStyle.SIMPLE)
        for prefix, style in self._path_styles:
            shared = 0
            for mine, theirs in zip(segments, prefix.strip("/").split("/"), strict=False):
                if mine != theirs:
                    break
                shared += 1
            if shared > best[0]:
                best = (shared, style)
        return best[1]


async def read_body(receive: Receive, headers: Mapping[bytes, bytes], limit: int) -> bytes:
    """A request's whole body, at most `limit` bytes (`BodyTooLarge` beyond: the rest is never buffered)."""
    declared = headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            # Stop reading: the rest of an oversized body is never buffered.
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def oversized_head(scope: Scope) -> ApiError | None:
    """A 414 for a request target (path and query string) over `MAX_TARGET_BYTES`, a 431 for a header block
    over `MAX_HEADER_BYTES`, or None for a request of a size the mock serves."""
    raw_path: bytes | None = scope.get("raw_path")
    query: bytes = scope["query_string"]
    target = len(raw_path) if raw_path is not None else len(scope["path"].encode())
    if query:
        target += 1 + len(query)
    if target > MAX_TARGET_BYTES:
        return ApiError(414, f"The request target (path and query) is longer than {MAX_TARGET_BYTES} bytes")
    block = 0
    for name, value in scope["headers"]:
        block += len(name) + len(value) + 4  # `name: value` and its line end
    if block > MAX_HEADER_BYTES:
        return ApiError(431, f"The request's header fields are larger than {MAX_HEADER_BYTES} bytes together")
    return None


def _error(style: ErrorStyle, status: int, message: str, headers: Mapping[str, str] | None = None) -> ApiResponse:
    """An error answer in the API's own error shape."""
    return ApiResponse(status, style.body(status, message), headers or {})


def _path_styles(specs: Mapping[str, ApiSpec], behaviours: Mapping[str, ApiBehaviour]) -> list[tuple[str, ErrorStyle]]:
    """Each API's literal path prefixes, so a 404 for an unknown path speaks the nearest API's error style."""
    prefixes = []
    for name, spec in specs.items():
        for operation in spec.operations:
            literal = operation.path.split("{", 1)[0]
            prefixes.append((literal.rstrip("/"), behaviours[name].error_style))
    return prefixes


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
