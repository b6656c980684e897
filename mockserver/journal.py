"""The request journal: what was asked and what was answered, bounded, with secrets redacted.

Like WireMock's request log, it lets a test assert on what its code called. It holds at most `capacity`
entries (oldest dropped first), so a long load test cannot grow the server's memory.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: Headers whose values never reach the journal or a log.
SECRET_HEADERS = frozenset({"authorization", "x-scope-partner-id", "cookie", "proxy-authorization", "x-admin-token"})
REDACTED = "[redacted]"


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): (REDACTED if name.lower() in SECRET_HEADERS else value) for name, value in headers}


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
    def __init__(self, capacity: int = 1000) -> None:
        if capacity < 0:
            raise ValueError("journal capacity must be zero or more")
        self._entries: deque[JournalEntry] = deque(maxlen=capacity or None) if capacity else deque(maxlen=0)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def next_id(self) -> int:
        return next(self._ids)

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
