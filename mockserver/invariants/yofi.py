"""What must hold in every Yofi document (journey data or predictions), beyond its schema.

The kind of document is read from its resources' `type`: `journey` resources are checked with their
telemetry and any embedded predictions, `prediction` resources on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from mockserver.invariants.suite import CheckSuite, Context, instant, number
from mockserver.simulation import rules
from mockserver.simulation.telemetry import (
    BOTD_EVENT,
    CLICK_EVENT,
    PAGE_VIEW_EVENT,
    SAMPLED_INTERACTIONS,
    SCROLL_EVENT,
    EventType,
)

__all__ = ["SUITE", "problems"]

SUITE: Final = CheckSuite("Yofi document")
check = SUITE.check

BOTD_INDICATOR: Final = "botd sessions count"
_HEX_DIGEST: Final = re.compile(r"[0-9a-f]{64}")
_BOT_SEVERITIES: Final = frozenset({"high", "critical"})
_HUMAN_SEVERITIES: Final = frozenset({"none", "low"})


def problems(
    body: Mapping[str, Any], *, now: datetime | None = None, journey_id: str | None = None, strict: bool = True
) -> list[str]:
    """Every invariant the document breaks, as sentences naming the field.

    `journey_id` is the id that was requested; `now` None skips clock checks; `strict` False skips
    journeymock's conventions (event names, orderings and thresholds the vendor does not document).
    """
    return SUITE.run(body, Context(now=now, strict=strict, journey_id=journey_id))


def _resources(body: Mapping[str, Any], kind: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    data = body["data"]
    if not isinstance(data, list):
        raise TypeError("data is not a list")
    for position, resource in enumerate(data):
        if (
            isinstance(resource, Mapping)
            and resource.get("type") == kind
            and isinstance(resource.get("attributes"), Mapping)
        ):
            yield f"data[{position}]", resource


def _predictions(body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any] | None]]:
    """Every prediction with where it is and, when embedded in a journey, that journey's attributes."""
    for where, resource in _resources(body, "journey"):
        attributes = resource["attributes"]
        for position, prediction in enumerate(attributes.get("predictions") or []):
            if isinstance(prediction, Mapping):
                yield f"{where}.attributes.predictions[{position}]", prediction, attributes
    for where, resource in _resources(body, "prediction"):
        yield f"{where}.attributes", resource["attributes"], None


