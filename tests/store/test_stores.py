"""One suite for every journey store — memory, SQLite and PostgreSQL — through the `JourneyStore` interface.

PostgreSQL tests use a real server (`tests/postgres.py`) and a database of their own. Concurrency is real too:
threads on one store, and for the durable stores two store objects on one location, as two replicas are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.clock import ClockSetting, parse_instant
from mockserver.config import ServerConfig
from mockserver.simulation import WorkflowJourney, new_workflow_journey, updated_workflow_journey
from mockserver.store import (
    DatabaseUrl,
    JourneyStore,
    MemoryStore,
    StateLocation,
    open_store,
    parse_state,
)

NOW = parse_instant("2026-05-21T16:30:00Z")
KINDS = ["memory", "sqlite", "postgresql"]
DURABLE_KINDS = ["sqlite", "postgresql"]

StoreFactory = Callable[[], JourneyStore]


def journey(slug: str = "grant", org_id: str = "org_a", **body: object) -> WorkflowJourney:
    return new_workflow_journey(
        org_id=org_id, body={"slug": slug, "displayName": f"Journey {slug}", **body}, now=NOW, seed=3
    )


@pytest.fixture
def location(request: pytest.FixtureRequest, tmp_path: Path) -> StateLocation:
    kind = request.param
    if kind == "memory":
        return None
    if kind == "sqlite":
        return tmp_path / "state.sqlite"
    return DatabaseUrl(request.getfixturevalue("postgres_url"))


@pytest.fixture
def opener(location: StateLocation) -> Iterator[StoreFactory]:
    """Opens stores on the test's location (each one is what one replica would open); closes them all."""
    opened: list[JourneyStore] = []
    memory = MemoryStore() if location is None else None

    def open_one() -> JourneyStore:
        store = memory if memory is not None else open_store(location)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(opener: StoreFactory) -> JourneyStore:
    return opener()


every_store = pytest.mark.parametrize("location", KINDS, indirect=True)
durable_store = pytest.mark.parametrize("location", DURABLE_KINDS, indirect=True)


@every_store
def test_a_created_journey_reads_back_equal(store):
    created = journey(steps=[{"stepKey": "start", "index": 0, "fieldCount": 3, "requiredArtifacts": ["id"]}])
    assert store.create(created) is True
    assert store.get("org_a", "grant") == created
    assert store.count() == 1


@every_store
def test_a_duplicate_slug_is_refused_and_the_first_journey_kept(store):
    first = journey(displayName="First")
    assert store.create(first) is True
    assert store.create(journey(displayName="Second")) is False
    assert store.get("org_a", "grant") == first
    assert store.count() == 1


@every_store
def test_organisations_are_isolated(store):
    ours, theirs = journey(org_id="org_a"), journey(org_id="org_b", displayName="Theirs")
    assert store.create(ours) is True
    assert store.get("org_b", "grant") is None
    assert store.create(theirs) is True  # the same slug in another organisation is another journey
    assert store.get("org_a", "grant") == ours
    assert store.get("org_b", "grant") == theirs
    assert store.update("org_b", "grant", lambda j: replace(j, display_name="Changed")) is not None
    assert store.get("org_a", "grant") == ours


@every_store
def test_an_update_applies_the_change_and_returns_it(store):
    store.create(journey())
    changed = store.update(
        "org_a", "grant", lambda j: updated_workflow_journey(j, changes={"displayName": "Renamed"}, now=NOW)
    )
    assert changed is not None
    assert changed.display_name == "Renamed"
    assert store.get("org_a", "grant") == changed


@every_store
def test_an_update_of_a_missing_journey_changes_nothing(store):
    calls: list[WorkflowJourney] = []
    assert store.update("org_a", "missing", lambda j: calls.append(j) or j) is None
    assert calls == []
    assert store.count() == 0


