"""The Jourvex checks catch what they claim to: each mutation of a valid body is reported."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from mockserver import jsonio
from mockserver.clock import parse_instant
from mockserver.invariants import jourvex as invariants
from mockserver.projections.jourvex import journey_body
from mockserver.simulation import ARCHETYPES, visitor_journey
from mockserver.specs import load_specs

# On the minute, so that `now` is exactly the journey's anchor and recency is unambiguous.
NOW = datetime(2026, 5, 21, 16, 3, tzinfo=UTC)
Body = dict[str, Any]


def body(archetype: str, n: int = 0) -> Body:
    """The body as a client reads it (arrays as lists), so that the mutation tests can edit it in place."""
    projected = journey_body(visitor_journey(f"cluster_{n:05x}", seed=21, now=NOW, archetype=archetype), now=NOW)
    decoded: Body = jsonio.decode(jsonio.encode(projected))
    return decoded


def bodies(min_sessions: int = 1) -> list[Body]:
    found = [body(archetype, n) for archetype in ARCHETYPES for n in range(6)]
    return [b for b in found if len(b["sessions"]) >= min_sessions]


def shift(text: str, seconds: int) -> str:
    return (parse_instant(text) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_valid_bodies_have_no_problems() -> None:
    for valid in bodies():
        assert invariants.problems(valid, now=NOW) == []
        assert invariants.problems(valid) == []
        assert invariants.problems(valid, strict=False) == []


def test_the_documented_example_keeps_the_clock_free_documented_invariants_it_can() -> None:
    example = load_specs()["jourvex"].operation("getJourney").responses["200"].examples["documented"]
    found = invariants.problems(example, strict=False)
    # The vendor's example is abridged: one session shown, totals for twelve.
    assert any("metrics.total_sessions is 12" in problem for problem in found)


# Every count and total in the body, bumped by one: each must be caught, whatever the journey.
COUNTERS = [
    ("metrics", "total_sessions"),
    ("metrics", "total_time_seconds"),
    ("metrics", "total_clicks"),
    ("metrics", "total_scrolls"),
    ("metrics", "avg_gap_hours"),
    ("intent.signals", "pricing_views"),
    ("intent.signals", "high_intent_hits"),
    ("intent.signals", "enterprise_hits"),
    ("intent.signals", "conversion_hits"),
    ("intent.signals", "days_since_last_seen"),
]


@pytest.mark.parametrize(("where", "name"), COUNTERS, ids=[f"{w}.{n}" for w, n in COUNTERS])
def test_every_counter_is_checked(where: str, name: str) -> None:
    for valid in bodies():
        mutated = copy.deepcopy(valid)
        node = mutated
        for part in where.split("."):
            node = node[part]
        node[name] += 1
        found = invariants.problems(mutated, now=NOW)
        assert any(f"{where}.{name}" in problem for problem in found), (name, found)


SESSION_FIELDS = ["duration_sec", "clicks", "scrolls"]


@pytest.mark.parametrize("field", SESSION_FIELDS)
def test_every_session_number_is_checked(field: str) -> None:
    for valid in bodies():
        for position in range(len(valid["sessions"])):
            mutated = copy.deepcopy(valid)
            mutated["sessions"][position][field] += 7
            assert invariants.problems(mutated, now=NOW), (field, position)


Mutation = Callable[[Body], None]


def _swap_first_two(b: Body) -> None:
    b["sessions"][0], b["sessions"][1] = b["sessions"][1], b["sessions"][0]


def _overlap(b: Body) -> None:
    # The whole second session moves back to start a second before the first ends: its duration_sec still
    # matches its start and end, and the totals stay right, so only the order is wrong.
    first, second = b["sessions"][0], b["sessions"][1]
    back = int((parse_instant(second["start"]) - parse_instant(first["end"])).total_seconds()) + 1
    second["start"], second["end"] = shift(second["start"], -back), shift(second["end"], -back)


def _end_before_start(b: Body) -> None:
    b["sessions"][0]["end"] = shift(b["sessions"][0]["start"], -5)


def _flip_converted(b: Body) -> None:
    b["converted"] = not b["converted"]


def _add_conversion(b: Body) -> None:
    b["sessions"][0]["conversions"].append({"type": "demo_booked", "page": "/demo", "ts": b["sessions"][0]["end"]})


def _add_pricing_view(b: Body) -> None:
    b["sessions"][0]["pages"].insert(0, "/pricing")


def _wrong_level(b: Body) -> None:
    b["intent"]["level"] = {"high": "low", "medium": "high", "low": "medium"}[b["intent"]["level"]]


def _wrong_flag(b: Body) -> None:
    b["recommendation"]["flag"] = "monitor" if b["recommendation"]["flag"] != "monitor" else "sales_ready"


def _wrong_headline(b: Body) -> None:
    b["recommendation"]["card"]["headline"] = "Something unrelated happened"


def _first_seen_later(b: Body) -> None:
    b["first_seen"] = shift(b["first_seen"], 1)


def _last_seen_earlier(b: Body) -> None:
    b["last_seen"] = shift(b["last_seen"], -1)
    b["live"]["last_event_ts"] = b["last_seen"]


def _last_event_elsewhere(b: Body) -> None:
    b["live"]["last_event_ts"] = shift(b["live"]["last_event_ts"], -3600)


def _current_page_elsewhere(b: Body) -> None:
    b["live"]["current_page"] = "/nowhere"


def _flip_active(b: Body) -> None:
    b["live"]["is_active"] = not b["live"]["is_active"]


def _in_the_future(b: Body) -> None:
    b["sessions"][-1]["end"] = (NOW + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _conversion_outside_session(b: Body) -> None:
    b["sessions"][0]["external_redirects"].append(
        {"url": "https://example.com", "ts": shift(b["sessions"][0]["end"], 600)}
    )


MUTATIONS: list[tuple[str, Mutation, str, int]] = [
    # (name, mutation, a field the problem must name, sessions the body needs)
    ("sessions out of order", _swap_first_two, "sessions[1] starts", 2),
    ("overlapping sessions", _overlap, "sessions[1] starts", 2),
    ("session ends before it starts", _end_before_start, "sessions[0] ends", 1),
    ("converted flipped", _flip_converted, "converted is", 1),
    ("conversion added", _add_conversion, "conversion_hits", 1),
    ("pricing view added", _add_pricing_view, "pricing_views", 1),
    ("level does not follow score", _wrong_level, "intent.level", 1),
    ("flag does not follow state", _wrong_flag, "recommendation.flag", 1),
    ("headline of another flag", _wrong_headline, "recommendation.card.headline", 1),
    ("first_seen is not the first start", _first_seen_later, "first_seen", 1),
    ("last_seen before an end", _last_seen_earlier, "last_seen", 1),
    ("last event is not last_seen", _last_event_elsewhere, "live.last_event_ts", 1),
    ("current page is not the last page", _current_page_elsewhere, "live.current_page", 1),
    ("is_active contradicts recency", _flip_active, "live.is_active", 1),
    ("a session in the future", _in_the_future, "after now", 1),
    ("an event outside its session", _conversion_outside_session, "external_redirects[", 1),
]


@pytest.mark.parametrize(("name", "mutate", "field", "needs"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_mutation_is_reported(name: str, mutate: Mutation, field: str, needs: int) -> None:
    cases = bodies(min_sessions=needs)
    assert cases
    for valid in cases:
        mutated = copy.deepcopy(valid)
        mutate(mutated)
        found = invariants.problems(mutated, now=NOW)
        assert any(field in problem for problem in found), (name, found)


def test_an_overlap_is_reported_as_an_overlap_not_as_a_wrong_duration_or_total() -> None:
    cases = bodies(min_sessions=2)
    assert cases
    for valid in cases:
        mutated = copy.deepcopy(valid)
        _overlap(mutated)
        found = invariants.problems(mutated, now=NOW)
        assert any(problem.startswith("sessions[1] starts at") for problem in found), found
        assert [problem for problem in found if "duration_sec" in problem or "total_time_seconds" in problem] == []


def test_the_requested_id_is_checked() -> None:
    valid = body("cold")
    assert invariants.problems(valid, journey_id=valid["journey_id"]) == []
    assert invariants.problems(valid, journey_id="cluster_other") == [
        f"journey_id is {valid['journey_id']!r} but 'cluster_other' was requested"
    ]


def test_clock_checks_only_run_with_a_clock_and_conventions_only_when_strict() -> None:
    valid = body("high-intent")
    stale = copy.deepcopy(valid)
    stale["intent"]["signals"]["days_since_last_seen"] = 9
    assert invariants.problems(stale) == []
    assert invariants.problems(stale, now=NOW)
    renamed = copy.deepcopy(valid)
    renamed["recommendation"]["flag"] = "call_them_now"
    assert invariants.problems(renamed, strict=False) == []
    assert invariants.problems(renamed)


def test_problems_name_the_field_in_a_sentence() -> None:
    mutated = body("returning")
    mutated["metrics"]["total_clicks"] += 3
    expected = mutated["metrics"]["total_clicks"] - 3
    assert invariants.problems(mutated) == [
        f"metrics.total_clicks is {expected + 3} but the sessions' clicks sum to {expected}"
    ]


def test_avg_gap_tolerance_is_half_a_rounding_step() -> None:
    valid = body("returning")
    sessions = valid["sessions"]
    gaps = [(parse_instant(b["start"]) - parse_instant(a["end"])).total_seconds() for a, b in pairwise(sessions)]
    exact = sum(gaps) / len(gaps) / 3600
    for reported, ok in ((round(exact, 1), True), (exact + 0.049, True), (exact + 0.051, False), (exact - 0.06, False)):
        mutated = copy.deepcopy(valid)
        mutated["metrics"]["avg_gap_hours"] = reported
        assert (invariants.problems(mutated) == []) is ok, reported


@pytest.mark.parametrize(
    "broken",
    [{}, {"sessions": "many"}, {"sessions": [1, 2]}, [], "text", {"metrics": None, "sessions": []}],
    ids=["empty", "sessions-string", "sessions-ints", "list", "string", "metrics-null"],
)
def test_malformed_bodies_do_not_raise(broken: Any) -> None:
    assert isinstance(invariants.problems(broken, now=NOW), list)
