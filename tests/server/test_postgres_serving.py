"""`journeymock serve --state postgresql://...` as a process: a clear exit when the database is not there at
start, a 503 in the API's own shape while it is gone, recovery without a restart, and a health answer that says
which store and which replica answered."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest
from postgres import SeveringProxy
from support import FIXED_NOW, JOURVEX_AUTH, ODYSSEY_AUTH, free_port, served_mock

from mockserver.store import redact_url


def test_serve_exits_2_naming_the_unreachable_database_without_its_password():
    url = f"postgresql://jm:s3cret@127.0.0.1:{free_port()}/journeymock"
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--state", url, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "s3cret" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert errors == [errors[0]]
    assert errors[0].startswith("journeymock")
    assert f"error: cannot reach PostgreSQL at {redact_url(url)}: " in errors[0]


@pytest.mark.parametrize(
    ("state", "message"),
    [("mysql://db/x", "scheme 'mysql' is not supported"), ("postgresql://jm:s3cret@db:port/x", "malformed")],
)
def test_serve_refuses_a_state_url_it_cannot_use(state, message):
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--state", state], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "s3cret" not in done.stderr


def test_health_names_the_store_and_the_replica(postgres_url, tmp_path):
    with served_mock(["--state", postgres_url, "--log-level", "warning"], tmp_path) as served:
        health = httpx.get(f"{served.base_url}/__admin/health").json()
    assert health["store"] == {"kind": "postgresql", "location": redact_url(postgres_url)}
    assert health["state"] == redact_url(postgres_url)
    host, _, pid = health["replica"].rpartition(":")
    assert host
    assert int(pid) == served.process.pid


def test_workers_share_the_database_and_health_never_shows_its_password(postgres_url, tmp_path):
    # The test servers trust loopback connections, so the password is not checked; it must not be shown.
    with_password = postgres_url.replace("://postgres@", "://postgres:s3cret@", 1)
    assert "s3cret" in with_password
    arguments = ["--state", with_password, "--workers", "2", "--now", FIXED_NOW, "--log-level", "warning"]
    with served_mock(arguments, tmp_path) as served, httpx.Client(base_url=served.base_url, timeout=30) as client:
        replicas: dict[str, list[int]] = {}
        for index in range(200):
            # A new connection each time, so the kernel hands it to either worker.
            close = {"Connection": "close"}
            health = client.get("/__admin/health", headers=close)
            assert "s3cret" not in health.text
            assert health.json()["store"]["location"] == redact_url(with_password)
            body = {"slug": f"worker-{index}", "displayName": "W"}
            created = client.post("/api/journeys/create", json=body, headers={**ODYSSEY_AUTH, **close})
            assert created.status_code == 201
            replicas.setdefault(health.json()["replica"], []).append(index)
            if len(replicas) == 2 and index >= 20:
                break
        assert len(replicas) == 2, replicas  # both worker processes answered
        # Every journey created, through either worker, reads back: one database.
        for slug in (f"worker-{created}" for answered in replicas.values() for created in answered):
            assert client.get(f"/api/journeys/{slug}", headers=ODYSSEY_AUTH).status_code == 200
        assert "s3cret" not in served.log()


def test_a_database_gone_while_serving_is_a_503_and_its_return_is_noticed(postgres_url, tmp_path):
    proxy = SeveringProxy(postgres_url)
    arguments = ["--state", proxy.url, "--now", FIXED_NOW, "--log-level", "warning"]
    try:
        with served_mock(arguments, tmp_path) as served, httpx.Client(base_url=served.base_url, timeout=30) as client:
            body = {"slug": "outage", "displayName": "Outage"}
            assert client.post("/api/journeys/create", json=body, headers=ODYSSEY_AUTH).status_code == 201
            proxy.sever()
            for method, path in (("GET", "/api/journeys/outage"), ("POST", "/api/journeys/create")):
                answer = client.request(method, path, json=body if method == "POST" else None, headers=ODYSSEY_AUTH)
                assert answer.status_code == 503, answer.text
                assert answer.headers["retry-after"] == "1"
                assert set(answer.json()) == {"error"}
                assert "journey store is unavailable" in answer.json()["error"]
            reset = client.post("/__admin/reset")
            assert reset.status_code == 503
            assert reset.headers["retry-after"] == "1"
            # What does not need the store is served as before.
            assert client.get("/api/journey/cluster_8f2ab", headers=JOURVEX_AUTH).status_code == 200
            proxy.restore()
            deadline = time.monotonic() + 30
            while (found := client.get("/api/journeys/outage", headers=ODYSSEY_AUTH)).status_code == 503:
                assert time.monotonic() < deadline, "still 503 30 s after the database came back"
                time.sleep(0.2)
            assert found.status_code == 200
            assert found.json()["slug"] == "outage"
            again = client.post(
                "/api/journeys/create", json={"slug": "after", "displayName": "A"}, headers=ODYSSEY_AUTH
            )
            assert again.status_code == 201
            assert "is unavailable" in served.log()
    finally:
        proxy.close()
