"""The request journal: what was asked and what was answered, bounded, with secrets redacted.

Like WireMock's request log, it lets a test assert on what its code called. It holds at most `capacity`
entries (oldest dropped first), so a long load test cannot grow the server's memory.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, final

from mockserver import jsonio

#: Headers whose values never reach the journal or a log.
SECRET_HEADERS = frozenset({"authorization", "x-scope-partner-id", "cookie", "proxy-authorization", "x-admin-token"})
REDACTED = "[redacted]"
#: Response bodies larger than this are journalled by size only: the journal keeps at most `capacity` answers, and
#: a bound on each keeps its memory bounded too (a journey body is a few KiB).
RESPONSE_BODY_LIMIT = 64 * 1024
#: What every answer of the APIs carries besides the headers an operation adds.
RESPONSE_CONTENT_TYPE = ("content-type", "application/json")
#: ASGI scope key under which a front end (the proxy) hands the pipeline a `JournalNote` for its entry.
JOURNAL_NOTE = "journeymock.journal_note"
#: Who answered: the simulation (`mock`) or, through `journeymock proxy`, the vendor (`upstream`).
MOCK_SOURCE = "mock"
UPSTREAM_SOURCE = "upstream"


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): (REDACTED if name.lower() in SECRET_HEADERS else value) for name, value in headers}


def _text_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]


@dataclass(frozen=True)
class JournalEntry:
    id: int
    at: str
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    api: str | None
    operation_id: str | None
    status: int
    duration_ms: float
    problems: tuple[str, ...] = ()
    body: Any = field(default=None)
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: Any = field(default=None)
    #: `mock` (the simulation answered) or `upstream` (the vendor did, through `journeymock proxy`).
    source: str = MOCK_SOURCE
    #: For an exchange through the proxy: the upstream's base URL, its status and time, or why it failed.
    upstream: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class JournalNote:
    """What a front end other than the pipeline adds to an entry: who answered, and the upstream's part."""

    source: str
    upstream: Mapping[str, Any] | None = None


@final
@dataclass(init=False)
class JournalRecord:
    """A request and its answer as the journal keeps them: headers as ASGI gave them, the answer as sent and kept
    by reference (its size only, beyond `RESPONSE_BODY_LIMIT`); decoded, formatted and redacted only when read
    (`JournalEntry`). An `__init__` of its own, so the compiled build makes it a native class (see
    `mockserver.exchange`)."""

    id: int
    at: float
    method: str
    path: str
    query: bytes
    headers: Iterable[tuple[bytes, bytes]]
    api: str | None
    operation_id: str | None
    status: int
    duration_ms: float
    problems: tuple[str, ...]
    body: Any
    response_headers: Mapping[str, str] | None
    response_payload: bytes | int
    note: JournalNote | None

    def __init__(
        self,
        *,
        method: str,
        path: str,
        query: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        api: str | None,
        operation_id: str | None,
        status: int,
        duration_ms: float,
        problems: tuple[str, ...] = (),
        body: Any = None,
        response_headers: Mapping[str, str] | None = None,
        response_payload: bytes = b"",
        note: JournalNote | None = None,
    ) -> None:
        # Stamped by `RequestJournal.record`.
        self.id = 0
        self.at = 0.0
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.api = api
        self.operation_id = operation_id
        self.status = status
        self.duration_ms = duration_ms
        self.problems = problems
        self.body = body
        self.response_headers = response_headers
        self.response_payload: bytes | int = (
            response_payload if len(response_payload) <= RESPONSE_BODY_LIMIT else len(response_payload)
        )
        self.note = note


