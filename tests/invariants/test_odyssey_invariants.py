"""The Odyssey checks catch what they claim to: each mutation of a valid body is reported."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mockserver.invariants import odyssey as invariants
from mockserver.projections.odyssey import created_body, detail_body, updated_body
from mockserver.simulation import new_workflow_journey, updated_workflow_journey, workflow_analytics
from mockserver.specs import load_specs

SPEC = load_specs()["odyssey"]
CREATE = SPEC.operation("createJourney").request_examples["documented"]
UPDATE = SPEC.operation("updateJourney").request_examples["documented"]
AT = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
LATER = AT + timedelta(days=12, hours=3)
Body = dict[str, Any]


def journey(body: Body | None = None) -> Any:
    return new_workflow_journey(org_id="org_xyz789", body=body or CREATE, now=AT, seed=1)


def detail(body: Body | None = None, now: datetime = LATER) -> Body:
    made = journey(body)
    return detail_body(made, workflow_analytics(made, seed=1, now=now))


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_valid_bodies_have_no_problems() -> None:
    made = journey()
    for valid in (created_body(made), detail(), updated_body(made), detail({"slug": "bare", "displayName": "B"})):
        assert invariants.problems(valid, now=LATER) == []


def test_the_documented_examples_keep_the_invariants() -> None:
    for operation, status in (("createJourney", "201"), ("getJourney", "200"), ("updateJourney", "200")):
        example = SPEC.operation(operation).responses[status].examples["documented"]
        assert invariants.problems(example) == [], operation


Mutation = Callable[[Body], None]


def _updated_before_created(b: Body) -> None:
    b["updatedAt"] = stamp(AT - timedelta(days=1))


def _rate_above_one(b: Body) -> None:
    b["behaviorMetrics"]["completionRate"] = 1.2


def _negative_rate(b: Body) -> None:
    b["behaviorMetrics"]["mobileRate"] = -0.1


def _abandonment_above_one(b: Body) -> None:
    b["behaviorMetrics"]["topDropoffStep"]["abandonmentRate"] = 1.5


def _unknown_dropoff_step(b: Body) -> None:
    b["behaviorMetrics"]["topDropoffStep"]["stepId"] = "step_nothere"


def _dropoff_key_mismatch(b: Body) -> None:
    b["behaviorMetrics"]["topDropoffStep"]["stepKey"] = "something-else"


def _dropoff_name_mismatch(b: Body) -> None:
    b["behaviorMetrics"]["topDropoffStep"]["stepName"] = "Another Name"


def _attempts_exceed_sessions(b: Body) -> None:
    counts = b["eventCountsLast24h"]
    counts["submit_attempt"] = counts["session_start"] + 1


def _successes_exceed_attempts(b: Body) -> None:
    counts = b["eventCountsLast24h"]
    counts["submit_success"] = counts["submit_attempt"] + 1


def _too_few_step_views(b: Body) -> None:
    counts = b["eventCountsLast24h"]
    counts["step_view"] = counts["session_start"] - 1


def _has_steps_flipped(b: Body) -> None:
    b["healthMetrics"]["hasSteps"] = not b["healthMetrics"]["hasSteps"]


def _recent_events_flipped(b: Body) -> None:
    b["healthMetrics"]["hasRecentEvents"] = not b["healthMetrics"]["hasRecentEvents"]


def _unmapped_unknown(b: Body) -> None:
    b["unmappedStepIds"].append("step_ghost")


def _session_count_too_small(b: Body) -> None:
    b["healthMetrics"]["sessionCount"] = b["eventCountsLast24h"]["session_start"] - 1


def _median_missing(b: Body) -> None:
    b["behaviorMetrics"]["medianTimeToComplete"] = None


def _duplicate_step(b: Body) -> None:
    b["steps"].append(dict(b["steps"][0]))


def _created_in_the_future(b: Body) -> None:
    b["createdAt"] = stamp(LATER + timedelta(days=1))
    b["updatedAt"] = b["createdAt"]


MUTATIONS: list[tuple[str, Mutation, str]] = [
    ("updatedAt before createdAt", _updated_before_created, "updatedAt"),
    ("completion rate above one", _rate_above_one, "behaviorMetrics.completionRate"),
    ("negative mobile rate", _negative_rate, "behaviorMetrics.mobileRate"),
    ("abandonment above one", _abandonment_above_one, "topDropoffStep.abandonmentRate"),
    ("drop-off at an unknown step", _unknown_dropoff_step, "topDropoffStep.stepId"),
    ("drop-off key of another step", _dropoff_key_mismatch, "topDropoffStep.stepKey"),
    ("drop-off name of another step", _dropoff_name_mismatch, "topDropoffStep.stepName"),
    ("more attempts than sessions", _attempts_exceed_sessions, "eventCountsLast24h.submit_attempt"),
    ("more successes than attempts", _successes_exceed_attempts, "eventCountsLast24h.submit_success"),
    ("fewer step views than sessions", _too_few_step_views, "eventCountsLast24h.step_view"),
    ("hasSteps contradicts the steps", _has_steps_flipped, "healthMetrics.hasSteps"),
    ("hasRecentEvents contradicts the counts", _recent_events_flipped, "healthMetrics.hasRecentEvents"),
    ("an unmapped step that does not exist", _unmapped_unknown, "unmappedStepIds"),
    ("fewer sessions in all than today", _session_count_too_small, "healthMetrics.sessionCount"),
    ("completions without a median", _median_missing, "medianTimeToComplete"),
    ("two steps with one id", _duplicate_step, "steps[2].id"),
    ("created in the future", _created_in_the_future, "createdAt"),
]


@pytest.mark.parametrize(("name", "mutate", "field"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_mutation_of_a_detail_body_is_reported(name: str, mutate: Mutation, field: str) -> None:
    mutated = detail()
    mutate(mutated)
    found = invariants.problems(mutated, now=LATER)
    assert any(field in problem for problem in found), (name, found)


@pytest.mark.parametrize(
    ("name", "change", "field"),
    [
        ("step views", {"step_view": 3}, "eventCountsLast24h.step_view"),
        ("field focus", {"field_focus": 3}, "eventCountsLast24h.field_focus"),
    ],
)
def test_a_journey_without_steps_has_no_step_events(name: str, change: Body, field: str) -> None:
    bare = detail({"slug": "bare", "displayName": "Bare"})
    bare["eventCountsLast24h"].update(change)
    assert any(field in problem for problem in invariants.problems(bare)), name


def test_a_journey_without_steps_has_no_dropoff_step_or_median() -> None:
    bare = detail({"slug": "bare", "displayName": "Bare"})
    bare["behaviorMetrics"]["topDropoffStep"] = {
        "stepId": "step_x",
        "stepKey": "x",
        "stepName": None,
        "abandonmentRate": 0.5,
    }
    bare["behaviorMetrics"]["medianTimeToComplete"] = 600
    found = invariants.problems(bare)
    assert any("topDropoffStep names a step but the journey has no steps" in p for p in found)
    assert any("medianTimeToComplete is 600 but the journey has no steps" in p for p in found)


def test_a_created_step_must_belong_to_its_journey() -> None:
    created = created_body(journey())
    created["steps"][1]["journeyId"] = "journey_other"
    created["steps"][0]["updatedAt"] = stamp(AT - timedelta(seconds=1))
    found = invariants.problems(created)
    assert any("steps[1].journeyId" in p for p in found)
    assert any("steps[0].updatedAt" in p for p in found)


def _round_trip() -> tuple[Body, Body]:
    made = journey()
    return created_body(made), detail_body(made, workflow_analytics(made, seed=1, now=LATER))


RETRIEVAL_MUTATIONS: list[tuple[str, Mutation, str]] = [
    ("another display name", lambda b: b.update(displayName="Renamed"), "retrieved displayName"),
    ("another id", lambda b: b.update(id="journey_other"), "retrieved id"),
    ("origins lost", lambda b: b.update(allowedOrigins=[]), "retrieved allowedOrigins"),
    ("a step lost", lambda b: b["steps"].pop(), "retrieved steps"),
    ("a step renamed", lambda b: b["steps"][0].update(name="Other"), "retrieved steps"),
    ("createdAt moved", lambda b: b.update(createdAt=stamp(AT + timedelta(hours=1))), "retrieved createdAt"),
    ("updatedAt went back", lambda b: b.update(updatedAt=stamp(AT - timedelta(hours=1))), "retrieved updatedAt"),
]


@pytest.mark.parametrize(("name", "mutate", "field"), RETRIEVAL_MUTATIONS, ids=[m[0] for m in RETRIEVAL_MUTATIONS])
def test_round_trip_differences_are_reported(name: str, mutate: Mutation, field: str) -> None:
    created, retrieved = _round_trip()
    assert invariants.round_trip_problems(CREATE, created, retrieved) == []
    mutate(retrieved)
    found = invariants.round_trip_problems(CREATE, created, retrieved)
    assert any(field in problem for problem in found), (name, found)


def test_a_create_that_ignored_the_request_is_reported() -> None:
    created, retrieved = _round_trip()
    sent = copy.deepcopy(CREATE)
    sent["sourceSystem"] = "simpliGov"
    sent["steps"][0]["fieldCount"] = 6
    found = invariants.round_trip_problems(sent, created, retrieved)
    assert any("created sourceSystem" in p for p in found)
    assert any("created steps" in p for p in found)
    defaults = invariants.round_trip_problems(
        {"slug": created["slug"], "displayName": created["displayName"]}, created, retrieved
    )
    assert any("created sourceSystem is 'custom' but 'unknown' was sent (or is the default)" in p for p in defaults)


def test_update_problems() -> None:
    made = journey()
    before = created_body(made)
    updated = updated_body(updated_workflow_journey(made, changes=UPDATE, now=AT + timedelta(hours=4)))
    assert invariants.update_problems(before, UPDATE, updated) == []
    ignored = copy.deepcopy(updated)
    ignored["displayName"] = before["displayName"]
    assert any("updated displayName" in p for p in invariants.update_problems(before, UPDATE, ignored))
    meddled = copy.deepcopy(updated)
    meddled["environment"] = "staging"
    assert any("updated environment" in p for p in invariants.update_problems(before, UPDATE, meddled))
    backwards = copy.deepcopy(updated)
    backwards["updatedAt"] = stamp(AT - timedelta(days=1))
    assert any("updatedAt went back" in p for p in invariants.update_problems(before, UPDATE, backwards))


def test_malformed_bodies_do_not_raise() -> None:
    assert isinstance(invariants.problems({"steps": "x", "healthMetrics": 3}), list)
    assert invariants.round_trip_problems({}, {}, {}) != []
    assert invariants.update_problems({}, {}, {"steps": None}) != []


def _updated_pair() -> tuple[Body, Body]:
    made = journey()
    before = created_body(made)
    return before, updated_body(updated_workflow_journey(made, changes=UPDATE, now=AT + timedelta(hours=4)))


STEP_CHANGES: list[tuple[str, Mutation]] = [
    ("a step renamed", lambda b: b["steps"][0].update(name="Another step")),
    ("a step re-indexed", lambda b: b["steps"][1].update(index=7)),
    ("a step's field count changed", lambda b: b["steps"][0].update(fieldCount=99)),
    ("a step dropped", lambda b: b["steps"].pop()),
    ("a step added", lambda b: b["steps"].append({"id": "step_new", "stepKey": "extra", "index": 2})),
    ("a step given another id", lambda b: b["steps"][0].update(id="step_other")),
]


@pytest.mark.parametrize(("name", "change"), STEP_CHANGES, ids=[c[0] for c in STEP_CHANGES])
def test_an_update_that_changes_the_steps_is_reported(name: str, change: Mutation) -> None:
    before, updated = _updated_pair()
    assert invariants.update_problems(before, UPDATE, updated) == []
    change(updated)
    found = invariants.update_problems(before, UPDATE, updated)
    assert "the update changed the journey's steps, which an update cannot touch" in found, (name, found)


def no_sessions() -> Body:
    """A detail body at the moment of creation: steps, but no session yet."""
    body = detail(now=AT)
    assert body["healthMetrics"]["sessionCount"] == 0 and body["steps"]
    return body


def test_a_completion_rate_without_sessions_is_reported() -> None:
    body = no_sessions()
    assert invariants.problems(body, now=AT) == []
    body["behaviorMetrics"]["completionRate"] = 0.4
    assert invariants.problems(body, now=AT) == [
        "behaviorMetrics.completionRate is 0.4 but there have been no sessions"
    ]
    assert invariants.problems(body, now=AT, strict=False) == []


def _mobile_without_sessions(b: Body) -> None:
    b["behaviorMetrics"]["mobileRate"] = 0.3


def _median_without_sessions(b: Body) -> None:
    b["behaviorMetrics"]["medianTimeToComplete"] = 600


def _dropoff_without_sessions(b: Body) -> None:
    step = b["steps"][0]
    b["behaviorMetrics"]["topDropoffStep"] = {
        "stepId": step["id"],
        "stepKey": step["stepKey"],
        "stepName": step.get("name"),
        "abandonmentRate": 0.3,
    }


def _step_views_without_sessions(b: Body) -> None:
    b["eventCountsLast24h"]["step_view"] = 3


def _field_focus_without_sessions(b: Body) -> None:
    b["eventCountsLast24h"]["field_focus"] = 5


def _a_step_mapped_without_sessions(b: Body) -> None:
    b["unmappedStepIds"].pop()


NO_SESSION_MUTATIONS: list[tuple[str, Mutation, str]] = [
    ("a mobile share of no sessions", _mobile_without_sessions, "behaviorMetrics.mobileRate is 0.3"),
    ("a median of no completions", _median_without_sessions, "behaviorMetrics.medianTimeToComplete is 600"),
    ("a drop-off of no sessions", _dropoff_without_sessions, "behaviorMetrics.topDropoffStep names a step"),
    ("step views of no sessions", _step_views_without_sessions, "eventCountsLast24h.step_view is 3"),
    ("field focus of no sessions", _field_focus_without_sessions, "eventCountsLast24h.field_focus is 5"),
    ("a step with events but no sessions", _a_step_mapped_without_sessions, "unmappedStepIds leaves out"),
]


@pytest.mark.parametrize(("name", "mutate", "expected"), NO_SESSION_MUTATIONS, ids=[m[0] for m in NO_SESSION_MUTATIONS])
def test_behaviour_without_sessions_is_reported(name: str, mutate: Mutation, expected: str) -> None:
    body = no_sessions()
    mutate(body)
    found = invariants.problems(body, now=AT)
    assert any(problem.startswith(expected) and "no sessions" in problem for problem in found), (name, found)


@pytest.mark.parametrize(("name", "kind"), [("completionRate", "completed"), ("mobileRate", "mobile")])
def test_a_rate_no_number_of_sessions_gives_is_reported(name: str, kind: str) -> None:
    # An hour in, the documented journey has had four sessions: rates of quarters only.
    body = detail(now=AT + timedelta(hours=1))
    assert body["healthMetrics"]["sessionCount"] == 4
    assert invariants.problems(body) == []
    for reachable in (0.0, 0.25, 0.5, 0.75, 1.0):
        body["behaviorMetrics"][name] = reachable
        assert invariants.problems(body) == [], reachable
    body["behaviorMetrics"][name] = 0.4
    assert invariants.problems(body) == [
        f"behaviorMetrics.{name} is 0.4, which no number of {kind} sessions out of healthMetrics.sessionCount (4) gives"
    ]
    assert invariants.problems(body, strict=False) == []
