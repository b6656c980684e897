"""The Yofi checks catch what they claim to: each mutation of a valid document is reported."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mockserver.clock import format_epoch_millis
from mockserver.invariants import yofi as invariants
from mockserver.projections.yofi import journey_document, predictions_document
from mockserver.simulation import ARCHETYPES, visitor_journey
from mockserver.specs import load_specs

SPEC = load_specs()["yofi"]
NOW = datetime(2026, 5, 21, 16, 3, tzinfo=UTC)
JOURNEY_ID = "jid-e90328e0-1be9-540e-8671-41acd5cc9a5d"
Document = dict[str, Any]


def data_document(archetype: str, *, predictions: bool = True, journey_id: str = JOURNEY_ID) -> Document:
    journey = visitor_journey(journey_id, seed=8, now=NOW, archetype=archetype)
    return journey_document(journey, seed=8, now=NOW, include_predictions=predictions)


def predictions(archetype: str, *, forced: bool = False) -> Document:
    journey = visitor_journey(JOURNEY_ID, seed=8, now=NOW, archetype=archetype)
    return predictions_document(journey, seed=8, now=NOW, forced=forced)


def attributes(document: Document) -> Document:
    result: Document = document["data"][0]["attributes"]
    return result


def prediction_of(document: Document) -> Document:
    found = attributes(document)
    result: Document = found["predictions"][0] if "predictions" in found else found
    return result


def botd_indicator(prediction: Document) -> Document:
    result: Document = next(i for i in prediction["indicators"] if i["indicatorName"] == "botd sessions count")
    return result


def test_valid_documents_have_no_problems() -> None:
    for archetype in ARCHETYPES:
        for document in (data_document(archetype), data_document(archetype, predictions=False), predictions(archetype)):
            assert invariants.problems(document, now=NOW, journey_id=JOURNEY_ID) == [], archetype


def test_the_documented_examples_are_checked_too() -> None:
    predictions_example = SPEC.operation("getJourneyPredictions").responses["200"].examples["documented"]
    assert invariants.problems(predictions_example, strict=False) == []
    # The journey example mixes placeholders ("text") with a real prediction: the checks notice.
    data_example = SPEC.operation("getJourneyData").responses["200"].examples["documented"]
    assert invariants.problems(data_example, strict=False) == [
        "data[0].attributes.predictions[0].entity_id is 'jid-e90328e0-1be9-540e-8671-41acd5cc9a5d' but the "
        "journey is 'text'",
        "data[0].attributes.predictions[0].app_id is '77b395e7-3c13-4121-9894-f8d21e3e597f' but the journey's "
        "app_id is 'text'",
    ]


Mutation = Callable[[Document], None]


def _other_resource_id(d: Document) -> None:
    d["data"][0]["id"] = "jid-other"


def _other_attribute_id(d: Document) -> None:
    attributes(d)["journey_id"] = "jid-other"


def _updated_before_created(d: Document) -> None:
    created = attributes(d)["created_at"]
    attributes(d)["created_at"] = attributes(d)["updated_at"]
    attributes(d)["updated_at"] = created


def _batches_reversed(d: Document) -> None:
    attributes(d)["custom_events"].reverse()


def _events_reversed(d: Document) -> None:
    batch = next(b for b in attributes(d)["custom_events"] if len({e["time"] for e in b["events"]}) > 1)
    batch["events"].reverse()


def _batch_after_the_journey(d: Document) -> None:
    attributes(d)["custom_events"][-1]["created_at"] = format_epoch_millis(
        int((NOW - timedelta(seconds=1)).timestamp() * 1000)
    )


def _other_entity(d: Document) -> None:
    prediction_of(d)["entity_id"] = "jid-other"


def _other_app(d: Document) -> None:
    prediction_of(d)["app_id"] = "11111111-1111-4111-8111-111111111111"


def _prediction_updated_before_created(d: Document) -> None:
    prediction_of(d)["updated_at"] = "2000-01-01T00:00:00.000000Z"


def _prediction_id_not_a_digest(d: Document) -> None:
    prediction_of(d)["prediction_id"] = "c545c017"


def _bot_with_low_severity(d: Document) -> None:
    prediction_of(d)["severity"] = "low"


def _bot_predicted_human(d: Document) -> None:
    prediction_of(d)["predicted_value"] = 0


def _botd_count_wrong(d: Document) -> None:
    indicator = botd_indicator(prediction_of(d))
    indicator["value"] = str(int(indicator["value"]) + 1)


def _botd_event_removed(d: Document) -> None:
    batch = next(b for b in attributes(d)["custom_events"] if any(e["name"] == "botd_detected" for e in b["events"]))
    batch["events"] = [e for e in batch["events"] if e["name"] != "botd_detected"]


def _no_bot_prediction(d: Document) -> None:
    prediction_of(d)["prediction_category"] = "intent"


def _future_batch(d: Document) -> None:
    attributes(d)["custom_events"][-1]["created_at"] = "2030-01-01T00:00:00.000Z"
    attributes(d)["updated_at"] = "2030-01-01T00:00:01.000Z"


MUTATIONS: list[tuple[str, Mutation, str]] = [
    ("resource id is not the journey", _other_resource_id, "data[0].id"),
    ("attribute journey_id differs", _other_attribute_id, "attributes.journey_id"),
    ("updated_at before created_at", _updated_before_created, "attributes.updated_at"),
    ("batches newest first", _batches_reversed, "oldest first"),
    ("events out of order", _events_reversed, "events are not in time order"),
    ("a batch after updated_at", _batch_after_the_journey, "outside the journey's created_at..updated_at"),
    ("prediction about another journey", _other_entity, "entity_id"),
    ("prediction of another app", _other_app, "app_id"),
    ("prediction updated before created", _prediction_updated_before_created, "predictions[0].updated_at"),
    ("prediction id is not a digest", _prediction_id_not_a_digest, "64-digit hex digest"),
    ("a bot with low severity", _bot_with_low_severity, "not high or critical"),
    ("a bot predicted human", _bot_predicted_human, "predicted_value is 0"),
    ("botd indicator miscounted", _botd_count_wrong, "botd sessions count"),
    ("a botd session lost its event", _botd_event_removed, "have a botd_detected event"),
    ("no bot prediction", _no_bot_prediction, "has no bot prediction"),
    ("a batch in the future", _future_batch, "after now"),
]


@pytest.mark.parametrize(("name", "mutate", "field"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_mutation_of_a_bot_journey_is_reported(name: str, mutate: Mutation, field: str) -> None:
    mutated = copy.deepcopy(data_document("bot"))
    mutate(mutated)
    found = invariants.problems(mutated, now=NOW, journey_id=JOURNEY_ID)
    assert any(field in problem for problem in found), (name, found)


def test_a_human_predicted_bot_is_reported() -> None:
    document = data_document("researcher")
    prediction = prediction_of(document)
    prediction["predicted_value"], prediction["severity"] = 1, "high"
    found = invariants.problems(document)
    assert any("makes the journey human" in problem for problem in found), found
    prediction["severity"] = "none"
    assert any("not high or critical" in problem for problem in invariants.problems(document))


def test_a_human_with_a_high_severity_is_reported() -> None:
    document = predictions("cold")
    prediction_of(document)["severity"] = "high"
    assert any("not none or low" in problem for problem in invariants.problems(document))


def test_a_predictions_document_is_checked_on_its_own() -> None:
    document = predictions("bot", forced=True)
    assert invariants.problems(document, now=NOW, journey_id=JOURNEY_ID) == []
    assert invariants.problems(document, journey_id="jid-other") == [
        f"data[0].attributes.entity_id is {JOURNEY_ID!r} but the journey is 'jid-other'"
    ]
    renamed = copy.deepcopy(document)
    renamed["data"][0]["id"] = "text"
    assert any("prediction_id" in problem for problem in invariants.problems(renamed))
    future = predictions("bot", forced=True)
    prediction_of(future)["updated_at"] = "2030-01-01T00:00:00.000000Z"
    assert any("after now" in problem for problem in invariants.problems(future, now=NOW))


def test_the_requested_id_is_checked() -> None:
    found = invariants.problems(data_document("cold"), journey_id="jid-requested")
    assert found == [f"data[0].id is {JOURNEY_ID!r} but 'jid-requested' was requested"]


def test_conventions_are_skipped_when_not_strict() -> None:
    document = data_document("bot")
    attributes(document)["custom_events"].reverse()
    assert invariants.problems(document, strict=False) == []
    assert invariants.problems(document)


@pytest.mark.parametrize(
    "broken",
    [{}, {"data": "x"}, {"data": [{"type": "journey"}]}, {"data": [{"type": "journey", "id": 1, "attributes": {}}]}],
)
def test_malformed_documents_do_not_raise(broken: Any) -> None:
    assert isinstance(invariants.problems(broken, now=NOW), list)


# The journey's features against its telemetry: each count and total must agree with the sessions and
# events that custom_events records.


def feature(d: Document, group: str) -> Document:
    result: Document = attributes(d)["feature"][group]
    return result


def events_named(d: Document, name: str) -> list[Document]:
    return [event for batch in attributes(d)["custom_events"] for event in batch["events"] if event["name"] == name]


def _page_views_from_sessions(d: Document) -> None:
    metadata = feature(d, "journeyMetadata")
    assert metadata["pageViews"] != metadata["sessionCount"]
    metadata["pageViews"] = metadata["sessionCount"]


def _page_view_event_lost(d: Document) -> None:
    batch = attributes(d)["custom_events"][0]
    batch["events"].remove(next(event for event in batch["events"] if event["name"] == "page_view"))


def _session_count_off_by_one(d: Document) -> None:
    feature(d, "journeyMetadata")["sessionCount"] += 1


def _session_batch_lost(d: Document) -> None:
    attributes(d)["custom_events"].pop(0)


def _two_batches_one_session(d: Document) -> None:
    batches = attributes(d)["custom_events"]
    batches[1]["sid"] = batches[0]["sid"]


def _converted_without_conversion_event(d: Document) -> None:
    for batch in attributes(d)["custom_events"]:
        batch["events"] = [event for event in batch["events"] if event["type"] != 2]


def _average_not_the_total_over_sessions(d: Document) -> None:
    feature(d, "cloudBehavioral")["avgSessionSeconds"] += 1


def _total_time_shorter_than_the_events(d: Document) -> None:
    # A second less than the events of the sessions span (each batch's last event, in milliseconds).
    spans = sum(max(event["time"] for event in batch["events"]) for batch in attributes(d)["custom_events"])
    behaviour = feature(d, "cloudBehavioral")
    behaviour["totalTimeSeconds"] = spans // 1000 - 1
    behaviour["avgSessionSeconds"] = behaviour["totalTimeSeconds"] // feature(d, "journeyMetadata")["sessionCount"]


def _clicks_from_sampled_events(d: Document) -> None:
    behaviour = feature(d, "cloudBehavioral")
    behaviour["clicks"] = len(events_named(d, "click")) - 1


def _no_scrolls_but_scroll_events(d: Document) -> None:
    feature(d, "cloudBehavioral")["scrolls"] = 0


def _clicks_without_click_events(d: Document) -> None:
    for batch in attributes(d)["custom_events"]:
        batch["events"] = [event for event in batch["events"] if event["name"] != "click"]


def _a_batch_beyond_the_sample(d: Document) -> None:
    # Every click of a session listed, as if custom_events were the full record rather than the SDK's sample.
    batch = attributes(d)["custom_events"][0]
    batch["events"].extend({"level": 0, "name": "click", "time": 1, "type": 1} for _ in range(3))
    feature(d, "cloudBehavioral")["clicks"] += 3


FEATURE_MUTATIONS: list[tuple[str, Mutation, str]] = [
    ("page views counted from sessions", _page_views_from_sessions, "journeyMetadata.pageViews"),
    ("a page view event lost", _page_view_event_lost, "journeyMetadata.pageViews"),
    ("one session too many", _session_count_off_by_one, "journeyMetadata.sessionCount"),
    ("a session's batch lost", _session_batch_lost, "journeyMetadata.sessionCount"),
    ("two batches of one session", _two_batches_one_session, "journeyMetadata.sessionCount"),
    ("converted without a conversion event", _converted_without_conversion_event, "journeyMetadata.converted"),
    ("average is not total / sessions", _average_not_the_total_over_sessions, "cloudBehavioral.avgSessionSeconds"),
    ("total time shorter than the events", _total_time_shorter_than_the_events, "cloudBehavioral.totalTimeSeconds"),
    ("fewer clicks than click events", _clicks_from_sampled_events, "cloudBehavioral.clicks"),
    ("no scrolls but scroll events", _no_scrolls_but_scroll_events, "cloudBehavioral.scrolls"),
    ("clicks without click events", _clicks_without_click_events, "cloudBehavioral.clicks"),
    ("a batch beyond the sample", _a_batch_beyond_the_sample, "custom_events[0] lists"),
]


@pytest.mark.parametrize(("name", "mutate", "field"), FEATURE_MUTATIONS, ids=[m[0] for m in FEATURE_MUTATIONS])
def test_each_mutation_of_a_journeys_features_is_reported(name: str, mutate: Mutation, field: str) -> None:
    # A converted journey: several sessions, clicks, scrolls and a conversion, so every mutation applies.
    mutated = copy.deepcopy(data_document("converted", predictions=False))
    mutate(mutated)
    found = invariants.problems(mutated, now=NOW, journey_id=JOURNEY_ID)
    assert any(field in problem for problem in found), (name, found)


def test_a_journey_that_did_not_convert_has_no_conversion_event() -> None:
    document = data_document("cold", predictions=False)
    assert invariants.problems(document) == []
    feature(document, "journeyMetadata")["converted"] = True
    assert any("journeyMetadata.converted is True" in problem for problem in invariants.problems(document))


def test_feature_checks_are_conventions() -> None:
    # journeyMetadata and cloudBehavioral are documented as {}: their members are journeymock's own.
    document = data_document("converted", predictions=False)
    _page_views_from_sessions(document)
    _clicks_from_sampled_events(document)
    assert invariants.problems(document, strict=False) == []
    assert len(invariants.problems(document)) == 2
