"""`journeymock proxy`: the three APIs at their real paths, each request forwarded to its vendor.

The proxy is transparent: the client's request goes to the configured upstream of its API as it was sent
(credentials included: the proxy holds none), and the upstream's status, headers and body come back unchanged,
plus one header counting the contract violations seen (`x-journeymock-violations`). It forwards only requests
the spec's route table recognises, only to the configured base URL of that API — never to a host the request
names — and reads at most `max_body_bytes` of either body. Connections to the upstreams are pooled
(`mockserver.upstream`, a lean HTTP/1.1 client: httpx's pool cost more CPU per exchange than the rest of the
proxy together).

Judging an exchange against the spec is not done here: a `ExchangeJudge` (the contracts package's, wired by the
command line) returns its findings, which go to the journal and the header; a `ExchangeRecorder` may keep the
exchange. When the upstream fails (unreachable, slower than the timeout, or a 5xx) the proxy answers 502/504
in the API's error shape, or — with `--fallback mock` — hands the request to the mock's own pipeline, whose
answer is marked `x-journeymock-source: mock` there and in the journal.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import quote, urlsplit

from starlette.types import Message, Receive, Scope, Send

from mockserver import jsonio
from mockserver.app import JourneymockApp, assemble, open_mock
from mockserver.config import ProxySettings, ServerConfig
from mockserver.core import Mock
from mockserver.errors import ErrorStyle
from mockserver.journal import JOURNAL_NOTE, MOCK_SOURCE, UPSTREAM_SOURCE, JournalNote, JournalRecord
from mockserver.pipeline import JOURNAL_BODY_LIMIT, BodyTooLarge, Endpoint, oversized_head, read_body
from mockserver.recording import CONNECTION_HEADERS, HarRecorder, har_entry, query_pairs, secret_values
from mockserver.replay import SOURCE_HEADER, body_receiver
from mockserver.routing import RouteMatch
from mockserver.specs import Operation
from mockserver.upstream import Origin, UpstreamFailure, UpstreamPool
from mockserver.vendors import BASE_URL_VARIABLES, DEFAULT_BASE_URLS

#: Response header: how many contract violations the exchange showed (a count only; details in the journal).
VIOLATIONS_HEADER: Final = "x-journeymock-violations"
#: Request headers that describe the connection to the proxy, not the request: never forwarded. The upstream is
#: asked for an unencoded answer, so the bytes validated are the bytes the client gets.
_REQUEST_HOP_HEADERS: Final = frozenset(
    {
        b"host",
        b"connection",
        b"keep-alive",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",
        b"accept-encoding",
        # The proxy has read the whole body already: an upstream's interim 100 Continue would only cost a round trip.
        b"expect",
    }
)


class UpstreamError(Exception):
    """The upstream gave no usable answer; `status` is what the client gets instead (502 or 504)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ProxiedRequest:
    """A request as the client sent it, routed to its operation."""

    operation: Operation
    method: str
    #: The path as sent, still percent-encoded.
    raw_path: str
    path_params: Mapping[str, str]
    query: bytes
    #: ASGI's header list: lower-case names, bytes.
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    @property
    def api(self) -> str:
        return self.operation.api


@dataclass(frozen=True)
class UpstreamAnswer:
    """What the upstream answered, as it sent it."""

    status: int
    #: Lower-case names, in the upstream's order.
    headers: tuple[tuple[str, str], ...]
    content: bytes
    duration_ms: float

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


class Finding(Protocol):
    """One violated fact of an exchange, with its tier."""

    @property
    def inferred(self) -> bool: ...

    def describe(self) -> str: ...


class ExchangeJudge(Protocol):
    """Judges exchanges against the spec (implemented by the contracts package)."""

    def request_findings(self, request: ProxiedRequest) -> Sequence[Finding]: ...

    def exchange_findings(
        self, request: ProxiedRequest, answer: UpstreamAnswer, request_findings: Sequence[Finding]
    ) -> Sequence[Finding]: ...


class ExchangeRecorder(Protocol):
    """Keeps forwarded exchanges (the HAR recorder): `record` is called on the event loop and must be cheap;
    `close` runs when the proxy shuts down and must keep everything recorded before it returns."""

    def record(self, request: ProxiedRequest, answer: UpstreamAnswer) -> None: ...

    def close(self) -> None: ...


class NoJudge:
    """Finds nothing: a proxy that only forwards."""

    def request_findings(self, request: ProxiedRequest) -> Sequence[Finding]:
        return ()

    def exchange_findings(
        self, request: ProxiedRequest, answer: UpstreamAnswer, request_findings: Sequence[Finding]
    ) -> Sequence[Finding]:
        return request_findings


@dataclass(frozen=True)
class Upstream:
    """One API's configured upstream: its base URL as configured, where it is, and the path it adds."""

    url: str
    origin: Origin
    path: bytes

    @classmethod
    def of(cls, url: str) -> Upstream:
        # Percent-encoded as a request target must be (a path already encoded stays as it is).
        path = quote(urlsplit(url).path.rstrip("/"), safe="/%!$&'()*+,;=:@-._~")
        return cls(url, Origin.of(url), path.encode("ascii"))


