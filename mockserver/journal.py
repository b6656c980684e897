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
from typing import Any

#: Headers whose values never reach the journal or a log.
SECRET_HEADERS = frozenset({"authorization", "x-scope-partner-id", "cookie", "proxy-authorization", "x-admin-token"})
REDACTED = "[redacted]"


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestJournal:
    """Recording is on every request's path, so it appends a plain tuple (a deque append is atomic) that
    holds the request's headers as ASGI gave them; the entry is built, its headers decoded, its time
    formatted and its secrets redacted only when somebody reads the journal."""

    def __init__(self, capacity: int = 1000) -> None:
        if capacity < 0:
            raise ValueError("journal capacity must be zero or more")
        self._records: deque[tuple[Any, ...]] = deque(maxlen=capacity)
        self._ids = itertools.count(1)

    def record(
        self,
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
    ) -> None:
        self._records.append(
            (
                next(self._ids),
                time.time(),
                method,
                path,
                query,
                headers,
                api,
                operation_id,
                status,
                duration_ms,
                problems,
                body,
            )
        )

    def entries(self) -> list[JournalEntry]:
        return [_entry(record) for record in list(self._records)]

    def clear(self) -> None:
        self._records.clear()

    def __len__(self) -> int:
        return len(self._records)


def _entry(record: tuple[Any, ...]) -> JournalEntry:
    number, at, method, path, query, headers, api, operation_id, status, duration_ms, problems, body = record
    return JournalEntry(
        id=number,
        at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
        method=method,
        path=path,
        query=query.decode("latin-1"),
        headers=redact_headers(_text_headers(headers)),
        api=api,
        operation_id=operation_id,
        status=status,
        duration_ms=round(duration_ms, 3),
        problems=problems,
        body=body,
    )
