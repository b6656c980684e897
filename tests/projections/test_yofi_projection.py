"""Yofi documents: journey data and predictions, valid, consistent with the journey, deterministic."""

from __future__ import annotations

import re
import string
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockserver.clock import epoch_micros, format_epoch_micros
from mockserver.invariants import yofi as invariants
from mockserver.projections.yofi import journey_document, predictions_document
from mockserver.simulation import ARCHETYPES, visitor_journey
from mockserver.specs import load_specs

SPEC = load_specs()["yofi"]
FORMATS = Draft202012Validator.FORMAT_CHECKER
DATA = Draft202012Validator(SPEC.operation("getJourneyData").responses["200"].schema, format_checker=FORMATS)
PREDICTIONS = Draft202012Validator(
    SPEC.operation("getJourneyPredictions").responses["200"].schema, format_checker=FORMATS
)
NOW = datetime(2026, 5, 21, 16, 3, 41, 523417, tzinfo=UTC)

journey_ids = st.one_of(
    st.builds(lambda value: f"jid-{value}", st.uuids()),
    st.text(string.ascii_letters + string.digits + "-_.~", min_size=1, max_size=48),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=32),
)
seeds = st.integers(min_value=-(2**63), max_value=2**63)
moments = st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2150, 1, 1), timezones=st.just(UTC))
archetypes = st.none() | st.sampled_from(ARCHETYPES)


def documents(journey_id: str, seed: int, now: datetime, archetype: str | None) -> list[tuple[Any, dict[str, Any]]]:
    journey = visitor_journey(journey_id, seed=seed, now=now, archetype=archetype)
    return [
        (DATA, journey_document(journey, seed=seed, now=now, include_predictions=True)),
        (DATA, journey_document(journey, seed=seed, now=now, include_predictions=False)),
        (PREDICTIONS, predictions_document(journey, seed=seed, now=now, forced=False)),
        (PREDICTIONS, predictions_document(journey, seed=seed, now=now, forced=True)),
    ]


def errors(validator: Draft202012Validator, body: object) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(body)]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journey_id=journey_ids, seed=seeds, now=moments, archetype=archetypes)
def test_every_document_is_valid_and_keeps_every_invariant(
    journey_id: str, seed: int, now: datetime, archetype: str | None
) -> None:
    for validator, body in documents(journey_id, seed, now, archetype):
        assert errors(validator, body) == []
        assert invariants.problems(body, now=now, journey_id=journey_id) == []


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_many_journeys_per_archetype_keep_every_invariant(archetype: str) -> None:
    for n in range(150):
        now = NOW + timedelta(minutes=31 * n)
        for _, body in documents(f"jid-{uuid.UUID(int=n)}", n, now, archetype):
            assert invariants.problems(body, now=now) == [], (archetype, n)


def test_predictions_appear_only_when_asked_for() -> None:
    journey = visitor_journey("jid-1", seed=1, now=NOW)
    without = journey_document(journey, seed=1, now=NOW, include_predictions=False)
    with_predictions = journey_document(journey, seed=1, now=NOW, include_predictions=True)
    assert "predictions" not in without["data"][0]["attributes"]
    assert len(with_predictions["data"][0]["attributes"]["predictions"]) == 1
    # Everything else is the same document.
    attributes = dict(with_predictions["data"][0]["attributes"])
    del attributes["predictions"]
    assert attributes == without["data"][0]["attributes"]


def test_a_bot_is_predicted_a_bot_with_its_botd_sessions_counted() -> None:
    journey = visitor_journey("jid-e90328e0-1be9-540e-8671-41acd5cc9a5d", seed=3, now=NOW, archetype="bot")
    prediction = predictions_document(journey, seed=3, now=NOW, forced=False)["data"][0]["attributes"]
    assert (prediction["prediction_category"], prediction["predicted_value"], prediction["severity"]) == (
        "bot",
        1,
        "high",
    )
    botd = next(i for i in prediction["indicators"] if i["indicatorName"] == "botd sessions count")
    assert botd["value"] == str(sum(session.botd for session in journey.sessions))
    assert prediction["label_name"] == "Bot - BotD Detect"


@pytest.mark.parametrize("archetype", [a for a in ARCHETYPES if a != "bot"])
def test_people_are_predicted_human(archetype: str) -> None:
    for n in range(60):
        journey = visitor_journey(f"jid-{n}", seed=3, now=NOW, archetype=archetype)
        prediction = predictions_document(journey, seed=3, now=NOW, forced=False)["data"][0]["attributes"]
        assert prediction["predicted_value"] == 0
        assert prediction["severity"] in {"none", "low"}


