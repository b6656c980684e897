"""Jourvex Journey bodies: valid against the spec, consistent, deterministic, for every archetype."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockserver.invariants import jourvex as invariants
from mockserver.projections.jourvex import journey_body
from mockserver.simulation import ARCHETYPES, visitor_journey
from mockserver.specs import load_specs

SCHEMA = load_specs()["jourvex"].operation("getJourney").responses["200"].schema
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
NOW = datetime(2026, 5, 21, 16, 3, 41, 523000, tzinfo=UTC)

journey_ids = st.one_of(
    st.builds(lambda tail: f"cluster_{tail}", st.text(string.hexdigits.lower(), min_size=5, max_size=8)),
    st.text(string.ascii_letters + string.digits + "-_.~", min_size=1, max_size=48),
    # Anything a path segment can carry once decoded (lone surrogates cannot be sent as UTF-8).
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=32),
)
seeds = st.integers(min_value=-(2**63), max_value=2**63)
moments = st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2150, 1, 1), timezones=st.just(UTC))
archetypes = st.none() | st.sampled_from(ARCHETYPES)


def body_for(journey_id: str, seed: int, now: datetime, archetype: str | None = None) -> dict[str, Any]:
    """The body as it goes on the wire. (The projection shares the model's page tuples; JSON has arrays.)"""
    projected = journey_body(visitor_journey(journey_id, seed=seed, now=now, archetype=archetype), now=now)
    wire: dict[str, Any] = orjson.loads(orjson.dumps(projected))
    return wire


def schema_errors(body: object) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message}" for error in VALIDATOR.iter_errors(body)]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journey_id=journey_ids, seed=seeds, now=moments, archetype=archetypes)
def test_every_body_is_valid_and_keeps_every_invariant(
    journey_id: str, seed: int, now: datetime, archetype: str | None
) -> None:
    body = body_for(journey_id, seed, now, archetype)
    assert schema_errors(body) == []
    assert invariants.problems(body, now=now, journey_id=journey_id) == []
    # Encoding is stable: what a client reads back encodes to the same bytes.
    assert orjson.dumps(body) == orjson.dumps(
        journey_body(visitor_journey(journey_id, seed=seed, now=now, archetype=archetype), now=now)
    )


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_thousands_of_journeys_per_archetype_keep_every_invariant(archetype: str) -> None:
    for n in range(500):
        now = NOW + timedelta(minutes=17 * n)
        body = body_for(f"cluster_{n:05x}", n * 7919, now, archetype)
        assert invariants.problems(body, now=now) == [], (archetype, n)


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_a_sample_of_each_archetype_validates(archetype: str) -> None:
    for n in range(40):
        assert schema_errors(body_for(f"id-{n}", n, NOW, archetype)) == []


@settings(max_examples=200, deadline=None)
@given(journey_id=journey_ids, seed=seeds, archetype=archetypes)
def test_same_inputs_give_identical_bytes(journey_id: str, seed: int, archetype: str | None) -> None:
    first = orjson.dumps(body_for(journey_id, seed, NOW, archetype))
    assert orjson.dumps(body_for(journey_id, seed, NOW, archetype)) == first
    # Within the same minute, too: the timeline is anchored on the minute.
    assert orjson.dumps(body_for(journey_id, seed, NOW + timedelta(seconds=15), archetype)) == first


def test_a_different_seed_gives_a_different_body() -> None:
    bodies = {orjson.dumps(body_for("cluster_8f2ab", seed, NOW, "returning")) for seed in range(50)}
    assert len(bodies) == 50


def test_the_asked_archetype_shows_in_the_body() -> None:
    converted = body_for("cluster_8f2ab", 1, NOW, "converted")
    assert converted["converted"] is True
    assert converted["recommendation"]["flag"] == "post_conversion_context"
    bot = body_for("cluster_8f2ab", 1, NOW, "bot")
    assert bot["recommendation"]["flag"] == "suspected_bot"
    assert bot["metrics"]["total_scrolls"] == 0
    hot = body_for("cluster_8f2ab", 1, NOW, "high-intent")
    assert hot["live"] == {
        "is_active": True,
        "current_page": "/pricing",
        "last_event_ts": hot["last_seen"],
    }


def test_timestamps_look_like_the_documented_example() -> None:
    body = body_for("cluster_8f2ab", 1, NOW)
    for value in (body["first_seen"], body["last_seen"]):
        assert isinstance(value, str)
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")


def test_bodies_are_realistically_sized() -> None:
    sizes = sorted(len(orjson.dumps(body_for(f"cluster_{n:05x}", 5, NOW))) for n in range(2000))
    assert sizes[0] > 600 and sizes[-1] < 6000
    assert 1500 < sizes[len(sizes) // 2] < 3000
