"""The clock: `Mock.clock_state/advance/set_clock`, `GET|POST /__admin/clock` over them, the stores that share a
moved clock between worker processes, and what a moved clock does to journeys (they keep their past and grow)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from support import FIXED_NOW, JOURVEX_AUTH, ODYSSEY_AUTH, served_mock

from mockserver.clock import ClockSetting, parse_instant
from mockserver.config import ServerConfig
from mockserver.core import ClockError, Mock
from mockserver.invariants.world import history_problems
from mockserver.store import MemoryStore, SqliteStore

NOW = parse_instant(FIXED_NOW)


def test_get_shows_now_the_epoch_and_whether_the_clock_runs(client):
    assert client.get("/__admin/clock").json() == {
        "now": "2026-05-21T16:30:00.000Z",
        "epoch": "2026-05-21T16:30:00Z",
        "running": False,
    }


def test_advance_moves_a_fixed_clock_and_the_journey_keeps_its_past(client):
    before = client.get("/api/journey/cluster_8f2ab", headers=JOURVEX_AUTH).json()
    moved = client.post("/__admin/clock", json={"advance": "P3DT2H"})
    assert moved.status_code == 200
    assert moved.json()["now"] == "2026-05-24T18:30:00.000Z"
    assert moved.json()["epoch"] == "2026-05-21T16:30:00Z"  # the world's origin does not move
    after = client.get("/api/journey/cluster_8f2ab", headers=JOURVEX_AUTH).json()
    assert history_problems("jourvex", "getJourney", before, after) == []
    assert client.get("/__admin/health").json()["now"] == "2026-05-24T18:30:00Z"


def test_now_moves_forward_and_back_only_when_asked(client):
    assert client.post("/__admin/clock", json={"now": "2026-06-01T00:00:00Z"}).json()["now"].startswith("2026-06-01")
    refused = client.post("/__admin/clock", json={"now": "2026-05-22T00:00:00Z"})
    assert refused.status_code == 409
    assert "allow_rewind" in refused.json()["error"]
    rewound = client.post("/__admin/clock", json={"now": "2026-05-22T00:00:00Z", "allow_rewind": True})
    assert rewound.json()["now"] == "2026-05-22T00:00:00.000Z"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "send {"),
        ({"now": "2026-06-01", "advance": "PT1H"}, "send {"),
        ({"advance": "P1M"}, "not an ISO 8601 duration"),
        ({"advance": "soon"}, "not an ISO 8601 duration"),
        ({"now": "tomorrow"}, "not an ISO 8601 instant"),
        ({"now": 5}, "must be text"),
        ({"advance": "PT1H", "allow_rewind": True}, "allow_rewind goes with now"),
        ({"now": "2026-06-01", "allow_rewind": "yes"}, "allow_rewind must be true or false"),
        ({"now": "2026-06-01", "speed": 2}, "unknown field 'speed'"),
        ([1, 2], "send {"),
    ],
)
def test_a_bad_move_is_a_400_saying_what_is_expected(client, body, message):
    response = client.post("/__admin/clock", json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert client.get("/__admin/clock").json()["now"] == "2026-05-21T16:30:00.000Z"


def test_a_negative_advance_is_refused(client):
    assert client.post("/__admin/clock", json={"advance": "-PT1H"}).status_code == 409


def test_invalid_json_is_a_400(client):
    response = client.post("/__admin/clock", content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_reset_puts_the_clock_back_where_the_settings_put_it(client):
    client.post("/__admin/clock", json={"advance": "PT5H"})
    assert client.post("/__admin/reset").status_code == 204
    assert client.get("/__admin/clock").json()["now"] == "2026-05-21T16:30:00.000Z"


def test_the_clock_api_is_guarded_like_the_rest(make_client):
    remote = make_client(client_host="203.0.113.9")
    assert remote.get("/__admin/clock").status_code == 403
    assert remote.post("/__admin/clock", json={"advance": "PT1H"}).status_code == 403


def test_a_running_clock_keeps_running_when_moved():
    mock = Mock(ServerConfig(now=None, apis=("jourvex",)))
    try:
        state = mock.clock_state()
        assert state.running
        assert state.epoch == state.now.replace(hour=0, minute=0, second=0, microsecond=0)  # the start's day
        moved = mock.advance(timedelta(days=2))
        assert moved.running
        assert timedelta(days=2) - timedelta(seconds=5) < moved.now - datetime.now(UTC) <= timedelta(days=2)
        with pytest.raises(ClockError):
            mock.set_clock(datetime.now(UTC) - timedelta(hours=1))
        assert mock.set_clock(datetime(2030, 1, 1, tzinfo=UTC)).now >= datetime(2030, 1, 1, tzinfo=UTC)
    finally:
        mock.close()


def test_a_naive_instant_is_taken_as_utc():
    mock = Mock(ServerConfig(now=NOW, apis=("jourvex",)))
    try:
        assert mock.set_clock(datetime(2026, 5, 22, 8, 0)).now == datetime(2026, 5, 22, 8, 0, tzinfo=UTC)
    finally:
        mock.close()


def test_the_epoch_is_the_setting_or_the_fixed_now():
    assert ServerConfig(now=NOW).world_epoch(datetime(2000, 1, 1, tzinfo=UTC)) == NOW
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    assert ServerConfig(now=NOW, epoch=epoch).world_epoch(datetime(2000, 1, 1, tzinfo=UTC)) == epoch
    assert ServerConfig().world_epoch(datetime(2026, 5, 21, 23, 59, tzinfo=UTC)) == datetime(2026, 5, 21, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_stores_keep_the_clock_setting(kind, tmp_path):
    store = MemoryStore() if kind == "memory" else SqliteStore(tmp_path / "state.sqlite")
    try:
        assert store.load_clock() is None
        setting = ClockSetting(NOW).text()
        store.save_clock(setting)
        assert store.load_clock() == setting
        store.clear()  # journeys only
        assert store.load_clock() == setting
        store.save_clock(None)
        assert store.load_clock() is None
    finally:
        store.close()


def test_mocks_sharing_a_state_file_show_one_clock(tmp_path):
    """What `--workers N --state PATH` relies on: a move made through one process is what every other shows."""
    config = ServerConfig(now=NOW, apis=("jourvex",), state_path=tmp_path / "state.sqlite")
    first, second = Mock(config), Mock(config)
    try:
        assert second.clock.now() == NOW
        first.advance(timedelta(hours=2))
        assert second.clock.now() == NOW + timedelta(hours=2)
        assert second.clock_state().now == NOW + timedelta(hours=2)
        second.set_clock(NOW + timedelta(hours=5))
        assert first.clock.now() == NOW + timedelta(hours=5)
        first.reset()
        assert second.clock.now() == NOW
    finally:
        first.close()
        second.close()


@pytest.mark.slow
def test_two_workers_serve_one_clock(tmp_path: Path):
    arguments = ["--api", "jourvex", "--now", FIXED_NOW, "--state", str(tmp_path / "s.sqlite"), "--workers", "2"]
    with served_mock(arguments, tmp_path / "logs") as served, httpx.Client(base_url=served.base_url) as http:
        assert http.post("/__admin/clock", json={"advance": "PT3H"}).status_code == 200
        # New connections land on either worker; every one must show the moved clock.
        for _ in range(12):
            with httpx.Client(base_url=served.base_url) as fresh:
                assert fresh.get("/__admin/clock").json()["now"] == "2026-05-21T19:30:00.000Z"


def test_an_odyssey_journey_gathers_traffic_after_create_and_after_an_update(client):
    created = client.post(
        "/api/journeys/create",
        json={"slug": "grant", "displayName": "Grant", "steps": [{"stepKey": "apply", "index": 0, "fieldCount": 6}]},
        headers=ODYSSEY_AUTH,
    )
    assert created.status_code == 201

    def detail() -> dict:
        response = client.get("/api/journeys/grant", headers=ODYSSEY_AUTH)
        assert response.status_code == 200
        return response.json()

    fresh = detail()
    assert fresh["healthMetrics"]["sessionCount"] == 0
    client.post("/__admin/clock", json={"advance": "PT6H"})
    hours_later = detail()
    assert hours_later["healthMetrics"]["sessionCount"] > 0
    assert hours_later["eventCountsLast24h"]["step_view"] > 0
    assert client.put("/api/journeys/grant", json={"displayName": "Grant 2"}, headers=ODYSSEY_AUTH).status_code == 200
    after_update = detail()
    # The update changes the configuration, not the traffic that has happened.
    assert after_update["healthMetrics"] == hours_later["healthMetrics"]
    assert after_update["behaviorMetrics"] == hours_later["behaviorMetrics"]
    client.post("/__admin/clock", json={"advance": "P2D"})
    days_later = detail()
    assert days_later["healthMetrics"]["sessionCount"] > after_update["healthMetrics"]["sessionCount"]
    assert days_later["eventCountsLast24h"] != after_update["eventCountsLast24h"]
    for earlier, later in ((fresh, hours_later), (hours_later, after_update), (after_update, days_later)):
        assert history_problems("odyssey", "getJourney", earlier, later) == []
