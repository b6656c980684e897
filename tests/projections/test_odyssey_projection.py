"""Odyssey bodies: created, retrieved and updated journeys, valid and consistent, round trips included."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockserver.invariants import odyssey as invariants
from mockserver.projections.odyssey import created_body, detail_body, updated_body
from mockserver.simulation import new_workflow_journey, updated_workflow_journey, workflow_analytics
from mockserver.specs import load_specs

SPEC = load_specs()["odyssey"]
FORMATS = Draft202012Validator.FORMAT_CHECKER
CREATED = Draft202012Validator(SPEC.operation("createJourney").responses["201"].schema, format_checker=FORMATS)
DETAIL = Draft202012Validator(SPEC.operation("getJourney").responses["200"].schema, format_checker=FORMATS)
UPDATED = Draft202012Validator(SPEC.operation("updateJourney").responses["200"].schema, format_checker=FORMATS)
CREATE_REQUEST = Draft202012Validator(SPEC.operation("createJourney").request_schema or {})
UPDATE_REQUEST = Draft202012Validator(SPEC.operation("updateJourney").request_schema or {})
DOCUMENTED_CREATE = SPEC.operation("createJourney").request_examples["documented"]
DOCUMENTED_UPDATE = SPEC.operation("updateJourney").request_examples["documented"]
AT = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)

step_requests = st.fixed_dictionaries(
    {"stepKey": st.text(min_size=1, max_size=16), "index": st.integers(0, 30)},
    optional={
        "name": st.text(max_size=30),
        "stepType": st.sampled_from(["eligibility", "input", "review", "upload", "payment"]),
        "fieldCount": st.integers(0, 60),
        "readingLevel": st.none() | st.integers(1, 16) | st.text(max_size=8),
        "requiredArtifacts": st.lists(st.text(max_size=10) | st.integers(), max_size=3),
    },
)
create_requests = st.fixed_dictionaries(
    {"slug": st.from_regex(r"[a-z0-9-]{1,40}", fullmatch=True), "displayName": st.text(max_size=255)},
    optional={
        "sourceSystem": st.sampled_from(["simpliGov", "custom", "unknown"]),
        "environment": st.sampled_from(["production", "staging"]),
        "allowedOrigins": st.lists(st.from_regex(r"https://[a-z]{1,12}\.example\.com", fullmatch=True), max_size=4),
        "steps": st.lists(step_requests, max_size=10),
    },
)
update_requests = st.fixed_dictionaries(
    {},
    optional={
        "displayName": st.text(max_size=255),
        "sourceSystem": st.sampled_from(["simpliGov", "custom", "unknown"]),
        "environment": st.sampled_from(["production", "staging"]),
        "allowedOrigins": st.lists(st.from_regex(r"https://[a-z]{1,12}\.example\.com", fullmatch=True), max_size=4),
    },
)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
ages = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=900))


def errors(validator: Draft202012Validator, body: object) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(body)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    request=create_requests,
    change=update_requests,
    seed=st.integers(),
    created_at=moments,
    age=ages,
    update_after=ages,
)
def test_create_retrieve_update_bodies_are_valid_and_consistent(
    request: dict[str, Any],
    change: dict[str, Any],
    seed: int,
    created_at: datetime,
    age: timedelta,
    update_after: timedelta,
) -> None:
    assert errors(CREATE_REQUEST, request) == [] and errors(UPDATE_REQUEST, change) == []
    journey = new_workflow_journey(org_id="org_1", body=request, now=created_at, seed=seed)
    created = created_body(journey)
    assert errors(CREATED, created) == []
    assert invariants.problems(created, now=created_at) == []

    now = created_at + age
    retrieved = detail_body(journey, workflow_analytics(journey, seed=seed, now=now))
    assert errors(DETAIL, retrieved) == []
    assert invariants.problems(retrieved, now=now) == []
    assert invariants.round_trip_problems(request, created, retrieved) == []

    updated_journey = updated_workflow_journey(journey, changes=change, now=created_at + update_after)
    updated = updated_body(updated_journey)
    assert errors(UPDATED, updated) == []
    assert invariants.problems(updated, now=created_at + update_after) == []
    assert invariants.update_problems(created, change, updated) == []
    assert updated["updatedAt"] > created["updatedAt"]
    after_update = detail_body(updated_journey, workflow_analytics(updated_journey, seed=seed, now=now))
    assert errors(DETAIL, after_update) == [] and invariants.problems(after_update) == []


def test_the_documented_create_round_trips() -> None:
    journey = new_workflow_journey(org_id="org_xyz789", body=DOCUMENTED_CREATE, now=AT, seed=1)
    created = created_body(journey)
    assert created["slug"] == "small-business-grant"
    assert created["createdAt"] == created["updatedAt"] == "2024-01-15T10:00:00.000Z"
    assert [step["stepKey"] for step in created["steps"]] == ["eligibility", "business-info"]
    assert all(step["journeyId"] == created["id"] for step in created["steps"])
    retrieved = detail_body(journey, workflow_analytics(journey, seed=1, now=AT + timedelta(days=2)))
    assert invariants.round_trip_problems(DOCUMENTED_CREATE, created, retrieved) == []
    assert list(retrieved)[-2:] == ["createdAt", "updatedAt"]
    assert set(retrieved["steps"][0]) == {"id", "stepKey", "name", "stepType", "index", "fieldCount"}


def test_the_documented_update_moves_updated_at_and_changes_only_what_was_sent() -> None:
    journey = new_workflow_journey(org_id="org_xyz789", body=DOCUMENTED_CREATE, now=AT, seed=1)
    before = created_body(journey)
    updated = updated_body(
        updated_workflow_journey(journey, changes=DOCUMENTED_UPDATE, now=AT + timedelta(hours=4, minutes=30))
    )
    assert updated["displayName"] == "SBA Small Business Grant"
    assert updated["allowedOrigins"] == ["https://grants.example.com", "https://apply.example.com"]
    assert updated["updatedAt"] == "2024-01-15T14:30:00.000Z"
    assert invariants.update_problems(before, DOCUMENTED_UPDATE, updated) == []


def test_a_journey_without_steps() -> None:
    journey = new_workflow_journey(org_id="org_1", body={"slug": "bare", "displayName": "Bare"}, now=AT, seed=5)
    for age in (timedelta(0), timedelta(hours=5), timedelta(days=30)):
        body = detail_body(journey, workflow_analytics(journey, seed=5, now=AT + age))
        assert errors(DETAIL, body) == [] and invariants.problems(body, now=AT + age) == []
        assert body["steps"] == [] and body["healthMetrics"]["hasSteps"] is False
        assert body["behaviorMetrics"]["topDropoffStep"] is None
        assert body["behaviorMetrics"]["medianTimeToComplete"] is None
        assert body["eventCountsLast24h"]["step_view"] == body["eventCountsLast24h"]["field_focus"] == 0
        assert body["unmappedStepIds"] == []


def test_an_established_journey_has_traffic_and_a_dropoff_step() -> None:
    journey = new_workflow_journey(org_id="org_xyz789", body=DOCUMENTED_CREATE, now=AT, seed=1)
    body = detail_body(journey, workflow_analytics(journey, seed=1, now=AT + timedelta(days=30)))
    assert body["healthMetrics"]["hasRecentEvents"] is True
    assert body["healthMetrics"]["sessionCount"] > body["eventCountsLast24h"]["session_start"] > 0
    assert body["behaviorMetrics"]["topDropoffStep"]["stepId"] in {step["id"] for step in body["steps"]}
    assert isinstance(body["behaviorMetrics"]["medianTimeToComplete"], int)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["createdAt"])


def test_bodies_are_deterministic() -> None:
    def render(seed: int) -> bytes:
        journey = new_workflow_journey(org_id="org_1", body=DOCUMENTED_CREATE, now=AT, seed=seed)
        analytics = workflow_analytics(journey, seed=seed, now=AT + timedelta(days=3, seconds=20))
        return orjson.dumps([created_body(journey), detail_body(journey, analytics)])

    assert render(1) == render(1)
    assert render(1) != render(2)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=create_requests, seed=st.integers(), created_at=moments, age=ages)
def test_each_analytics_field_is_the_simulations_figure_of_that_name(
    request: dict[str, Any], seed: int, created_at: datetime, age: timedelta
) -> None:
    # The body's rates and counts cannot all be checked against each other (a mobile share is not derived from
    # anything else the body shows): each must be the simulation's own figure, not another one's.
    journey = new_workflow_journey(org_id="org_1", body=request, now=created_at, seed=seed)
    analytics = workflow_analytics(journey, seed=seed, now=created_at + age)
    body = detail_body(journey, analytics)
    assert body["healthMetrics"] == {
        "hasSteps": bool(journey.steps),
        "hasRecentEvents": analytics.has_recent_events,
        "sessionCount": analytics.session_count,
        "hasSnapshot": analytics.has_snapshot,
    }
    behaviour = body["behaviorMetrics"]
    assert behaviour["completionRate"] == analytics.completion_rate
    assert behaviour["mobileRate"] == analytics.mobile_rate
    assert behaviour["medianTimeToComplete"] == analytics.median_time_to_complete
    dropoff, shown = analytics.top_dropoff, behaviour["topDropoffStep"]
    assert (shown is None) is (dropoff is None)
    if dropoff is not None:
        # Its step's key and name are the invariants' to check against the steps.
        assert (shown["stepId"], shown["abandonmentRate"]) == (dropoff.step_id, dropoff.abandonment_rate)
    assert body["eventCountsLast24h"] == dataclasses.asdict(analytics.events_last_24h)
    assert body["unmappedStepIds"] == list(analytics.unmapped_step_ids)
