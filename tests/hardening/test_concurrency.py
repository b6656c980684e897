"""Concurrency against the served mock: many distinct creates at once, and many writers racing on one journey.

Each store is exercised: in memory, SQLite (`--state`), SQLite shared by two worker processes, and PostgreSQL
with one and with two worker processes. The clock is
fixed (`--now`), so the store's promise that `updatedAt` moves at least a millisecond per update makes the k-th
applied update carry exactly createdAt + k ms: any lost update (two writers reading the same version) shows up
as a repeated or missing millisecond.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from support import FIXED_NOW, ServedMock, served_mock

from mockserver.clock import format_instant, parse_instant

from ._support import call, json_request, send_concurrently

CREATES = 1000
UPDATES = 200
CONNECTIONS = 50
CONFIGURATIONS = {
    "memory": [],
    "sqlite": ["--state", "{state}"],
    "sqlite-2-workers": ["--state", "{state}", "--workers", "2"],
    "postgresql": ["--state", "{database}"],
    "postgresql-2-workers": ["--state", "{database}", "--workers", "2"],
}


@pytest.fixture(scope="module", params=list(CONFIGURATIONS))
def mock(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    directory: Path = tmp_path_factory.mktemp(f"concurrency-{request.param}")
    with contextlib.ExitStack() as stack:
        database = ""
        if request.param.startswith("postgresql"):
            database = stack.enter_context(request.getfixturevalue("postgres").database())
        extra = [
            argument.format(state=directory / "state.sqlite", database=database)
            for argument in CONFIGURATIONS[request.param]
        ]
        yield stack.enter_context(served_mock(["--now", FIXED_NOW, "--log-level", "warning", *extra], directory))


def organisation_token() -> str:
    """A fresh organisation for each test, so the tests share nothing but the server."""
    return f"odyssey-concurrency-{uuid.uuid4().hex[:12]}"


def test_a_thousand_concurrent_distinct_creates_all_succeed_and_stay_retrievable(mock):
    token = organisation_token()
    bodies = [
        {
            "slug": f"bulk-{index}",
            "displayName": f"Bulk {index}",
            "steps": [{"stepKey": f"step-{index}", "index": 0, "fieldCount": index}],
        }
        for index in range(CREATES)
    ]
    creates = [json_request("POST", "/api/journeys/create", token, body) for body in bodies]
    created = asyncio.run(send_concurrently(mock.base_url, creates, connections=CONNECTIONS, timeout=120))
    statuses = [response.status for response in created]
    assert statuses == [201] * CREATES, {status: statuses.count(status) for status in set(statuses)}
    documents = [response.json() for response in created]
    for body, document in zip(bodies, documents, strict=True):
        assert document["slug"] == body["slug"]
        assert document["displayName"] == body["displayName"]
        assert document["steps"][0]["fieldCount"] == body["steps"][0]["fieldCount"]
    assert len({document["id"] for document in documents}) == CREATES

    reads = [json_request("GET", f"/api/journeys/{body['slug']}", token) for body in bodies]
    retrieved = asyncio.run(send_concurrently(mock.base_url, reads, connections=CONNECTIONS, timeout=120))
    assert [response.status for response in retrieved] == [200] * CREATES
    for document, response in zip(documents, retrieved, strict=True):
        found = response.json()
        assert (found["id"], found["slug"], found["displayName"]) == (
            document["id"],
            document["slug"],
            document["displayName"],
        )
        assert found["steps"][0]["stepKey"] == document["steps"][0]["stepKey"]


def test_parallel_updates_of_one_journey_lose_nothing_and_tear_nothing(mock):
    token = organisation_token()
    created = call(
        mock.base_url,
        "POST",
        "/api/journeys/create",
        {"Authorization": f"Bearer {token}"},
        {"slug": "contended", "displayName": "Original"},
    )
    assert created.status == 201, created.body
    created_at = parse_instant(created.json()["createdAt"])
    changes = [
        {"displayName": f"writer-{index}", "allowedOrigins": [f"https://writer-{index}.example"]}
        for index in range(UPDATES)
    ]
    updates = [json_request("PUT", "/api/journeys/contended", token, change) for change in changes]
    answered = asyncio.run(send_concurrently(mock.base_url, updates, connections=CONNECTIONS, timeout=120))

    assert [response.status for response in answered] == [200] * UPDATES
    documents = [response.json() for response in answered]
    for change, document in zip(changes, documents, strict=True):
        # Each answer is the journey as this writer left it: its own name with its own origins, never a mix.
        assert document["displayName"] == change["displayName"]
        assert document["allowedOrigins"] == change["allowedOrigins"]
    # The store applied the writes one after another: the k-th carries createdAt + k ms, none twice, none skipped.
    stamps = sorted(document["updatedAt"] for document in documents)
    expected = [format_instant(created_at + timedelta(milliseconds=k), millis=True) for k in range(1, UPDATES + 1)]
    assert stamps == expected

    last = max(documents, key=lambda document: document["updatedAt"])
    final = call(mock.base_url, "GET", "/api/journeys/contended", {"Authorization": f"Bearer {token}"}).json()
    assert final["displayName"] == last["displayName"]
    assert final["allowedOrigins"] == last["allowedOrigins"]
    assert final["updatedAt"] == last["updatedAt"] == expected[-1]
    assert final["createdAt"] == created.json()["createdAt"]
