"""Two `journeymock serve` processes over one PostgreSQL database answer as one: what is created through one
reads back through the other, a contested slug has one winner across both, a replica killed mid-writes loses
nothing it answered 201 for, and a reset through one is a reset for both."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from support import FIXED_NOW, ODYSSEY_AUTH, ServedMock, served_mock, start_server
from support import JOURVEX_AUTH as JOURVEX

CREATE = "/api/journeys/create"


@pytest.fixture
def replicas(postgres_url, tmp_path) -> Iterator[tuple[ServedMock, ServedMock]]:
    arguments = ["--state", postgres_url, "--now", FIXED_NOW, "--log-level", "warning"]
    with served_mock(arguments, tmp_path / "a") as first, served_mock(arguments, tmp_path / "b") as second:
        yield first, second


def create(base_url: str, slug: str, name: str = "Shared") -> httpx.Response:
    return httpx.post(f"{base_url}{CREATE}", json={"slug": slug, "displayName": name}, headers=ODYSSEY_AUTH, timeout=30)


def test_a_journey_created_through_one_replica_reads_back_through_the_other(replicas):
    first, second = replicas
    health = [httpx.get(f"{served.base_url}/__admin/health").json() for served in replicas]
    assert health[0]["replica"] != health[1]["replica"]
    assert health[0]["store"] == health[1]["store"]
    created = create(first.base_url, "shared")
    assert created.status_code == 201
    found = httpx.get(f"{second.base_url}/api/journeys/shared", headers=ODYSSEY_AUTH)
    assert found.status_code == 200
    for key in ("id", "slug", "displayName", "createdAt", "updatedAt"):
        assert found.json()[key] == created.json()[key]
    renamed = httpx.put(f"{second.base_url}/api/journeys/shared", json={"displayName": "Renamed"}, headers=ODYSSEY_AUTH)
    assert renamed.status_code == 200
    back = httpx.get(f"{first.base_url}/api/journeys/shared", headers=ODYSSEY_AUTH)
    assert back.json()["displayName"] == "Renamed"
    assert back.json()["updatedAt"] == renamed.json()["updatedAt"]


def test_fifty_concurrent_creates_of_one_slug_over_two_replicas_have_one_winner(replicas):
    barrier = threading.Barrier(50)

    def attempt(index: int) -> int:
        barrier.wait()
        return create(replicas[index % 2].base_url, "contested", f"Attempt {index}").status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(attempt, range(50)))
    assert sorted(statuses) == [201] + [409] * 49
    names = {
        httpx.get(f"{served.base_url}/api/journeys/contested", headers=ODYSSEY_AUTH).json()["displayName"]
        for served in replicas
    }
    assert len(names) == 1


def test_a_reset_through_one_replica_clears_the_journeys_of_both(replicas):
    first, second = replicas
    assert create(first.base_url, "before-reset").status_code == 201
    assert httpx.post(f"{second.base_url}/__admin/reset").status_code == 204
    for served in replicas:
        assert httpx.get(f"{served.base_url}/api/journeys/before-reset", headers=ODYSSEY_AUTH).status_code == 404
    assert create(first.base_url, "before-reset").status_code == 201


def test_the_clock_moved_through_one_replica_is_the_clock_of_both(replicas):
    first, second = replicas
    configured = httpx.get(f"{first.base_url}/__admin/clock").json()["now"]
    moved = httpx.post(f"{first.base_url}/__admin/clock", json={"advance": "PT6H"})
    assert moved.status_code == 200, moved.text
    target = moved.json()["now"]
    # The other replica reads the shared setting at most a quarter of a second late.
    deadline = time.monotonic() + 3
    while httpx.get(f"{second.base_url}/__admin/clock").json()["now"] != target:
        assert time.monotonic() < deadline, "the second replica never showed the moved clock"
        time.sleep(0.05)
    journeys = [httpx.get(f"{served.base_url}/api/journey/cluster_8f2ab", headers=JOURVEX) for served in replicas]
    assert journeys[0].content == journeys[1].content
    assert httpx.post(f"{second.base_url}/__admin/reset").status_code == 204
    deadline = time.monotonic() + 3
    while httpx.get(f"{first.base_url}/__admin/clock").json()["now"] != configured:
        assert time.monotonic() < deadline, "a reset through one replica did not put back the clock of the other"
        time.sleep(0.05)


def test_a_replica_killed_mid_writes_loses_nothing_it_answered_201_for(postgres_url, tmp_path):
    arguments = ["--state", postgres_url, "--now", FIXED_NOW, "--log-level", "warning"]
    answered: dict[str, dict[str, object]] = {}
    lock, stop = threading.Lock(), threading.Event()

    def stream(base_url: str, writer: int) -> None:
        with httpx.Client(base_url=base_url, headers=ODYSSEY_AUTH, timeout=10) as client:
            for index in range(5000):
                if stop.is_set():
                    return
                slug = f"kill-{writer}-{index}"
                try:
                    response = client.post(CREATE, json={"slug": slug, "displayName": slug})
                except httpx.HTTPError:
                    return  # the replica is gone; this answer never came
                assert response.status_code == 201, response.text
                with lock:
                    answered[slug] = response.json()

    with served_mock(arguments, tmp_path / "survivor") as survivor:
        victim = start_server(arguments, tmp_path / "victim")
        writers = [threading.Thread(target=stream, args=(victim.base_url, writer)) for writer in range(4)]
        try:
            for writer in writers:
                writer.start()
            deadline = time.monotonic() + 30
            while len(answered) < 100 and time.monotonic() < deadline:
                time.sleep(0.01)
            victim.kill()  # SIGKILL while requests are in flight
        finally:
            stop.set()
            victim.kill()
            for writer in writers:
                writer.join(timeout=30)
        assert len(answered) >= 100
        with httpx.Client(base_url=survivor.base_url, headers=ODYSSEY_AUTH, timeout=10) as client:
            for slug, body in answered.items():
                found = client.get(f"/api/journeys/{slug}")
                assert found.status_code == 200, f"{slug} was answered 201 and is gone"
                assert found.json()["id"] == body["id"]
                assert found.json()["createdAt"] == body["createdAt"]