def _batches(attributes: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    batches = attributes["custom_events"]
    if not isinstance(batches, list) or not all(isinstance(batch, Mapping) for batch in batches):
        raise TypeError("custom_events is not a list of objects")
    return batches


def _botd_sessions(attributes: Mapping[str, Any]) -> int:
    return len(
        {
            batch["sid"]
            for batch in _batches(attributes)
            if any(isinstance(event, Mapping) and event.get("name") == BOTD_EVENT for event in batch["events"])
        }
    )


def _indicator(prediction: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    indicators: Sequence[Any] = prediction["indicators"]
    for indicator in indicators:
        if isinstance(indicator, Mapping) and indicator.get("indicatorName") == name:
            return indicator
    return None


@check(
    documented="The ID of the user journey whose data is being retrieved.",
)
def journey_ids(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    for where, resource in _resources(body, "journey"):
        attributes = resource["attributes"]
        if attributes["journey_id"] != resource["id"]:
            yield (
                f"{where}.attributes.journey_id is {attributes['journey_id']!r} but the resource id is "
                f"{resource['id']!r}"
            )
        if context.journey_id is not None and resource["id"] != context.journey_id:
            yield f"{where}.id is {resource['id']!r} but {context.journey_id!r} was requested"


@check(
    inferred="updated_at is assumed not to precede created_at; the document shows equal values.",
)
def journey_times(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    for where, resource in _resources(body, "journey"):
        attributes = resource["attributes"]
        if instant(attributes["updated_at"]) < instant(attributes["created_at"]):
            yield (
                f"{where}.attributes.updated_at ({attributes['updated_at']}) is before created_at "
                f"({attributes['created_at']})"
            )


@check(
    inferred="Batch and event ordering (oldest first) is a convention; the document shows one batch.",
    convention=True,
)
def events_in_time_order(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    for where, resource in _resources(body, "journey"):
        batches = _batches(resource["attributes"])
        for position in range(1, len(batches)):
            if instant(batches[position]["created_at"]) < instant(batches[position - 1]["created_at"]):
                yield (
                    f"{where}.attributes.custom_events[{position}].created_at ({batches[position]['created_at']}) "
                    f"is before the previous batch's ({batches[position - 1]['created_at']}): batches must be "
                    f"oldest first"
                )
        for position, batch in enumerate(batches):
            times = [number(event["time"]) for event in batch["events"]]
            if times != sorted(times):
                yield f"{where}.attributes.custom_events[{position}].events are not in time order"


@check(
    inferred="That event batches fall within the journey's created_at..updated_at is assumed; not stated.",
    convention=True,
)
def events_within_journey(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    for where, resource in _resources(body, "journey"):
        attributes = resource["attributes"]
        created, updated = instant(attributes["created_at"]), instant(attributes["updated_at"])
        for position, batch in enumerate(_batches(attributes)):
            if not created <= instant(batch["created_at"]) <= updated:
                yield (
                    f"{where}.attributes.custom_events[{position}].created_at ({batch['created_at']}) is outside "
                    f"the journey's created_at..updated_at ({attributes['created_at']} to {attributes['updated_at']})"
                )


@check(
    inferred="A prediction's entity_id and app_id are assumed to be its journey's, as in the example; not stated.",
)
def prediction_entities(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    for where, prediction, attributes in _predictions(body):
        expected = attributes["journey_id"] if attributes is not None else context.journey_id
        if expected is not None and prediction["entity_id"] != expected:
            yield f"{where}.entity_id is {prediction['entity_id']!r} but the journey is {expected!r}"
        if attributes is not None and prediction["app_id"] != attributes["app_id"]:
            yield f"{where}.app_id is {prediction['app_id']!r} but the journey's app_id is {attributes['app_id']!r}"


@check(
    inferred="A prediction's updated_at is assumed not to precede its created_at; not stated.",
)
def prediction_times(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    for where, prediction, _ in _predictions(body):
        if instant(prediction["updated_at"]) < instant(prediction["created_at"]):
            yield f"{where}.updated_at ({prediction['updated_at']}) is before created_at ({prediction['created_at']})"


@check(
    inferred="A prediction_id as a 64-digit hex digest, and a resource id equal to it, is read from the example.",
    convention=True,
)
def prediction_ids(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    for where, prediction, _ in _predictions(body):
        if not _HEX_DIGEST.fullmatch(str(prediction["prediction_id"])):
            yield f"{where}.prediction_id {prediction['prediction_id']!r} is not a 64-digit hex digest"
    for where, resource in _resources(body, "prediction"):
        if resource["id"] != resource["attributes"]["prediction_id"]:
            yield (
                f"{where}.id is {resource['id']!r} but its prediction_id is {resource['attributes']['prediction_id']!r}"
            )


@check(
    inferred="The severities that go with a bot (high, critical) or a human (none, low) and the BotD threshold are"
    " assumed; the document shows one prediction.",
    convention=True,
)
def bot_predictions(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    for where, prediction, attributes in _predictions(body):
        if prediction["prediction_category"] != "bot":
            continue
        value = number(prediction["predicted_value"])
        severity = prediction["severity"]
        if value == 1 and severity not in _BOT_SEVERITIES:
            yield f"{where} predicts a bot (predicted_value 1) with severity {severity!r}, not high or critical"
        if value == 0 and severity not in _HUMAN_SEVERITIES:
            yield f"{where} predicts no bot (predicted_value 0) with severity {severity!r}, not none or low"
        indicator = _indicator(prediction, BOTD_INDICATOR)
        if indicator is None:
            continue
        count = int(str(indicator["value"]))
        if rules.is_bot(count) != (value == 1):
            yield (
                f"{where}.predicted_value is {prediction['predicted_value']} but the {BOTD_INDICATOR!r} "
                f"indicator is {count}, which makes the journey {'a bot' if rules.is_bot(count) else 'human'}"
            )
        if attributes is not None:
            observed = _botd_sessions(attributes)
            if count != observed:
                yield (
                    f"{where} indicator {BOTD_INDICATOR!r} is {indicator['value']} but {observed} of the journey's "
                    f"sessions have a {BOTD_EVENT} event"
                )


@check(
    inferred="That every journey gets a bot prediction is assumed from the example; not stated.",
    convention=True,
)
def bot_prediction_present(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    for where, resource in _resources(body, "journey"):
        predictions = resource["attributes"].get("predictions")
        if predictions is not None and not any(
            isinstance(prediction, Mapping) and prediction.get("prediction_category") == "bot"
            for prediction in predictions
        ):
            yield f"{where}.attributes.predictions has no bot prediction; every journey gets one"


def _events(attributes: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    events = [event for batch in _batches(attributes) for event in batch["events"]]
    if not all(isinstance(event, Mapping) for event in events):
        raise TypeError("an event is not an object")
    return events


def _named(events: Sequence[Mapping[str, Any]], name: str) -> int:
    return sum(1 for event in events if event["name"] == name)


@check(
    inferred=(
        "journeymock's convention: custom_events holds one batch per session, one page_view event per page "
        "and a conversion event for a converted journey (the document shows one example)"
    ),
    convention=True,
)
def journey_metadata(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    """`journeyMetadata` counts what `custom_events` records: one batch per session, one page view event per
    page, and a conversion event for a converted journey."""
    for where, resource in _resources(body, "journey"):
        attributes = resource["attributes"]
        metadata = attributes["feature"]["journeyMetadata"]
        sessions, page_views, converted = metadata["sessionCount"], metadata["pageViews"], metadata["converted"]
        batches = _batches(attributes)
        events = _events(attributes)
        name = f"{where}.attributes.feature.journeyMetadata"
        sids = len({batch["sid"] for batch in batches})
        if number(sessions) != len(batches) or sids != len(batches):
            yield (
                f"{name}.sessionCount is {sessions} but custom_events holds {len(batches)} batches of {sids} "
                "sessions (one batch per session)"
            )
        if number(page_views) != _named(events, PAGE_VIEW_EVENT):
            yield f"{name}.pageViews is {page_views} but custom_events has {_named(events, PAGE_VIEW_EVENT)} page views"
        conversions = sum(1 for event in events if event["type"] == EventType.CONVERSION)
        if converted is not (conversions > 0):
            yield f"{name}.converted is {converted} but custom_events has {conversions} conversion events"


@check(
    inferred=(
        "journeymock's convention: custom_events samples the sessions that cloudBehavioral totals (documented "
        "as inferred in the spec)"
    ),
    convention=True,
)
def behavioural_totals(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    """`cloudBehavioral` totals the sessions `custom_events` samples: every session's events fall within its
    time, clicks and scrolls are sampled (at most `SAMPLED_INTERACTIONS` of each per batch, never more events
    than the total, and some whenever the total is not 0), and the average session is the total time over the
    sessions."""
    for where, resource in _resources(body, "journey"):
        attributes = resource["attributes"]
        behaviour = attributes["feature"]["cloudBehavioral"]
        sessions = number(attributes["feature"]["journeyMetadata"]["sessionCount"])
        total, average = number(behaviour["totalTimeSeconds"]), number(behaviour["avgSessionSeconds"])
        name = f"{where}.attributes.feature.cloudBehavioral"
        if sessions > 0 and average != total // sessions:
            yield (
                f"{name}.avgSessionSeconds is {average:g} but totalTimeSeconds ({total:g}) over sessionCount "
                f"({sessions:g}) is {total // sessions:g}"
            )
        spans = sum(
            max((number(event["time"]) for event in batch["events"]), default=0) for batch in _batches(attributes)
        )
        if spans > total * 1000:
            yield f"{name}.totalTimeSeconds is {total:g} but the sessions' events span {spans / 1000:g} seconds"
        events = _events(attributes)
        for field, event_name in (("clicks", CLICK_EVENT), ("scrolls", SCROLL_EVENT)):
            reported, sampled = number(behaviour[field]), _named(events, event_name)
            if sampled > reported or (reported > 0) != (sampled > 0):
                yield f"{name}.{field} is {reported:g} but custom_events has {sampled} {event_name} events"
            for position, batch in enumerate(_batches(attributes)):
                listed = _named(batch["events"], event_name)
                if listed > SAMPLED_INTERACTIONS:
                    yield (
                        f"{where}.attributes.custom_events[{position}] lists {listed} {event_name} events; the "
                        f"sample holds at most {SAMPLED_INTERACTIONS}"
                    )


@check(
    inferred="Timestamps are assumed not to run ahead of the caller's clock; the vendor's clock is its own.",
    clock=True,
)
def not_in_the_future(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    assert context.now is not None
    stamps: list[tuple[str, Any]] = []
    for where, resource in _resources(body, "journey"):
        attributes = resource["attributes"]
        stamps.append((f"{where}.attributes.created_at", attributes["created_at"]))
        stamps.append((f"{where}.attributes.updated_at", attributes["updated_at"]))
        for position, batch in enumerate(_batches(attributes)):
            stamps.append((f"{where}.attributes.custom_events[{position}].created_at", batch["created_at"]))
    for where, prediction, _ in _predictions(body):
        stamps.append((f"{where}.created_at", prediction["created_at"]))
        stamps.append((f"{where}.updated_at", prediction["updated_at"]))
    for name, value in stamps:
        if instant(value) > context.now:
            yield f"{name} is {value}, after now ({context.now.isoformat()})"