def upstream_base_urls(apis: Sequence[str], environment: Mapping[str, str]) -> dict[str, str]:
    """Each API's upstream: its `<VENDOR>_BASE_URL` variable, else the vendor's host; `ValueError` for a value
    that is not an absolute http(s) URL."""
    found = {}
    for api in apis:
        variable = BASE_URL_VARIABLES[api]
        url = environment.get(variable) or DEFAULT_BASE_URLS[api]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"{variable} must be an absolute http(s) URL without query, got {url!r}")
        found[api] = url.rstrip("/")
    return found


class Proxy:
    """The proxy as a raw ASGI app over a `Mock` (whose journal, admin API and pipeline it shares)."""

    def __init__(
        self,
        mock: Mock,
        upstreams: Mapping[str, str],
        settings: ProxySettings | None = None,
        *,
        judge: ExchangeJudge | None = None,
        recorder: ExchangeRecorder | None = None,
    ) -> None:
        self.mock = mock
        self.settings = settings or ProxySettings()
        self.upstreams = {api: Upstream.of(url) for api, url in upstreams.items() if api in mock.specs}
        self.judge: ExchangeJudge = judge or NoJudge()
        self.recorder = recorder
        self._limit = mock.config.max_body_bytes
        self.pool = UpstreamPool(timeout=self.settings.upstream_timeout, max_body=self._limit)

    async def aclose(self) -> None:
        await self.pool.aclose()
        if self.recorder is not None:
            # Off the loop: the recorder's writer may still have exchanges to write.
            await asyncio.to_thread(self.recorder.close)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        raw_path: bytes | None = scope.get("raw_path")
        path_text = raw_path.decode("latin-1") if raw_path is not None else scope["path"]
        match = (
            None if oversized_head(scope) is not None else self.mock.pipeline.table.match(scope["method"], path_text)
        )
        if not isinstance(match, RouteMatch) or match.endpoint.operation.api not in self.upstreams:
            # Not an operation of a proxied API (or too large to serve): the mock's own answer, in the API's
            # shape — a request the spec does not route has no vendor to go to.
            await self.mock.pipeline(scope, receive, send)
            return
        endpoint: Endpoint = match.endpoint
        style = endpoint.behaviour.error_style
        headers = tuple(scope["headers"])
        try:
            body = await read_body(receive, dict(headers), self._limit)
        except BodyTooLarge as error:
            await self._refuse(scope, send, endpoint, style, error.status, error.message, started, dict(error.headers))
            return
        request = ProxiedRequest(
            operation=endpoint.operation,
            method=scope["method"],
            raw_path=path_text,
            path_params=match.path_params,
            query=scope["query_string"],
            headers=headers,
            body=body,
        )
        request_findings = self.judge.request_findings(request)
        documented = [finding for finding in request_findings if not finding.inferred]
        if self.settings.validate_requests and documented:
            message = "The request breaks the documented contract and was not forwarded: " + "; ".join(
                " ".join(finding.describe().split()) for finding in documented
            )
            await self._refuse(scope, send, endpoint, style, 400, message, started, {}, request_findings)
            return
        try:
            answer = await self._forward(request)
        except UpstreamError as failure:
            failed: dict[str, Any] = {"url": self.upstreams[request.api].url, "error": failure.message}
            if self.settings.fallback == "mock":
                await self._simulate(scope, body, send, failed)
            else:
                await self._refuse(
                    scope, send, endpoint, style, failure.status, failure.message, started, {}, (), failed
                )
            return
        upstream: dict[str, Any] = {
            "url": self.upstreams[request.api].url,
            "status": answer.status,
            "duration_ms": answer.duration_ms,
        }
        if answer.status >= 500 and self.settings.fallback == "mock":
            await self._simulate(scope, body, send, upstream)
            return
        findings = self.judge.exchange_findings(request, answer, request_findings)
        if self.recorder is not None:
            self.recorder.record(request, answer)
        response_headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in answer.headers
            if name not in CONNECTION_HEADERS and name != VIOLATIONS_HEADER
        ]
        response_headers.append((b"content-length", str(len(answer.content)).encode()))
        response_headers.append((VIOLATIONS_HEADER.encode(), str(len(findings)).encode()))
        self.mock.journal.record(
            JournalRecord(
                method=request.method,
                path=scope["path"],
                query=request.query,
                headers=headers,
                api=request.api,
                operation_id=request.operation.operation_id,
                status=answer.status,
                duration_ms=(time.perf_counter() - started) * 1000,
                problems=tuple(finding.describe() for finding in findings),
                body=_journal_body(body),
                response_headers=dict(answer.headers),
                response_payload=answer.content,
                note=JournalNote(UPSTREAM_SOURCE, {**upstream, "violations": len(findings)}),
            )
        )
        await send({"type": "http.response.start", "status": answer.status, "headers": response_headers})
        await send({"type": "http.response.body", "body": answer.content})

    async def _forward(self, request: ProxiedRequest) -> UpstreamAnswer:
        upstream = self.upstreams[request.api]
        # The target is the configured base URL's path plus the routed path: scheme, host and port come from the
        # configuration only (the route table matched the path, so it is a spec path, never an absolute URL).
        target = upstream.path + request.raw_path.encode("latin-1")
        if request.query:
            target += b"?" + request.query
        forwarded = [(name, value) for name, value in request.headers if name not in _REQUEST_HOP_HEADERS]
        forwarded.append((b"accept-encoding", b"identity"))
        try:
            answer, duration_ms = await self.pool.request(
                upstream.origin, request.method, target, forwarded, request.body
            )
        except UpstreamFailure as failure:
            if failure.timed_out:
                timeout = self.settings.upstream_timeout
                raise UpstreamError(504, f"The {request.api} upstream did not answer within {timeout:g} s") from None
            raise UpstreamError(502, f"The {request.api} upstream failed: {failure.message}") from None
        headers = tuple((name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in answer.headers)
        return UpstreamAnswer(answer.status, headers, answer.content, duration_ms)

    async def _simulate(self, scope: Scope, body: bytes, send: Send, upstream: Mapping[str, Any]) -> None:
        """The mock's own answer to the request (its body already read), marked as the simulation's."""

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], (SOURCE_HEADER.encode(), MOCK_SOURCE.encode())]}
            await send(message)

        note = JournalNote(MOCK_SOURCE, {**upstream, "fallback": True})
        await self.mock.pipeline({**scope, JOURNAL_NOTE: note}, body_receiver(body), marked)

    async def _refuse(
        self,
        scope: Scope,
        send: Send,
        endpoint: Endpoint,
        style: ErrorStyle,
        status: int,
        message: str,
        started: float,
        extra_headers: Mapping[str, str],
        findings: Sequence[Finding] = (),
        upstream: Mapping[str, Any] | None = None,
    ) -> None:
        """An answer of the proxy itself, in the API's error shape, journalled."""
        payload = jsonio.encode(style.body(status, message))
        headers = {"content-type": "application/json", **{name.lower(): value for name, value in extra_headers.items()}}
        self.mock.journal.record(
            JournalRecord(
                method=scope["method"],
                path=scope["path"],
                query=scope["query_string"],
                headers=scope["headers"],
                api=endpoint.operation.api,
                operation_id=endpoint.operation.operation_id,
                status=status,
                duration_ms=(time.perf_counter() - started) * 1000,
                problems=tuple(finding.describe() for finding in findings) or (message,),
                response_headers=headers,
                response_payload=payload,
                note=JournalNote(UPSTREAM_SOURCE, upstream),
            )
        )
        raw_headers = [(name.encode(), value.encode()) for name, value in headers.items()]
        raw_headers.append((b"content-length", str(len(payload)).encode()))
        raw_headers.append((VIOLATIONS_HEADER.encode(), str(len(findings)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": payload})


def _journal_body(body: bytes) -> Any:
    """The request body as the journal keeps it: JSON decoded, bounded like the mock's."""
    if not body:
        return None
    if len(body) > JOURNAL_BODY_LIMIT:
        return f"<{len(body)} bytes, not kept in the journal>"
    try:
        return jsonio.decode(body)
    except jsonio.InvalidJson:
        return body.decode("utf-8", errors="replace")


class ProxyRecorder:
    """Records forwarded exchanges as HAR 1.2 (`--record DIR`), credentials replaced by placeholders."""

    def __init__(self, directory: Path, upstreams: Mapping[str, str]) -> None:
        self.har = HarRecorder(directory)
        self.upstreams = dict(upstreams)

    def record(self, request: ProxiedRequest, answer: UpstreamAnswer) -> None:
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers]
        query = query_pairs(request.query)
        url = self.upstreams[request.api] + request.raw_path
        if request.query:
            url += "?" + request.query.decode("latin-1")
        entry = har_entry(
            api=request.api,
            operation_id=request.operation.operation_id,
            method=request.method,
            url=url,
            request_headers=headers,
            query=query,
            request_body=request.body,
            status=answer.status,
            response_headers=answer.headers,
            response_body=answer.content,
            duration_ms=answer.duration_ms,
            started=datetime.now(UTC),
        )
        self.har.write(entry, secret_values([*headers, *answer.headers], query))

    def close(self) -> None:
        self.har.close()


def create_proxy_app(
    config: ServerConfig,
    settings: ProxySettings,
    upstreams: Mapping[str, str],
    *,
    judge: ExchangeJudge | None = None,
    recorder: ExchangeRecorder | None = None,
) -> JourneymockApp:
    """The proxy served with the mock's admin API over the same journal (`/__admin/requests` shows proxied
    exchanges), and the mock's pipeline behind it for routes it does not forward and for the fallback."""
    mock = open_mock(config)
    if recorder is None and settings.record is not None:
        recorder = ProxyRecorder(settings.record, upstreams)
    proxy = Proxy(mock, upstreams, settings, judge=judge, recorder=recorder)
    return assemble(mock, proxy, proxy.aclose)
