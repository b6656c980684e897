"""Where Odyssey journeys live: in memory by default, in SQLite with `--state PATH`, in PostgreSQL with
`--state postgresql://...` (`mockserver.store_postgres`).

Every store makes the two promises the API needs atomically: a slug is created at most once per organisation
(concurrent creates of one slug: exactly one wins), and an update is a read-modify-write that never loses a
concurrent write. The SQLite store uses WAL with synchronous writes, so a create that was answered 201 survives
a killed process, and several worker processes can share one file; PostgreSQL lets replicas on several machines
share one database.

A store also keeps the moved clock's setting (the text of `mockserver.clock.ClockSetting`), which every worker
and replica must agree on.
What each process keeps for itself — the request journal, rate-limit buckets — is not in the store.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from mockserver import jsonio
from mockserver.clock import parse_instant
from mockserver.errors import ApiError
from mockserver.simulation import WorkflowJourney, WorkflowStep

Update = Callable[[WorkflowJourney], WorkflowJourney]

#: URL schemes that name a PostgreSQL database (libpq accepts both).
POSTGRES_SCHEMES = ("postgresql", "postgres")
#: `--state` text that asks for the in-memory store explicitly.
MEMORY = ":memory:"
#: Seconds a client should wait before retrying while the store is unavailable.
RETRY_AFTER_SECONDS = 1


@dataclass(frozen=True)
class DatabaseUrl:
    """A libpq URL (`postgresql://user:password@host:port/db?...`) whose password is never shown: `str()`,
    `repr()` and `redacted` leave it out, so that logs, errors and `/__admin/health` cannot leak it; only `url`
    (what connecting and the workers' configuration need) holds it."""

    url: str = field(repr=False)

    def __str__(self) -> str:
        return self.redacted

    def __repr__(self) -> str:
        return f"DatabaseUrl({self.redacted!r})"

    @property
    def redacted(self) -> str:
        return redact_url(self.url)


#: Where `--state` keeps Odyssey's journeys: None for memory, a SQLite file, or a PostgreSQL database.
StateLocation = Path | DatabaseUrl | None


def parse_state(text: str) -> StateLocation:
    """`--state`: `:memory:`, a `postgresql://` or `postgres://` URL, or the path of a SQLite file."""
    if not text.strip():
        raise ValueError("state must be a SQLite file path, a postgresql:// URL or :memory:, got an empty value")
    if text == MEMORY:
        return None
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", text)
    if scheme is None:
        return Path(text)
    if scheme.group(1).lower() not in POSTGRES_SCHEMES:
        raise ValueError(
            f"state URL scheme {scheme.group(1)!r} is not supported: use postgresql:// (or postgres://), "
            "a SQLite file path or :memory:"
        )
    # libpq's own parser, so that what is accepted here is what the server will connect with. Imported here:
    # memory and SQLite users never load psycopg.
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    shown = redact_url(text)
    try:
        settings = conninfo_to_dict(text)
    except psycopg.Error as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0].replace(text, shown)
        raise ValueError(f"state URL {shown!r} is malformed: {reason}") from None
    ports = str(settings.get("port") or "")
    if not all(port.isdigit() for port in ports.split(",") if port):
        raise ValueError(f"state URL {shown!r} is malformed: port {ports!r} is not a number")
    return DatabaseUrl(text)


def state_text(location: StateLocation) -> str | None:
    """The `--state` text that names `location` again, password included (`parse_state` reads it back)."""
    if location is None:
        return None
    return location.url if isinstance(location, DatabaseUrl) else str(location)


def redact_url(url: str) -> str:
    """The URL without its password (in the user part or a `password=` query parameter). Plain text surgery
    rather than urllib, which refuses some URLs libpq accepts (several hosts, a malformed IPv6 address)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    authority_end = min((index for index in map(rest.find, "/?#") if index >= 0), default=len(rest))
    authority, tail = rest[:authority_end], rest[authority_end:]
    userinfo, at, hosts = authority.rpartition("@")
    if at:
        authority = userinfo.partition(":")[0] + at + hosts
    before_fragment, hash_mark, fragment = tail.partition("#")
    path, question_mark, query = before_fragment.partition("?")
    kept = [item for item in query.split("&") if item and item.split("=", 1)[0].lower() != "password"]
    query_text = "?" + "&".join(kept) if question_mark and kept else ""
    return f"{scheme}://{authority}{path}{query_text}{hash_mark}{fragment}"


class StoreError(Exception):
    """The store cannot be opened as configured (at start): the message names it, without secrets, and says why."""


class StoreUnavailable(ApiError):
    """The store stopped answering while serving: a 503 in the API's own error shape, with `Retry-After`."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            503,
            f"The journey store is unavailable ({reason}); retry after {RETRY_AFTER_SECONDS} s",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


class JourneyStore(Protocol):
    #: True when calls block on I/O (the server then runs them off the event loop).
    blocking: bool
    #: `memory`, `sqlite` or `postgresql`.
    kind: str
    #: Where the journeys are, safe to show (a path, or a URL without its password).
    location: str

    def create(self, journey: WorkflowJourney) -> bool:
        """Store a new journey; False (and nothing stored) when its org already has the slug."""

    def get(self, org_id: str, slug: str) -> WorkflowJourney | None: ...

    def update(self, org_id: str, slug: str, change: Update) -> WorkflowJourney | None:
        """Apply `change` to the stored journey atomically; None when there is no such journey."""

    def clear(self) -> None:
        """Forget every journey (`POST /__admin/reset` also forgets the clock setting, with `save_clock(None)`)."""

    def count(self) -> int: ...

    def save_clock(self, setting: str | None) -> None:
        """Keep the moved clock's setting (`mockserver.clock.ClockSetting` text) where every worker reads it;
        None forgets it (the configured clock again)."""

    def load_clock(self) -> str | None:
        """The saved clock setting, or None. Called on every request: cheap when nothing changed."""

    def close(self) -> None: ...


class MemoryStore:
    blocking = False
    kind = "memory"
    location = "memory"

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


_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS odyssey_journeys (
        org_id TEXT NOT NULL,
        slug TEXT NOT NULL,
        document BLOB NOT NULL,
        PRIMARY KEY (org_id, slug)
    )
    """,
    # One row at most: the moved clock.
    "CREATE TABLE IF NOT EXISTS journeymock_clock (id INTEGER PRIMARY KEY CHECK (id = 1), setting TEXT NOT NULL)",
)


class SqliteStore:
    """One connection per thread (sqlite3 connections are not shareable), one file for every process."""

    blocking = True
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self._local = threading.local()
        if path.is_dir():
            raise StoreError(f"--state {path}: is a directory; name a file in it, e.g. {path / 'journeys.sqlite'}")
        try:
            # Missing directories are created, as `journeymock fixtures --out` creates its own.
            path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                for statement in _SCHEMA:
                    connection.execute(statement)
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
            self._connection.execute(
                "INSERT INTO journeymock_clock (id, setting) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET setting = excluded.setting",
                (setting,),
            )
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


def open_store(location: StateLocation) -> JourneyStore:
    """The store `--state` names, schema ready; `StoreError` when it cannot be opened."""
    if isinstance(location, DatabaseUrl):
        # Imported here: psycopg loads only for servers that use PostgreSQL.
        from mockserver.store_postgres import PostgresStore

        return PostgresStore(location)
    return SqliteStore(location) if location is not None else MemoryStore()


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
