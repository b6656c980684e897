"""Where Odyssey journeys live: in memory by default, in SQLite with `--state PATH`.

Both stores make the two promises the API needs atomically: a slug is created at most once per organisation
(concurrent creates of one slug: exactly one wins), and an update is a read-modify-write that never loses a
concurrent write. The SQLite store uses WAL with synchronous writes, so a create that was answered 201 survives
a killed process, and several worker processes can share one file.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from mockserver import jsonio
from mockserver.clock import parse_instant
from mockserver.simulation import WorkflowJourney, WorkflowStep

Update = Callable[[WorkflowJourney], WorkflowJourney]


class StoreError(Exception):
    """The store cannot be opened as configured; the message names the setting and the reason."""


class JourneyStore(Protocol):
    #: True when calls block on I/O (the server then runs them off the event loop).
    blocking: bool

    def create(self, journey: WorkflowJourney) -> bool:
        """Store a new journey; False (and nothing stored) when its org already has the slug."""

    def get(self, org_id: str, slug: str) -> WorkflowJourney | None: ...

    def update(self, org_id: str, slug: str, change: Update) -> WorkflowJourney | None:
        """Apply `change` to the stored journey atomically; None when there is no such journey."""

    def clear(self) -> None: ...

    def count(self) -> int: ...

    def save_clock(self, setting: str | None) -> None:
        """Keep the moved clock's setting (`mockserver.clock.ClockSetting` text) where every worker reads it;
        None forgets it (the configured clock again)."""

    def load_clock(self) -> str | None:
        """The saved clock setting, or None. Called on every request: cheap when nothing changed."""

    def close(self) -> None: ...


class MemoryStore:
    blocking = False

    def __init__(self) -> None:
        self._journeys: dict[tuple[str, str], WorkflowJourney] = {}
        self._lock = threading.Lock()
        self._clock: str | None = None

    def create(self, journey: WorkflowJourney) -> bool:
        key = (journey.org_id, journey.slug)
        with self._lock:
            if key in self._journeys:
                return False
            self._journeys[key] = journey
            return True

    def get(self, org_id: str, slug: str) -> WorkflowJourney | None:
        return self._journeys.get((org_id, slug))

    def update(self, org_id: str, slug: str, change: Update) -> WorkflowJourney | None:
        with self._lock:
            current = self._journeys.get((org_id, slug))
            if current is None:
                return None
            updated = self._journeys[(org_id, slug)] = change(current)
            return updated

    def clear(self) -> None:
        with self._lock:
            self._journeys.clear()

    def count(self) -> int:
        return len(self._journeys)

    def save_clock(self, setting: str | None) -> None:
        self._clock = setting

    def load_clock(self) -> str | None:
        return self._clock

    def close(self) -> None:
        pass


_SCHEMA = """
CREATE TABLE IF NOT EXISTS odyssey_journeys (
    org_id TEXT NOT NULL,
    slug TEXT NOT NULL,
    document BLOB NOT NULL,
    PRIMARY KEY (org_id, slug)
)
"""
# One row at most: the moved clock every worker process shows.
_CLOCK_SCHEMA = """
CREATE TABLE IF NOT EXISTS journeymock_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    setting TEXT NOT NULL
)
"""


class SqliteStore:
    """One connection per thread (sqlite3 connections are not shareable), one file for every process."""

    blocking = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        if path.is_dir():
            raise StoreError(f"--state {path}: is a directory; name a file in it, e.g. {path / 'journeys.sqlite'}")
        try:
            # Missing directories are created, as `journeymock fixtures --out` creates its own.
            path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(_SCHEMA)
                connection.execute(_CLOCK_SCHEMA)
                connection.commit()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"--state {path}: not a journeymock SQLite database ({error})") from None
        except (OSError, sqlite3.Error) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise StoreError(f"--state {path}: cannot be opened ({reason})") from None

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        # FULL: a commit is on disk before we answer, so a SIGKILL after a 201 loses nothing.
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA busy_timeout=30000")
        return connection

    @property
    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    def create(self, journey: WorkflowJourney) -> bool:
        try:
            self._connection.execute(
                "INSERT INTO odyssey_journeys (org_id, slug, document) VALUES (?, ?, ?)",
                (journey.org_id, journey.slug, encode_journey(journey)),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def get(self, org_id: str, slug: str) -> WorkflowJourney | None:
        row = self._connection.execute(
            "SELECT document FROM odyssey_journeys WHERE org_id = ? AND slug = ?", (org_id, slug)
        ).fetchone()
        return decode_journey(row[0]) if row else None

    def update(self, org_id: str, slug: str, change: Update) -> WorkflowJourney | None:
        connection = self._connection
        # IMMEDIATE takes the write lock before reading, so two updates cannot both read the old row.
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT document FROM odyssey_journeys WHERE org_id = ? AND slug = ?", (org_id, slug)
            ).fetchone()
            if row is None:
                connection.execute("ROLLBACK")
                return None
            updated = change(decode_journey(row[0]))
            connection.execute(
                "UPDATE odyssey_journeys SET document = ? WHERE org_id = ? AND slug = ?",
                (encode_journey(updated), org_id, slug),
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return updated

    def clear(self) -> None:
        self._connection.execute("DELETE FROM odyssey_journeys")

    def count(self) -> int:
        return int(self._connection.execute("SELECT COUNT(*) FROM odyssey_journeys").fetchone()[0])

    def save_clock(self, setting: str | None) -> None:
        if setting is None:
            self._connection.execute("DELETE FROM journeymock_clock")
        else:
            self._connection.execute("INSERT OR REPLACE INTO journeymock_clock (id, setting) VALUES (1, ?)", (setting,))
        self._local.clock = None  # read back on the next load

    def load_clock(self) -> str | None:
        # `data_version` changes only when another connection (another worker or thread) commits: while it
        # stays, the setting this connection last read or wrote stands, and no row is read.
        connection = self._connection
        version = connection.execute("PRAGMA data_version").fetchone()[0]
        known: tuple[int, str | None] | None = getattr(self._local, "clock", None)
        if known is not None and known[0] == version:
            return known[1]
        row = connection.execute("SELECT setting FROM journeymock_clock WHERE id = 1").fetchone()
        setting = str(row[0]) if row else None
        self._local.clock = (version, setting)
        return setting

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def open_store(path: Path | None) -> JourneyStore:
    return SqliteStore(path) if path is not None else MemoryStore()


def encode_journey(journey: WorkflowJourney) -> bytes:
    return jsonio.encode(_plain(asdict(journey)))


def decode_journey(document: bytes) -> WorkflowJourney:
    data: dict[str, Any] = jsonio.decode(document)
    steps = tuple(
        WorkflowStep(
            **{
                **step,
                "created_at": parse_instant(step["created_at"]),
                "updated_at": parse_instant(step["updated_at"]),
            }
        )
        for step in data.pop("steps")
    )
    journey = WorkflowJourney(
        **{
            **data,
            "allowed_origins": tuple(data["allowed_origins"]),
            "steps": (),
            "created_at": parse_instant(data["created_at"]),
            "updated_at": parse_instant(data["updated_at"]),
        }
    )
    return replace(journey, steps=steps)


def _plain(value: Any) -> Any:
    """Dates as exact ISO text, so the standard library's encoder (jsonio's fallback) can write them too."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
