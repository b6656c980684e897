"""What only the PostgreSQL store does: its versioned schema, migrated once by replicas starting together; a
clear error when the database cannot be reached at start; 503s while it is gone, and recovery when it is back."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from postgres import SeveringProxy

from mockserver.clock import parse_instant
from mockserver.simulation import new_workflow_journey
from mockserver.store import DatabaseUrl, StoreError, StoreUnavailable, open_store
from mockserver.store_postgres import SCHEMA_VERSION, PostgresStore

NOW = parse_instant("2026-05-21T16:30:00Z")


def journey(slug: str):
    return new_workflow_journey(org_id="org_a", body={"slug": slug, "displayName": slug}, now=NOW, seed=1)


def schema_rows(url: str) -> list[tuple[int]]:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT version FROM journeymock_schema ORDER BY version").fetchall()


def test_replicas_starting_together_migrate_the_schema_once(postgres_url):
    starters = 6
    barrier = threading.Barrier(starters)
    opened: list[PostgresStore] = []
    failures: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            opened.append(PostgresStore(DatabaseUrl(postgres_url)))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert failures == []
        assert len(opened) == starters
        assert schema_rows(postgres_url) == [(version,) for version in range(1, SCHEMA_VERSION + 1)]
        assert opened[0].create(journey("after-start")) is True
        assert opened[-1].create(journey("after-start")) is False
    finally:
        for store in opened:
            store.close()


def test_opening_again_keeps_the_schema_and_the_journeys(postgres_url, caplog):
    caplog.set_level("INFO", logger="journeymock")
    first = open_store(DatabaseUrl(postgres_url))
    first.create(journey("kept"))
    first.close()
    second = open_store(DatabaseUrl(postgres_url))
    said = [record.getMessage() for record in caplog.records if "schema version" in record.getMessage()]
    assert said == [
        f"journeys in PostgreSQL at {DatabaseUrl(postgres_url).redacted}: schema version {SCHEMA_VERSION}, {state}"
        for state in ("migrated from version 0", "up to date")
    ]
    try:
        assert second.get("org_a", "kept") == journey("kept")
        assert schema_rows(postgres_url) == [(version,) for version in range(1, SCHEMA_VERSION + 1)]
    finally:
        second.close()


def test_a_schema_newer_than_this_journeymock_is_refused(postgres_url):
    open_store(DatabaseUrl(postgres_url)).close()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("INSERT INTO journeymock_schema (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match=f"schema is version {SCHEMA_VERSION + 1}, newer") as refused:
        open_store(DatabaseUrl(postgres_url))
    assert str(refused.value).startswith(f"PostgreSQL at {DatabaseUrl(postgres_url).redacted}: ")


def test_a_url_libpq_refuses_is_named_without_its_password():
    with pytest.raises(StoreError, match="invalid PostgreSQL URL") as refused:
        PostgresStore(DatabaseUrl("postgresql://jm:s3cret@[::1/x"))
    assert "s3cret" not in str(refused.value)


def test_an_unreachable_database_at_start_is_named_without_its_password():
    from support import free_port

    url = DatabaseUrl(f"postgresql://jm:s3cret@127.0.0.1:{free_port()}/journeymock")
    with pytest.raises(StoreError) as refused:
        open_store(url)
    message = str(refused.value)
    assert message.startswith(f"cannot reach PostgreSQL at {url.redacted}: ")
    assert "s3cret" not in message
    assert "\n" not in message


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[SeveringProxy]:
    severing = SeveringProxy(postgres_url)
    try:
        yield severing
    finally:
        severing.close()


def test_a_database_that_goes_away_gives_unavailable_and_one_that_returns_is_used_again(proxy):
    store = open_store(DatabaseUrl(proxy.url))
    try:
        assert store.create(journey("before")) is True
        proxy.sever()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as unavailable:
            store.get("org_a", "before")
        assert time.monotonic() - started < 10
        assert unavailable.value.status == 503
        assert unavailable.value.headers["Retry-After"] == "1"
        with pytest.raises(StoreUnavailable):
            store.create(journey("during"))
        proxy.restore()
        deadline = time.monotonic() + 20
        while True:
            try:
                found = store.get("org_a", "before")
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline, "the store did not recover within 20 s"
                time.sleep(0.2)
        assert found == journey("before")
        assert store.create(journey("after")) is True
    finally:
        store.close()


def test_without_postgresql_installed_the_fixture_says_why(monkeypatch):
    import postgres

    monkeypatch.setattr(postgres.shutil, "which", lambda _name: None)
    monkeypatch.setattr(postgres.glob, "glob", lambda _pattern: [])
    cluster = postgres.throwaway_cluster()
    with pytest.raises(postgres.Unavailable, match=r"PostgreSQL is not installed .*apt-get install postgresql"):
        cluster.__enter__()
