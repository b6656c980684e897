"""The admin API answers everything in JSON: bad journal filters say what is allowed, unknown endpoints and
methods are JSON 404/405 — and it drives the same core (`Mock`) that the plugin drives."""

from __future__ import annotations

import pytest
from support import JOURVEX_AUTH, YOFI_HEADERS

from mockserver.config import LatencyRange
from mockserver.core import Mock
from mockserver.journal import JournalQuery


@pytest.mark.parametrize(
    ("params", "allowed"),
    [
        ({"status": "abc"}, "status must be an HTTP status code"),
        ({"status": "42"}, "status must be an HTTP status code"),
        ({"api": "nope"}, "api must be one of jourvex, odyssey, yofi"),
        ({"operationId": "getJourny"}, "operationId must be one of createJourney, getJourney"),
        ({"stauts": "200"}, "unknown filter 'stauts'; filters: api, operationId, method, path, status"),
    ],
)
def test_a_bad_journal_filter_is_a_400_saying_what_is_allowed(client, params, allowed):
    response = client.get("/__admin/requests", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert allowed in response.json()["error"]


def test_good_filters_still_select(client):
    client.get("/api/journey/a", headers=JOURVEX_AUTH)
    client.get("/data-api/v3/journeys/b", headers=YOFI_HEADERS)
    assert client.get("/__admin/requests", params={"status": "200", "api": "yofi"}).json()["total"] == 1
    assert client.get("/__admin/requests", params={"operationId": "getJourney"}).json()["total"] == 1
    assert client.get("/__admin/requests", params={"method": "get", "path": "/api/journey/a"}).json()["total"] == 1


def test_unknown_admin_endpoints_and_methods_answer_json(client):
    missing = client.get("/__admin/nope")
    assert missing.status_code == 404
    assert "/__admin/health" in missing.json()["error"]
    wrong_method = client.post("/__admin/health")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET, HEAD"
    assert "allowed: GET, HEAD" in wrong_method.json()["error"]
    both = client.put("/__admin/requests")
    assert both.status_code == 405
    assert both.headers["allow"] == "DELETE, GET, HEAD"


def test_unknown_admin_routes_are_guarded_like_the_rest(make_client):
    remote = make_client(client_host="203.0.113.9")
    assert remote.get("/__admin/nope").status_code == 403


def test_the_core_is_what_the_admin_api_drives(client):
    mock: Mock = client.app.mock
    client.get("/api/journey/a", headers=JOURVEX_AUTH)
    assert [entry.path for entry in mock.requests(JournalQuery(api="jourvex"))] == ["/api/journey/a"]
    assert client.get("/__admin/health").json() == mock.health()
    mock.reset()
    assert client.get("/__admin/requests").json()["total"] == 0


def test_faults_change_while_serving(client):
    mock: Mock = client.app.mock
    assert client.get("/api/journey/a", headers=JOURVEX_AUTH).status_code == 200
    mock.set_faults(error_rate=1.0)
    failed = client.get("/api/journey/a", headers=JOURVEX_AUTH)
    assert failed.status_code == 503
    assert failed.json()["error"]
    changed = mock.set_faults(latency=LatencyRange(0, 0))
    assert (changed.error_rate, changed.latency) == (1.0, LatencyRange(0, 0))
    mock.set_faults(error_rate=0.0, latency=None)
    assert client.get("/api/journey/a", headers=JOURVEX_AUTH).status_code == 200


def test_the_clock_moves_for_the_next_request(client):
    from datetime import UTC, datetime

    mock: Mock = client.app.mock
    before = client.get("/api/journey/a", headers=JOURVEX_AUTH).json()
    mock.set_now(datetime(2027, 1, 1, tzinfo=UTC))
    after = client.get("/api/journey/a", headers=JOURVEX_AUTH).json()
    assert before != after
    assert mock.health()["now"] == "2027-01-01T00:00:00Z"
