"""Odyssey journeys in PostgreSQL (`--state postgresql://...`): one database shared by any number of replicas.

- The schema is versioned (`journeymock_schema`) and migrated on start inside one transaction that holds an
  advisory lock, so replicas starting at once migrate it exactly once and never see it half made.
- A duplicate slug is decided by the primary key `(org_id, slug)`: `INSERT ... ON CONFLICT DO NOTHING` inserts
  for exactly one of any number of concurrent creates, on whichever replica they arrive.
- Every write is committed before the call returns (autocommit, or an explicit transaction), so a replica killed
  after answering loses nothing it answered.
- An update locks its row (`SELECT ... FOR UPDATE`) for its read-modify-write: concurrent updates, on one replica
  or several, apply one after another.
- Connections come from a psycopg_pool pool. When the database stops answering, calls raise `StoreUnavailable`
  (a 503 with `Retry-After`) after at most `POOL_TIMEOUT` seconds; the pool reconnects by itself when the
  database is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeAlias, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolTimeout

from mockserver.simulation import WorkflowJourney
from mockserver.store import (
    DatabaseUrl,
    StoreError,
    StoreUnavailable,
    Update,
    decode_journey,
    encode_journey,
)

logger = logging.getLogger("journeymock")

T = TypeVar("T")
# An explicit alias: the mypyc build sees psycopg as untyped, and a plain assignment of Any is no type.
Connection: TypeAlias = psycopg.Connection[TupleRow]

#: How old the moved clock read from the database may be: another replica's move shows here within this time.
CLOCK_REFRESH_SECONDS = 0.25
#: Seconds a request waits for a pooled connection before it is answered 503.
POOL_TIMEOUT = 3.0
#: Seconds to wait for the database when connecting, unless the URL says (`connect_timeout=`).
CONNECT_TIMEOUT = 5
#: Connections each server process keeps to the database, at least and at most.
POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 10
#: A pooled connection idle for longer than this is checked before use (the database may have restarted).
IDLE_CHECK_SECONDS = 1.0
#: Seconds the pool keeps retrying a failed connection in the background; a new request tries again at once.
RECONNECT_SECONDS = 5.0
#: Any constant shared by every replica: the key of the advisory lock held while migrating ("journeymock").
MIGRATION_LOCK_KEY = 0x6A6F75726E65796D

#: The schema, one step per version. A step is applied once, in order, and never edited once released:
#: a change is a new step.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # The document is the journey as the SQLite store keeps it: exact JSON bytes (jsonb would refuse a lone
        # surrogate escape that a client may legitimately send).
        """
        CREATE TABLE odyssey_journeys (
            org_id text NOT NULL,
            slug text NOT NULL,
            document bytea NOT NULL,
            PRIMARY KEY (org_id, slug)
        )
        """,
        # One row at most: the moved clock, shared by every replica.
        "CREATE TABLE journeymock_clock (id boolean PRIMARY KEY DEFAULT true CHECK (id), setting text NOT NULL)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(connection: Connection) -> int:
    """Bring the schema to `SCHEMA_VERSION`, once, whatever other replicas do at the same time; the version
    found before. Raises `StoreError` for a database migrated by a newer journeymock."""
    with connection.transaction():
        # Held to the end of the transaction: the second replica to start waits here, then finds the work done.
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        connection.execute(
            "CREATE TABLE IF NOT EXISTS journeymock_schema ("
            " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        row = connection.execute("SELECT coalesce(max(version), 0) FROM journeymock_schema").fetchone()
        found = int(row[0]) if row else 0
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"the database's journeymock schema is version {found}, newer than this journeymock's "
                f"({SCHEMA_VERSION}): upgrade journeymock"
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                connection.execute(statement.encode())
            connection.execute("INSERT INTO journeymock_schema (version) VALUES (%s)", (version,))
    return found


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class PostgresStore:
    blocking = True
    kind = "postgresql"

    def __init__(self, url: DatabaseUrl) -> None:
        self.location = url.redacted

        def reason(error: BaseException) -> str:
            # libpq may quote the URL it was given: never with its password.
            return first_line(error).replace(url.url, self.location)

        try:
            settings = conninfo_to_dict(url.url)
        except psycopg.ProgrammingError as error:
            raise StoreError(f"invalid PostgreSQL URL {self.location}: {reason(error)}") from None
        connect_timeout = int(settings.get("connect_timeout") or CONNECT_TIMEOUT)
        try:
            with psycopg.connect(url.url, autocommit=True, connect_timeout=connect_timeout) as connection:
                found = migrate(connection)
        except psycopg.Error as error:
            raise StoreError(f"cannot reach PostgreSQL at {self.location}: {reason(error)}") from None
        except StoreError as error:
            raise StoreError(f"PostgreSQL at {self.location}: {error}") from None
        migrated = f"migrated from version {found}" if found < SCHEMA_VERSION else "up to date"
        logger.info("journeys in PostgreSQL at %s: schema version %d, %s", self.location, SCHEMA_VERSION, migrated)
        self._available = True
        self._clock_read: tuple[float, str | None] = (-CLOCK_REFRESH_SECONDS, None)
        self._state_lock = threading.Lock()
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url.url,
            kwargs={"autocommit": True, "connect_timeout": connect_timeout},
            min_size=POOL_MIN_SIZE,
            max_size=POOL_MAX_SIZE,
            timeout=POOL_TIMEOUT,
            reconnect_timeout=RECONNECT_SECONDS,
            check=_check_if_idle,
            name=f"journeymock {self.location}",
            open=False,
        )
        self._pool.open(wait=False)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A pooled connection for a write; a database or pool failure becomes `StoreUnavailable`.

        A write is never retried here: whether a failed one reached the database is unknown, and the client's
        retry after the 503 decides, as with any answer that never came."""
        try:
            with self._pool.connection() as connection:
                yield connection
                _mark_used(connection)
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as error:
            raise self._unavailable(error) from None
        self._note_success()

    def _read(self, query: Callable[[Connection], T]) -> T:
        """Run a read, once more on a fresh connection when the first one turns out broken (a database that
        restarted while the connection sat in the pool)."""
        for attempt in (1, 2):
            try:
                with self._pool.connection() as connection:
                    result = query(connection)
                    _mark_used(connection)
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                if attempt == 2:
                    raise self._unavailable(error) from None
            except PoolTimeout as error:
                raise self._unavailable(error) from None
            else:
                self._note_success()
                return result
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _unavailable(self, error: BaseException) -> StoreUnavailable:
        with self._state_lock:
            was_available, self._available = self._available, False
        if was_available:
            logger.warning("PostgreSQL at %s is unavailable: %s", self.location, first_line(error))
        return StoreUnavailable("the database does not answer")

    def _note_success(self) -> None:
        if self._available:
            return
        with self._state_lock:
            was_available, self._available = self._available, True
        if not was_available:
            logger.warning("PostgreSQL at %s answers again", self.location)

    def create(self, journey: WorkflowJourney) -> bool:
        with self._connection() as connection:
            cursor = connection.execute(
                "INSERT INTO odyssey_journeys (org_id, slug, document) VALUES (%s, %s, %s) "
                "ON CONFLICT (org_id, slug) DO NOTHING",
                (journey.org_id, journey.slug, encode_journey(journey)),
            )
            return cursor.rowcount == 1

    def get(self, org_id: str, slug: str) -> WorkflowJourney | None:
        def query(connection: Connection) -> bytes | None:
            row = connection.execute(
                "SELECT document FROM odyssey_journeys WHERE org_id = %s AND slug = %s", (org_id, slug)
            ).fetchone()
            return bytes(row[0]) if row else None

        document = self._read(query)
        return decode_journey(document) if document is not None else None

    def update(self, org_id: str, slug: str, change: Update) -> WorkflowJourney | None:
        with self._connection() as connection, connection.transaction():
            row = connection.execute(
                "SELECT document FROM odyssey_journeys WHERE org_id = %s AND slug = %s FOR UPDATE", (org_id, slug)
            ).fetchone()
            if row is None:
                return None
            updated = change(decode_journey(bytes(row[0])))
            connection.execute(
                "UPDATE odyssey_journeys SET document = %s WHERE org_id = %s AND slug = %s",
                (encode_journey(updated), org_id, slug),
            )
        return updated

    def clear(self) -> None:
        with self._connection() as connection:
            connection.execute("DELETE FROM odyssey_journeys")

    def count(self) -> int:
        def query(connection: Connection) -> int:
            row = connection.execute("SELECT count(*) FROM odyssey_journeys").fetchone()
            return int(row[0]) if row else 0

        return self._read(query)

    def save_clock(self, setting: str | None) -> None:
        with self._connection() as connection:
            if setting is None:
                connection.execute("DELETE FROM journeymock_clock")
            else:
                connection.execute(
                    "INSERT INTO journeymock_clock (id, setting) VALUES (true, %s) "
                    "ON CONFLICT (id) DO UPDATE SET setting = excluded.setting",
                    (setting,),
                )
        self._clock_read = (time.monotonic(), setting)

    def load_clock(self) -> str | None:
        """Asked on every request: read from the database at most every `CLOCK_REFRESH_SECONDS` (a moved clock
        reaches the other replicas within that time; this replica's own moves at once), so a request does
        not pay a database round trip for the time; the last setting read while the database is away."""
        read_at, setting = self._clock_read
        if time.monotonic() - read_at < CLOCK_REFRESH_SECONDS:
            return setting

        def query(connection: Connection) -> str | None:
            row = connection.execute("SELECT setting FROM journeymock_clock").fetchone()
            return str(row[0]) if row else None

        try:
            setting = self._read(query)
        except StoreUnavailable:
            # The time is not the journeys: while the database is away, Jourvex and Yofi keep answering with
            # the last clock read, and only what needs the database answers 503.
            return setting
        self._clock_read = (time.monotonic(), setting)
        return setting

    def close(self) -> None:
        self._pool.close()


def _mark_used(connection: Connection) -> None:
    connection._journeymock_used_at = time.monotonic()  # type: ignore[attr-defined]


def _check_if_idle(connection: Connection) -> None:
    """The pool's check before lending a connection: one round trip, only for a connection idle a while."""
    used_at: float = getattr(connection, "_journeymock_used_at", 0.0)
    if time.monotonic() - used_at > IDLE_CHECK_SECONDS:
        ConnectionPool.check_connection(connection)
