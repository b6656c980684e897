"""`journeymock serve --replay DIR`: answer requests that match a recording with what the vendor answered.

A request matches a recorded exchange on its API, method and path, the query parameters its operation declares
(in any order; others, such as the mock's own `__` controls, do not matter) and, for writes, its body (JSON
compared as values, so key order and spacing do not matter). A match gets the recorded status, headers and
bytes; everything else goes to the simulation as without `--replay`. When a recording holds the same request
more than once, the latest answer is given.

State stays consistent: a write the recording does not hold makes its resource the simulation's. Before the
first such write to a resource the recording created (a recorded create whose body named it), the recorded
create is sent to the simulation with the client's own credentials, so the journey exists there; from then on
the resource is answered by the simulation only, and so reads back as updated.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from starlette.types import Message, Receive, Scope, Send

from mockserver import jsonio
from mockserver.journal import JOURNAL_NOTE, JournalNote, JournalRecord
from mockserver.pipeline import ApiPipeline, BodyTooLarge, Endpoint, oversized_head, read_body
from mockserver.recording import CONNECTION_HEADERS, content_bytes, query_pairs
from mockserver.routing import RouteMatch

REPLAY_SOURCE: Final = "replay"
#: Response header on a replayed answer.
SOURCE_HEADER: Final = "x-journeymock-source"
_WRITES: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ReplayError(ValueError):
    """A recording directory that cannot be read; the message names the file."""


@dataclass(frozen=True)
class Recorded:
    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes
    #: The request as recorded (for materialising a recorded create in the simulation).
    request_body: bytes
    request_content_type: str
    query: bytes


def _body_key(body: bytes) -> str:
    if not body:
        return ""
    try:
        return json.dumps(jsonio.decode(body), sort_keys=True, separators=(",", ":"))
    except jsonio.InvalidJson:
        return body.decode("latin-1")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class Replay:
    """The recordings of a directory in front of the mock's pipeline, as a raw ASGI app."""

    def __init__(self, pipeline: ApiPipeline, directory: Path) -> None:
        self.pipeline = pipeline
        self._limit = pipeline.config.max_body_bytes
        self.answers: dict[tuple[str, ...], Recorded] = {}
        #: Recorded successful creates, by the strings their request bodies hold (the names they gave).
        self._creates: dict[tuple[str, str], tuple[str, Recorded]] = {}
        #: Resources (api, raw path) that writes made the simulation's.
        self._simulated: set[tuple[str, str]] = set()
        for path in sorted(directory.glob("*/*.har")):
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))["log"]["entries"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ReplayError(f"{path}: not a HAR recording ({error})") from None
        for entry in entries:
            try:
                request, response = entry["request"], entry["response"]
                url = urlsplit(request["url"])
            except (KeyError, TypeError, ValueError) as error:
                raise ReplayError(f"{path}: an entry without a request and response ({error})") from None
            match = self.pipeline.table.match(request["method"], url.path)
            if not isinstance(match, RouteMatch):
                continue
            posted = request.get("postData") or {}
            body = content_bytes(posted) if posted else b""
            recorded = Recorded(
                status=int(response["status"]),
                headers=tuple((str(h["name"]).lower(), str(h["value"])) for h in response.get("headers", [])),
                content=content_bytes(response.get("content") or {}),
                request_body=body,
                request_content_type=str(posted.get("mimeType", "")),
                query=url.query.encode("latin-1"),
            )
            key = self._key(match.endpoint, request["method"], url.path, recorded.query, body)
            self.answers[key] = recorded
            api = match.endpoint.operation.api
            if request["method"] == "POST" and 200 <= recorded.status < 300 and body:
                try:
                    names = set(_strings(jsonio.decode(body)))
                except jsonio.InvalidJson:
                    names = set()
                for name in names:
                    self._creates[(api, name)] = (url.path, recorded)

    @staticmethod
    def _key(endpoint: Endpoint, method: str, raw_path: str, query: bytes, body: bytes) -> tuple[str, ...]:
        declared = {p.name for p in endpoint.operation.parameters if p.location == "query"}
        mattering = sorted((name, value) for name, value in query_pairs(query) if name in declared)
        return (
            endpoint.operation.api,
            method,
            raw_path,
            json.dumps(mattering),
            _body_key(body) if method in _WRITES else "",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path: bytes | None = scope.get("raw_path")
        path_text = raw_path.decode("latin-1") if raw_path is not None else scope["path"]
        match = None if oversized_head(scope) is not None else self.pipeline.table.match(scope["method"], path_text)
        if not isinstance(match, RouteMatch):
            await self.pipeline(scope, receive, send)
            return
        started = time.perf_counter()
        method: str = scope["method"]
        api = match.endpoint.operation.api
        try:
            body = await read_body(receive, dict(scope["headers"]), self._limit)
        except BodyTooLarge:
            # Part of the body is read: the pipeline is handed one byte more than it accepts, and refuses it.
            await self.pipeline(scope, body_receiver(bytes(self._limit + 1)), send)
            return
        recorded = None
        if (api, path_text) not in self._simulated:
            key = self._key(match.endpoint, method, path_text, scope["query_string"], body)
            recorded = self.answers.get(key)
        if recorded is None:
            if method in _WRITES and method != "POST":
                await self._materialise(scope, api, path_text)
                self._simulated.add((api, path_text))
            await self.pipeline(scope, body_receiver(body), send)
            return
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in recorded.headers
            if name not in CONNECTION_HEADERS and name != SOURCE_HEADER
        ]
        headers.append((b"content-length", str(len(recorded.content)).encode()))
        headers.append((SOURCE_HEADER.encode(), REPLAY_SOURCE.encode()))
        self.pipeline.journal.record(
            JournalRecord(
                method=method,
                path=scope["path"],
                query=scope["query_string"],
                headers=scope["headers"],
                api=api,
                operation_id=match.endpoint.operation.operation_id,
                status=recorded.status,
                duration_ms=(time.perf_counter() - started) * 1000,
                body=_body_key(body) or None,
                response_headers=dict(recorded.headers),
                response_payload=recorded.content,
                note=JournalNote(REPLAY_SOURCE),
            )
        )
        await send({"type": "http.response.start", "status": recorded.status, "headers": headers})
        await send({"type": "http.response.body", "body": recorded.content})

    async def _materialise(self, scope: Scope, api: str, raw_path: str) -> None:
        """Send the recorded create that named this resource to the simulation, with the client's headers."""
        name = raw_path.rstrip("/").rsplit("/", 1)[-1]
        found = self._creates.get((api, name))
        if found is None or (api, raw_path) in self._simulated:
            return
        create_path, recorded = found
        headers = [(key, value) for key, value in scope["headers"] if key not in (b"content-length", b"content-type")]
        headers.append((b"content-type", (recorded.request_content_type or "application/json").encode("latin-1")))
        create_scope = {
            **scope,
            "method": "POST",
            "path": create_path,
            "raw_path": create_path.encode("latin-1"),
            "query_string": recorded.query,
            "headers": headers,
            JOURNAL_NOTE: JournalNote(REPLAY_SOURCE, {"materialised": raw_path}),
        }

        async def discard(_message: Message) -> None:
            return None

        await self.pipeline(create_scope, body_receiver(recorded.request_body), discard)


def body_receiver(body: bytes) -> Receive:
    """An ASGI `receive` that delivers a body already read, once (for a request passed on after reading it)."""
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