@every_store
def test_a_failing_change_leaves_the_journey_as_it_was_and_the_store_usable(store):
    original = journey()
    store.create(original)

    def fail(_journey: WorkflowJourney) -> WorkflowJourney:
        raise RuntimeError("change failed")

    with pytest.raises(RuntimeError, match="change failed"):
        store.update("org_a", "grant", fail)
    assert store.get("org_a", "grant") == original
    assert store.update("org_a", "grant", lambda j: replace(j, display_name="After")) is not None


@every_store
def test_clear_forgets_every_journey_and_keeps_the_clock(store):
    for index in range(3):
        store.create(journey(f"j-{index}", org_id=f"org_{index}"))
    moved = ClockSetting(None, timedelta(hours=2)).text()
    store.save_clock(moved)
    store.clear()
    assert store.count() == 0
    assert store.get("org_0", "j-0") is None
    assert store.load_clock() == moved  # Mock.reset forgets it, with save_clock(None)
    assert store.create(journey("j-0", org_id="org_0")) is True


@every_store
def test_the_clock_setting_is_kept_replaced_and_removed(store):
    assert store.load_clock() is None
    frozen = ClockSetting(parse_instant("2031-02-03T04:05:06.789123Z"))
    store.save_clock(frozen.text())
    assert ClockSetting.from_text(store.load_clock()) == frozen
    running = ClockSetting(None, -timedelta(days=3, microseconds=7))
    store.save_clock(running.text())
    assert ClockSetting.from_text(store.load_clock()) == running
    store.save_clock(None)
    assert store.load_clock() is None


@every_store
def test_values_the_fast_json_path_refuses_are_stored_exactly(store):
    """Integers beyond 64 bits and lone surrogates are valid JSON a client may send."""
    odd = journey("odd", displayName="a\ud800b", steps=[{"stepKey": "huge", "index": 2**70}])
    assert store.create(odd) is True
    assert store.get("org_a", "odd") == odd


@every_store
def test_concurrent_creates_of_one_slug_have_one_winner(opener):
    stores = [opener(), opener()]  # two replicas (or one, twice, for memory)
    attempts = 24
    barrier = threading.Barrier(attempts)

    def create(index: int) -> bool:
        barrier.wait()
        return stores[index % 2].create(journey(displayName=f"Attempt {index}"))

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        results = list(pool.map(create, range(attempts)))
    assert results.count(True) == 1
    assert stores[0].count() == 1


@every_store
def test_concurrent_updates_lose_nothing(opener):
    stores = [opener(), opener()]
    stores[0].create(journey())
    writers, rounds = 6, 10

    def bump(index: int) -> None:
        for _ in range(rounds):
            # A read-modify-write: any lost update leaves the count short.
            stores[index % 2].update(
                "org_a", "grant", lambda j: replace(j, display_name=str(int(j.display_name.split()[-1]) + 1))
            )

    stores[0].update("org_a", "grant", lambda j: replace(j, display_name="0"))
    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(bump, range(writers)))
    final = stores[1].get("org_a", "grant")
    assert final is not None
    assert final.display_name == str(writers * rounds)


@durable_store
def test_two_stores_on_one_location_see_each_others_writes(opener):
    first, second = opener(), opener()
    assert first.create(journey()) is True
    assert second.get("org_a", "grant") == journey()
    assert second.create(journey()) is False
    moved = ClockSetting(None, timedelta(minutes=5)).text()
    second.save_clock(moved)
    assert first.load_clock() == moved
    second.clear()
    assert first.get("org_a", "grant") is None


@durable_store
def test_a_reopened_store_keeps_what_was_written(location):
    store = open_store(location)
    store.create(journey())
    store.update("org_a", "grant", lambda j: replace(j, display_name="Kept"))
    store.close()
    reopened = open_store(location)
    try:
        found = reopened.get("org_a", "grant")
        assert found is not None
        assert found.display_name == "Kept"
    finally:
        reopened.close()


@every_store
def test_a_store_says_what_it_is_without_secrets(store, location):
    if isinstance(location, DatabaseUrl):
        assert store.kind == "postgresql"
        assert store.location == location.redacted
    elif location is None:
        assert (store.kind, store.location) == ("memory", "memory")
    else:
        assert (store.kind, store.location) == ("sqlite", str(location))


