"""The served mock as a process: determinism across restarts, durability with --state, racing creates."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys

import httpx
from support import FIXED_NOW, JOURVEX_AUTH, ODYSSEY_AUTH, YOFI_HEADERS, served_mock, start_server

IDS = ["cluster_8f2ab", "jid-1", "visitor-42", "x"]


def fetch_bodies(base_url: str) -> list[bytes]:
    bodies = [httpx.get(f"{base_url}/api/journey/{journey_id}", headers=JOURVEX_AUTH).content for journey_id in IDS]
    bodies += [
        httpx.get(
            f"{base_url}/data-api/v3/journeys/{journey_id}?fields[journeys]=predictions", headers=YOFI_HEADERS
        ).content
        for journey_id in IDS
    ]
    return bodies


def test_restart_with_same_seed_and_now_gives_identical_bodies(tmp_path):
    arguments = ["--seed", "11", "--now", FIXED_NOW]
    with served_mock(arguments, tmp_path) as first:
        before = fetch_bodies(first.base_url)
    with served_mock(arguments, tmp_path) as second:
        after = fetch_bodies(second.base_url)
    with served_mock(["--seed", "12", "--now", FIXED_NOW], tmp_path) as other:
        reseeded = fetch_bodies(other.base_url)
    assert before == after
    assert all(body.startswith(b"{") for body in before)
    assert before != reseeded


def test_state_survives_sigkill(tmp_path):
    state = tmp_path / "state.sqlite"
    arguments = ["--state", str(state), "--now", FIXED_NOW]
    served = start_server(arguments, tmp_path)
    created = []
    try:
        for index in range(20):
            response = httpx.post(
                f"{served.base_url}/api/journeys/create",
                json={"slug": f"durable-{index}", "displayName": f"Durable {index}"},
                headers=ODYSSEY_AUTH,
            )
            assert response.status_code == 201
            created.append(response.json())
    finally:
        served.kill()
    with served_mock(arguments, tmp_path) as restarted:
        for body in created:
            response = httpx.get(f"{restarted.base_url}/api/journeys/{body['slug']}", headers=ODYSSEY_AUTH)
            assert response.status_code == 200, body["slug"]
            assert response.json()["id"] == body["id"]
            assert response.json()["createdAt"] == body["createdAt"]


def race_creates(base_url: str, count: int) -> list[int]:
    def create(_index: int) -> int:
        return httpx.post(
            f"{base_url}/api/journeys/create",
            json={"slug": "contested", "displayName": "Contested"},
            headers=ODYSSEY_AUTH,
            timeout=30,
        ).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(create, range(count)))


def test_fifty_concurrent_creates_of_one_slug_one_wins(tmp_path):
    with served_mock(["--now", FIXED_NOW], tmp_path) as served:
        statuses = race_creates(served.base_url, 50)
    assert sorted(statuses) == [201] + [409] * 49


def test_fifty_concurrent_creates_with_sqlite_state_and_two_workers(tmp_path):
    arguments = ["--now", FIXED_NOW, "--state", str(tmp_path / "race.sqlite"), "--workers", "2"]
    with served_mock(arguments, tmp_path) as served:
        statuses = race_creates(served.base_url, 50)
    assert sorted(statuses) == [201] + [409] * 49


def test_cli_help_and_usage_errors():
    help_text = subprocess.run([sys.executable, "-m", "mockserver.cli", "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0
    assert "serve" in help_text.stdout
    serve_help = subprocess.run(
        [sys.executable, "-m", "mockserver.cli", "serve", "--help"], capture_output=True, text=True
    )
    for option in ("--seed", "--now", "--state", "--latency", "--error-rate", "--rate-limit", "--token", "--workers"):
        assert option in serve_help.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "mockserver.cli", "serve", "--latency", "soon"], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert "latency must be MS or MIN-MAX" in bad.stderr
    bad_api = subprocess.run(
        [sys.executable, "-m", "mockserver.cli", "serve", "--api", "acme"], capture_output=True, text=True
    )
    assert bad_api.returncode == 2
    assert "unknown API 'acme'" in bad_api.stderr
