"""Durability with `--state`: SIGKILL the server in the middle of a stream of writes, restart it on the same file.

Every create answered 201 before the kill must be there after the restart, as answered; a write whose answer
never came may or may not have happened, but the store must agree with itself about it (retrievable ⇔ a new
create of the slug is a conflict). Nothing is answered 409 or 5xx while the stream runs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
from support import FIXED_NOW, served_mock, start_server

STREAMS = 4
ANSWERED_BEFORE_KILL = 150
STREAM_LIMIT = 5000  # creates per stream, at most
TOKEN = "odyssey-durability"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Ledger:
    """What each client saw: answers by slug, and the slugs whose answer never came."""

    answered: dict[str, httpx.Response] = field(default_factory=dict)
    unanswered: list[str] = field(default_factory=list)
    last_update: int = -1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def created(self) -> int:
        with self.lock:
            return sum(1 for response in self.answered.values() if response.status_code == 201)


def stream_creates(base_url: str, stream: int, ledger: Ledger, stop: threading.Event) -> None:
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=10) as client:
        for index in range(STREAM_LIMIT):
            if stop.is_set():
                return
            slug = f"stream-{stream}-{index}"
            try:
                response = client.post(
                    "/api/journeys/create", json={"slug": slug, "displayName": f"S {stream} {index}"}
                )
            except httpx.HTTPError:
                with ledger.lock:
                    ledger.unanswered.append(slug)
                return  # the server is gone
            with ledger.lock:
                ledger.answered[slug] = response


def stream_updates(base_url: str, ledger: Ledger, stop: threading.Event) -> None:
    """Sequential updates of one journey; the ledger keeps the last one answered 200."""
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=10) as client:
        for version in range(STREAM_LIMIT):
            if stop.is_set():
                return
            try:
                response = client.put("/api/journeys/updated", json={"displayName": f"version-{version}"})
            except httpx.HTTPError:
                return
            if response.status_code != 200:
                raise AssertionError(f"update {version} answered {response.status_code}: {response.text}")
            ledger.last_update = version


@pytest.mark.parametrize("workers", [1, 2])
def test_a_sigkill_during_a_stream_of_writes_loses_nothing_that_was_answered(tmp_path, workers):
    arguments = ["--now", FIXED_NOW, "--state", str(tmp_path / "state.sqlite"), "--log-level", "warning"]
    if workers > 1:
        arguments += ["--workers", str(workers)]
    ledger, stop = Ledger(), threading.Event()
    served = start_server(arguments, tmp_path)
    try:
        seed = httpx.post(
            f"{served.base_url}/api/journeys/create", json={"slug": "updated", "displayName": "v"}, headers=AUTH
        )
        assert seed.status_code == 201
        threads = [
            threading.Thread(target=stream_creates, args=(served.base_url, stream, ledger, stop))
            for stream in range(STREAMS)
        ]
        threads.append(threading.Thread(target=stream_updates, args=(served.base_url, ledger, stop)))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while ledger.created() < ANSWERED_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.02)
        served.kill()  # mid-stream: requests are in flight
    finally:
        stop.set()
        served.kill()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()

    statuses = {response.status_code for response in ledger.answered.values()}
    assert statuses == {201}, statuses  # no spurious 409, no 5xx
    assert ledger.created() >= ANSWERED_BEFORE_KILL
    assert ledger.last_update >= 0

    with (
        served_mock(arguments, tmp_path) as restarted,
        httpx.Client(base_url=restarted.base_url, headers=AUTH, timeout=10) as client,
    ):
        for slug, answer in ledger.answered.items():
            found = client.get(f"/api/journeys/{slug}")
            assert found.status_code == 200, f"{slug} was answered 201 before the kill and is gone"
            for key in ("id", "orgId", "slug", "displayName", "createdAt"):
                assert found.json()[key] == answer.json()[key], (slug, key)
        for slug in ledger.unanswered:
            present = client.get(f"/api/journeys/{slug}").status_code
            assert present in (200, 404)
            again = client.post("/api/journeys/create", json={"slug": slug, "displayName": "again"})
            assert again.status_code == (409 if present == 200 else 201), (slug, present, again.text)
        # The last answered update is there (or the one in flight after it, if it reached the disk).
        name = client.get("/api/journeys/updated").json()["displayName"]
        assert name in (f"version-{ledger.last_update}", f"version-{ledger.last_update + 1}"), name
        # And the store still takes writes.
        fresh = client.post("/api/journeys/create", json={"slug": "after-restart", "displayName": "A"})
        assert fresh.status_code == 201, fresh.text