def test_prediction_ids_are_stable_sha256_digests_and_forcing_only_refreshes_updated_at() -> None:
    journey = visitor_journey("jid-42", seed=9, now=NOW)
    plain = predictions_document(journey, seed=9, now=NOW, forced=False)["data"][0]["attributes"]
    later = NOW + timedelta(hours=3, seconds=7)
    forced = predictions_document(journey, seed=9, now=later, forced=True)["data"][0]["attributes"]
    embedded = journey_document(journey, seed=9, now=NOW, include_predictions=True)["data"][0]["attributes"]
    assert re.fullmatch(r"[0-9a-f]{64}", plain["prediction_id"])
    assert plain["prediction_id"] == forced["prediction_id"] == embedded["predictions"][0]["prediction_id"]
    assert forced["updated_at"] == format_epoch_micros(epoch_micros(later))
    assert forced["created_at"] == plain["created_at"]
    assert {k: v for k, v in forced.items() if k != "updated_at"} == {
        k: v for k, v in plain.items() if k != "updated_at"
    }
    other = visitor_journey("jid-43", seed=9, now=NOW)
    assert predictions_document(other, seed=9, now=NOW, forced=False)["data"][0]["id"] != plain["prediction_id"]


def test_timestamps_look_like_the_documented_examples() -> None:
    journey = visitor_journey("jid-7", seed=2, now=NOW)
    attributes = journey_document(journey, seed=2, now=NOW, include_predictions=True)["data"][0]["attributes"]
    millis = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
    micros = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
    assert millis.fullmatch(attributes["created_at"]) and millis.fullmatch(attributes["updated_at"])
    assert all(millis.fullmatch(batch["created_at"]) for batch in attributes["custom_events"])
    prediction = attributes["predictions"][0]
    assert micros.fullmatch(prediction["created_at"]) and micros.fullmatch(prediction["updated_at"])


@settings(max_examples=100, deadline=None)
@given(journey_id=journey_ids, seed=seeds, archetype=archetypes)
def test_same_inputs_give_identical_bytes(journey_id: str, seed: int, archetype: str | None) -> None:
    first = [orjson.dumps(body) for _, body in documents(journey_id, seed, NOW, archetype)]
    assert [orjson.dumps(body) for _, body in documents(journey_id, seed, NOW, archetype)] == first


def test_a_different_seed_gives_a_different_document() -> None:
    bodies = {
        orjson.dumps(
            journey_document(
                visitor_journey("jid-1", seed=seed, now=NOW), seed=seed, now=NOW, include_predictions=False
            )
        )
        for seed in range(30)
    }
    assert len(bodies) == 30


def test_the_journey_and_its_telemetry_agree() -> None:
    journey = visitor_journey("jid-9", seed=4, now=NOW, archetype="converted")
    attributes = journey_document(journey, seed=4, now=NOW, include_predictions=False)["data"][0]["attributes"]
    batches = attributes["custom_events"]
    assert len(batches) == len(journey.sessions)
    for batch, session in zip(batches, journey.sessions, strict=True):
        assert batch["url"].endswith(session.pages[0])
        assert sum(event["name"] == "page_view" for event in batch["events"]) == len(session.pages)
    names = {event["name"] for batch in batches for event in batch["events"]}
    assert names & {"demo_booked", "trial_started", "form_submitted"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journey_id=journey_ids, seed=seeds, now=moments, archetype=archetypes)
def test_the_features_total_the_journeys_sessions(
    journey_id: str, seed: int, now: datetime, archetype: str | None
) -> None:
    # Against the sessions themselves, not the journey's precomputed totals: a total taken from the wrong
    # quantity (page views from sessions, clicks from scrolls) differs from the sum over the sessions.
    journey = visitor_journey(journey_id, seed=seed, now=now, archetype=archetype)
    sessions = journey.sessions
    feature = journey_document(journey, seed=seed, now=now, include_predictions=False)["data"][0]["attributes"][
        "feature"
    ]
    metadata, behaviour = feature["journeyMetadata"], feature["cloudBehavioral"]
    assert metadata["sessionCount"] == len(sessions)
    assert metadata["pageViews"] == sum(len(session.pages) for session in sessions)
    assert metadata["entryChannel"] == sessions[0].channel
    assert metadata["converted"] is any(session.conversions for session in sessions)
    total = sum(session.duration for session in sessions)
    assert behaviour["totalTimeSeconds"] == total
    assert behaviour["avgSessionSeconds"] == total // len(sessions)
    assert behaviour["clicks"] == sum(session.clicks for session in sessions)
    assert behaviour["scrolls"] == sum(session.scrolls for session in sessions)
    gaps = [later.start - earlier.end for earlier, later in pairwise(sessions)]
    assert behaviour["avgGapHours"] == (round(sum(gaps) / len(gaps) / 3600, 1) if gaps else 0.0)
