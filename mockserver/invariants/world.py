"""The world's invariants: what must hold between two bodies of one journey fetched at two instants.

The past is fixed and the present grows: a journey fetched at `t1` and again at a later `t2` shows at `t2`
everything it showed at `t1` (the same sessions, timestamps, events, page views, prediction ids and creation
times), apart from fields that are functions of the present (`live.*`, `days_since_last_seen`, rolling windows,
judgements made from the aggregates) and aggregates that grow (totals, counts, intent, `last_seen`,
`updated_at`), which never decrease. No vendor documents this; it is what a client syncing journeys relies
on, so the contract suite holds a live vendor to it as an inferred fact.

`history_problems(api, operation_id, earlier, later)` names every departure, one sentence each; bodies of a
shape the checks do not know yield nothing (the schema reports those).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from mockserver.invariants.suite import instant

__all__ = ["HISTORY_OPERATIONS", "history_problems"]

Body = Mapping[str, Any]
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def _prefix(name: str, earlier: Sequence[Any], later: Sequence[Any]) -> Iterator[str]:
    """`later` begins with every item of `earlier`, unchanged and in order."""
    if len(later) < len(earlier):
        yield f"{name}: {len(earlier)} items earlier, only {len(later)} later"
    for position, item in enumerate(earlier[: len(later)]):
        if later[position] != item:
            yield f"{name}[{position}] changed: {item!r} became {later[position]!r}"
            return


def _same(name: str, earlier: Any, later: Any) -> Iterator[str]:
    if earlier != later:
        yield f"{name} changed from {earlier!r} to {later!r}"


def _grows(name: str, earlier: Any, later: Any) -> Iterator[str]:
    if later < earlier:
        yield f"{name} decreased from {earlier!r} to {later!r}"


def _later_instant(name: str, earlier: str, later: str) -> Iterator[str]:
    if instant(later) < instant(earlier):
        yield f"{name} moved back from {earlier} to {later}"


def _jourvex_journey(earlier: Body, later: Body) -> Iterator[str]:
    yield from _same("journey_id", earlier["journey_id"], later["journey_id"])
    yield from _same("first_seen", earlier["first_seen"], later["first_seen"])
    yield from _prefix("sessions", earlier["sessions"], later["sessions"])
    yield from _later_instant("last_seen", earlier["last_seen"], later["last_seen"])
    yield from _grows("converted", earlier["converted"], later["converted"])
    for name in ("total_sessions", "total_time_seconds", "total_clicks", "total_scrolls"):
        yield from _grows(f"metrics.{name}", earlier["metrics"][name], later["metrics"][name])
    yield from _grows("intent.score", earlier["intent"]["score"], later["intent"]["score"])
    for name in ("pricing_views", "high_intent_hits", "enterprise_hits", "conversion_hits"):
        yield from _grows(
            f"intent.signals.{name}", earlier["intent"]["signals"][name], later["intent"]["signals"][name]
        )


def _yofi_prediction(where: str, earlier: Body, later: Body) -> Iterator[str]:
    for name in ("prediction_id", "entity_id", "app_id", "model_name", "model_version", "created_at"):
        yield from _same(f"{where}.{name}", earlier[name], later[name])
    yield from _later_instant(f"{where}.updated_at", earlier["updated_at"], later["updated_at"])
    yield from _grows(f"{where}.predicted_value", earlier["predicted_value"], later["predicted_value"])


def _yofi_journey(earlier: Body, later: Body) -> Iterator[str]:
    before, after = earlier["data"][0], later["data"][0]
    yield from _same("data[0].id", before["id"], after["id"])
    yield from _same("data[0].relationships", before["relationships"], after["relationships"])
    old, new = before["attributes"], after["attributes"]
    for name in ("journey_id", "app_id", "created_at"):
        yield from _same(f"attributes.{name}", old[name], new[name])
    yield from _later_instant("attributes.updated_at", old["updated_at"], new["updated_at"])
    yield from _prefix("attributes.custom_events", old["custom_events"], new["custom_events"])
    metadata, now_metadata = old["feature"]["journeyMetadata"], new["feature"]["journeyMetadata"]
    for name in ("entryChannel", "device", "browser", "os", "country"):
        yield from _same(f"journeyMetadata.{name}", metadata[name], now_metadata[name])
    for name in ("sessionCount", "pageViews", "converted"):
        yield from _grows(f"journeyMetadata.{name}", metadata[name], now_metadata[name])
    behaviour, now_behaviour = old["feature"]["cloudBehavioral"], new["feature"]["cloudBehavioral"]
    for name in ("totalTimeSeconds", "clicks", "scrolls"):
        yield from _grows(f"cloudBehavioral.{name}", behaviour[name], now_behaviour[name])
    if "predictions" in old and "predictions" in new:
        for position, prediction in enumerate(old["predictions"]):
            yield from _yofi_prediction(f"attributes.predictions[{position}]", prediction, new["predictions"][position])


def _yofi_predictions(earlier: Body, later: Body) -> Iterator[str]:
    before, after = earlier["data"][0], later["data"][0]
    yield from _same("data[0].id", before["id"], after["id"])
    yield from _yofi_prediction("data[0].attributes", before["attributes"], after["attributes"])


def _odyssey_journey(earlier: Body, later: Body) -> Iterator[str]:
    for name in ("id", "orgId", "slug", "createdAt"):
        yield from _same(name, earlier[name], later[name])
    yield from _later_instant("updatedAt", earlier["updatedAt"], later["updatedAt"])
    yield from _grows(
        "healthMetrics.sessionCount", earlier["healthMetrics"]["sessionCount"], later["healthMetrics"]["sessionCount"]
    )
    yield from _grows(
        "healthMetrics.hasSnapshot", earlier["healthMetrics"]["hasSnapshot"], later["healthMetrics"]["hasSnapshot"]
    )


_CHECKS: dict[tuple[str, str], Callable[[Body, Body], Iterator[str]]] = {
    ("jourvex", "getJourney"): _jourvex_journey,
    ("yofi", "getJourneyData"): _yofi_journey,
    ("yofi", "getJourneyPredictions"): _yofi_predictions,
    ("odyssey", "getJourney"): _odyssey_journey,
}
#: The operations whose bodies `history_problems` compares.
HISTORY_OPERATIONS = tuple(_CHECKS)


def history_problems(api: str, operation_id: str, earlier: Body, later: Body) -> list[str]:
    """What `later` (fetched after `earlier`, of the same journey) changed of the past or took back of its
    growth; empty when it kept both. `LookupError` for an operation without history checks."""
    check = _CHECKS[(api, operation_id)]
    found: list[str] = []
    try:
        for problem in check(earlier, later):
            found.append(problem)
    except _SHAPE_ERRORS:
        pass  # what was found before the body ran out of shape stands
    return found