slugs = st.text(alphabet="abcdefghij-", min_size=1, max_size=6)
operations = st.lists(
    st.tuples(st.sampled_from(["create", "update", "get"]), st.sampled_from(["org_a", "org_b"]), slugs),
    max_size=25,
)


@every_store
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_a_store_behaves_as_a_dictionary_keyed_by_organisation_and_slug(store, steps):
    store.clear()
    model: dict[tuple[str, str], WorkflowJourney] = {}
    for index, (action, org_id, slug) in enumerate(steps):
        key = (org_id, slug)
        if action == "create":
            candidate = journey(slug, org_id=org_id, displayName=f"v{index}")
            assert store.create(candidate) is (key not in model)
            model.setdefault(key, candidate)
        elif action == "update":
            result = store.update(org_id, slug, lambda j, i=index: replace(j, display_name=f"u{i}"))
            if key in model:
                model[key] = replace(model[key], display_name=f"u{index}")
            assert result == model.get(key)
        else:
            assert store.get(org_id, slug) == model.get(key)
    assert store.count() == len(model)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (":memory:", None),
        ("state.sqlite", Path("state.sqlite")),
        ("/var/lib/journeymock/state.sqlite", Path("/var/lib/journeymock/state.sqlite")),
        ("postgresql://jm@db:5432/journeymock", DatabaseUrl("postgresql://jm@db:5432/journeymock")),
        ("postgres://jm:pw@db/journeymock", DatabaseUrl("postgres://jm:pw@db/journeymock")),
        (
            "postgresql:///journeymock?host=/run/postgresql",
            DatabaseUrl("postgresql:///journeymock?host=/run/postgresql"),
        ),
        ("postgresql:///journeymock", DatabaseUrl("postgresql:///journeymock")),
        ("postgresql://jm@h1:5432,h2:5433/x", DatabaseUrl("postgresql://jm@h1:5432,h2:5433/x")),
    ],
)
def test_state_text_names_memory_a_sqlite_file_or_a_database(text, expected):
    assert parse_state(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("mysql://db/x", "scheme 'mysql' is not supported"),
        ("postgresql://jm:pw@db:port/x", "port 'port' is not a number"),
        ("postgresql://jm:pw@db/x?colour=blue", 'malformed: invalid URI query parameter: "colour"'),
        ("postgresql://jm:pw@[::1/x", "malformed: end of string reached"),
    ],
)
def test_unusable_state_text_is_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message) as refused:
        parse_state(text)
    assert "pw" not in str(refused.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://jm:s3cret@db:5432/x", "postgresql://jm@db:5432/x"),
        ("postgresql://jm@db/x?password=s3cret&sslmode=require", "postgresql://jm@db/x?sslmode=require"),
        ("postgres://:s3cret@db/x", "postgres://@db/x"),
        ("postgresql://jm:p%40ss@h1:5432,h2:5433/x", "postgresql://jm@h1:5432,h2:5433/x"),
        ("postgresql://jm:s3cret@[::1/x?password=s3cret#f", "postgresql://jm@[::1/x#f"),
        ("postgresql:///x?Password=s3cret", "postgresql:///x"),
    ],
)
def test_a_database_url_is_shown_without_its_password(url, shown):
    location = DatabaseUrl(url)
    assert location.redacted == shown
    assert "s3cret" not in repr(location)
    assert str(location) == shown  # an f-string or a log line cannot leak it either
    assert location.url == url


@pytest.mark.parametrize(
    "location",
    [None, Path("/var/lib/journeymock/state.sqlite"), DatabaseUrl("postgresql://jm:s3cret@db:5432/journeymock")],
)
def test_the_workers_configuration_names_the_same_store(location):
    """`--workers` hands the configuration over as JSON: the database URL must arrive whole, password included."""
    config = ServerConfig(state_path=location)
    assert ServerConfig.from_json(config.to_json()).state_path == location