class RequestJournal:
    """Recording is on every request's path, so it appends a `JournalRecord` (a deque append is atomic) that
    holds the request's headers as ASGI gave them; the entry is built, its headers decoded, its time
    formatted and its secrets redacted only when somebody reads the journal."""

    def __init__(self, capacity: int = 1000) -> None:
        if capacity < 0:
            raise ValueError("journal capacity must be zero or more")
        self._records: deque[JournalRecord] = deque(maxlen=capacity)
        self._ids = itertools.count(1)

    def record(self, record: JournalRecord) -> None:
        """Keep `record`, stamped with the next id and the time."""
        record.id = next(self._ids)
        record.at = time.time()
        self._records.append(record)

    def entries(self, since: int = 0) -> list[JournalEntry]:
        """The entries recorded after the one with id `since`, oldest first (a poller builds only what is new)."""
        return [_entry(record) for record in list(self._records) if record.id > since]

    def entry(self, entry_id: int) -> JournalEntry | None:
        """The entry with this id, None when it was never recorded or is no longer kept."""
        for record in list(self._records):
            if record.id == entry_id:
                return _entry(record)
        return None

    def oldest_id(self) -> int | None:
        """The id of the oldest entry kept, None when empty: a poller drops what it holds below it."""
        try:
            return self._records[0].id
        except IndexError:
            return None

    def clear(self) -> None:
        self._records.clear()

    def __len__(self) -> int:
        return len(self._records)


def _entry(record: JournalRecord) -> JournalEntry:
    note = record.note
    return JournalEntry(
        id=record.id,
        at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.at)),
        method=record.method,
        path=record.path,
        query=record.query.decode("latin-1"),
        headers=redact_headers(_text_headers(record.headers)),
        api=record.api,
        operation_id=record.operation_id,
        status=record.status,
        duration_ms=round(record.duration_ms, 3),
        problems=record.problems,
        body=record.body,
        response_headers=dict(
            [RESPONSE_CONTENT_TYPE, *((name.lower(), value) for name, value in (record.response_headers or {}).items())]
        ),
        response_body=_response_body(record.response_payload),
        source=note.source if note is not None else MOCK_SOURCE,
        upstream=note.upstream if note is not None else None,
    )


def _response_body(payload: bytes | int) -> Any:
    if isinstance(payload, int):
        return f"<{payload} bytes, not kept in the journal>"
    if not payload:
        return None
    try:
        return jsonio.decode(payload)
    except jsonio.InvalidJson:
        # An upstream's answer through the proxy need not be JSON: kept as the text it was.
        return payload.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class JournalQuery:
    """Which journal entries a caller wants: every filter given must match. One definition for the admin API's
    query parameters and the plugin's `journal.entries(...)` keywords."""

    api: str | None = None
    operation_id: str | None = None
    method: str | None = None
    path: str | None = None
    status: int | None = None
    #: Only entries recorded after the entry with this id (ids grow by one per request, never reused).
    since: int | None = None

    def matches(self, entry: JournalEntry) -> bool:
        return (
            (self.api is None or entry.api == self.api)
            and (self.operation_id is None or entry.operation_id == self.operation_id)
            and (self.method is None or entry.method == self.method.upper())
            and (self.path is None or entry.path == self.path)
            and (self.status is None or entry.status == self.status)
            and (self.since is None or entry.id > self.since)
        )

    def describe(self) -> str:
        return ", ".join(f"{name}={value!r}" for name, value in asdict(self).items() if value is not None)

    @classmethod
    def from_params(cls, params: Mapping[str, str], apis: Iterable[str], operation_ids: Iterable[str]) -> JournalQuery:
        """The admin API's query parameters (`api`, `operationId`, `method`, `path`, `status`, `since`); a
        `ValueError` saying what is allowed for anything else, so a typo is not an empty list."""
        names = {
            "api": "api",
            "operationId": "operation_id",
            "method": "method",
            "path": "path",
            "status": "status",
            "since": "since",
        }
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ValueError(f"unknown filter {unknown[0]!r}; filters: {', '.join(names)}")
        values: dict[str, Any] = {names[key]: value for key, value in params.items()}
        served, known = list(apis), sorted(operation_ids)
        if "api" in values and values["api"] not in served:
            raise ValueError(f"api must be one of {', '.join(served)}, got {values['api']!r}")
        if "operation_id" in values and values["operation_id"] not in known:
            raise ValueError(f"operationId must be one of {', '.join(known)}, got {values['operation_id']!r}")
        if "status" in values:
            text = values["status"]
            if not (text.isascii() and text.isdigit() and 100 <= int(text) <= 599):
                raise ValueError(f"status must be an HTTP status code from 100 to 599, got {text!r}")
            values["status"] = int(text)
        if "since" in values:
            text = values["since"]
            if not (text.isascii() and text.isdigit()):
                raise ValueError(f"since must be a journal entry id (a whole number of 0 or more), got {text!r}")
            values["since"] = int(text)
        return cls(**values)
