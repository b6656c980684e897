"""End to end through the journeymock pytest plugin: the backend calls a real mock server over HTTP."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from .backend import create_app, crm_properties, demo_booked
from .crm import FakeCrm
from .jourvex_client import JourneyNotFound, JourvexAuthError, JourvexClient, JourvexRateLimited


class RecordingSleep:
    """Really waits (the mock's rate limit refills in real time) and remembers for how long."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def crm():
    return FakeCrm()


@pytest.fixture
def sleep():
    return RecordingSleep()


@pytest.fixture
def journeys(journeymock_env, sleep):
    # journeymock_env has set JOURVEX_BASE_URL and JOURVEX_API_KEY for this test.
    with httpx.Client() as http:
        yield JourvexClient.from_environment(sleep=sleep, http=http)


def post_demo_booked(app, payload):
    async def call():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://backend") as client:
            return await client.post("/demo-booked", json=payload)

    return asyncio.run(call())


def test_a_booked_demo_puts_the_journey_into_the_crm(journeys, crm, journeymock_journal, journeymock_journey):
    payload = {"journey_id": "cluster_8f2ab", "intent_state": "evaluating", "archetype": "champion"}
    response = post_demo_booked(create_app(journeys, crm), payload)

    assert response.status_code == 200
    # The mock serves the same journey to anyone with the same seed and clock: generate it to compare.
    journey = journeymock_journey("jourvex", id="cluster_8f2ab")
    assert crm.updates == [
        {
            "jourvex_journey_id": "cluster_8f2ab",
            "jourvex_intent_score": journey["intent"]["score"],
            "jourvex_intent_level": journey["intent"]["level"],
            "jourvex_sessions": journey["metrics"]["total_sessions"],
            "jourvex_first_seen": journey["first_seen"],
            "jourvex_pricing_views": journey["intent"]["signals"]["pricing_views"],
        }
    ]
    assert response.json() == {"status": "booked", "enriched": True, "crm": crm.updates[0]}
    call = journeymock_journal.last()
    assert (call.method, call.path, call.status, call.operation_id) == (
        "GET",
        "/api/journey/cluster_8f2ab",
        200,
        "getJourney",
    )
    assert call.headers["authorization"] == "[redacted]"  # sent, and never kept in the clear


def test_every_archetype_maps_onto_crm_properties(journeymock_fixture):
    for archetype in ("converted", "high-intent", "researcher", "cold", "returning", "bot"):
        journey = journeymock_fixture("jourvex", archetype)
        properties = crm_properties(journey)
        assert properties["jourvex_sessions"] == len(journey["sessions"])
        assert properties["jourvex_intent_level"] in ("low", "medium", "high")
    assert crm_properties(journeymock_fixture("jourvex", "converted"))["jourvex_intent_level"] == "high"


def test_a_rejected_api_key_is_a_clear_error_and_nothing_reaches_the_crm(journeymock_url, journeymock_journal, crm):
    journeys = JourvexClient(journeymock_url, "jvx_live_REVOKED_by_admin")
    with pytest.raises(JourvexAuthError, match="401"):
        demo_booked({"journey_id": "cluster_8f2ab"}, journeys=journeys, crm=crm)
    assert post_demo_booked(create_app(journeys, crm), {"journey_id": "cluster_8f2ab"}).status_code == 502
    assert crm.updates == []
    assert journeymock_journal.calls() == ["GET /api/journey/cluster_8f2ab -> 401"] * 2


def test_an_unknown_journey_is_reported_and_the_booking_still_accepted(journeys, crm, journeymock_journal):
    with pytest.raises(JourneyNotFound, match="missing-visitor-7"):
        demo_booked({"journey_id": "missing-visitor-7"}, journeys=journeys, crm=crm)
    response = post_demo_booked(create_app(journeys, crm), {"journey_id": "missing-visitor-7"})
    assert response.status_code == 202
    assert response.json()["enriched"] is False
    assert crm.updates == []
    assert [entry.status for entry in journeymock_journal] == [404, 404]


@pytest.mark.journeymock(rate_limit=1)
def test_a_rate_limited_fetch_waits_as_told_and_retries(journeys, crm, sleep, journeymock_journal):
    # One request per second per key: the second booking in a row is throttled once, then succeeds.
    demo_booked({"journey_id": "cluster_first"}, journeys=journeys, crm=crm)
    demo_booked({"journey_id": "cluster_second"}, journeys=journeys, crm=crm)

    assert [update["jourvex_journey_id"] for update in crm.updates] == ["cluster_first", "cluster_second"]
    assert journeymock_journal.calls() == [
        "GET /api/journey/cluster_first -> 200",
        "GET /api/journey/cluster_second -> 429",
        "GET /api/journey/cluster_second -> 200",
    ]
    assert sleep.waits == [1.0]  # the mock's Retry-After


@pytest.mark.journeymock(rate_limit=1)
def test_retries_are_bounded(journeymock_env, crm, sleep, journeymock_journal):
    journeys = JourvexClient.from_environment(max_attempts=2, sleep=lambda _seconds: None)
    journeys.fetch_journey("cluster_first")
    with pytest.raises(JourvexRateLimited) as raised:
        journeys.fetch_journey("cluster_second")
    assert raised.value.attempts == 2
    assert raised.value.retry_after >= 1
    response = post_demo_booked(create_app(journeys, crm), {"journey_id": "cluster_third"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert len(journeymock_journal.entries(status=429)) == 4
