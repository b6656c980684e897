"""What must hold in every Odyssey journey body (created, retrieved or updated), beyond its schema.

`problems` checks one body; `round_trip_problems` checks that what was created is what is retrieved, and
`update_problems` that an update changed what it was asked to and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from itertools import pairwise
from typing import Any, Final

from mockserver.invariants.suite import CheckSuite, Context, instant, number, same_numbers, seconds_between

__all__ = ["SUITE", "problems", "round_trip_problems", "update_problems"]

SUITE: Final = CheckSuite("Odyssey journey")
check = SUITE.check

# An update is stamped at least a millisecond after the previous one, which can run a hair ahead of the
# clock when updates come faster than that; a second covers it.
CLOCK_SLACK_SECONDS: Final = 1.0
_FUNNEL: Final = ("session_start", "submit_attempt", "submit_success")
_BASE_FIELDS: Final = ("id", "orgId", "slug", "displayName", "sourceSystem", "environment", "allowedOrigins")
_STEP_FIELDS: Final = ("stepKey", "index", "name", "stepType", "fieldCount", "readingLevel", "requiredArtifacts")
_CREATE_DEFAULTS: Final[Mapping[str, Any]] = {
    "sourceSystem": "unknown",
    "environment": "production",
    "allowedOrigins": [],
}
_UPDATABLE: Final = ("displayName", "environment", "sourceSystem", "allowedOrigins")
# Rates are rounded to two places: half the last place, and a hair for the binary representation.
_ROUNDING: Final = 0.005 + 1e-9


def problems(body: Mapping[str, Any], *, now: datetime | None = None, strict: bool = True) -> list[str]:
    """Every invariant the body breaks, as sentences naming the field.

    Works for a create, retrieve or update response; the analytics checks apply when `healthMetrics` is
    present. `now` None skips clock checks; `strict` False skips journeymock's conventions.
    """
    return SUITE.run(body, Context(now=now, strict=strict))


def _steps(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    steps = body["steps"]
    if not isinstance(steps, list) or not all(isinstance(step, Mapping) for step in steps):
        raise TypeError("steps is not a list of objects")
    return steps


def _is_detail(body: Mapping[str, Any]) -> bool:
    return "healthMetrics" in body or "behaviorMetrics" in body or "eventCountsLast24h" in body


@check(
    documented="Timestamp of when the journey was last updated.",
)
def timestamps_ordered(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    if instant(body["updatedAt"]) < instant(body["createdAt"]):
        yield f"updatedAt ({body['updatedAt']}) is before createdAt ({body['createdAt']})"
    for position, step in enumerate(_steps(body)):
        if "createdAt" in step and "updatedAt" in step and instant(step["updatedAt"]) < instant(step["createdAt"]):
            yield f"steps[{position}].updatedAt ({step['updatedAt']}) is before its createdAt ({step['createdAt']})"


@check(
    inferred="Step ids are assumed unique, and a step's journeyId the journey's id as in the example; not stated.",
)
def step_ids(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    seen: set[Any] = set()
    for position, step in enumerate(_steps(body)):
        if step["id"] in seen:
            yield f"steps[{position}].id {step['id']!r} is used by another step too"
        seen.add(step["id"])
        if "journeyId" in step and step["journeyId"] != body["id"]:
            yield f"steps[{position}].journeyId is {step['journeyId']!r} but the journey's id is {body['id']!r}"


@check(
    inferred="hasSteps is read from its name; the document lists it without a definition.",
)
def has_steps(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    if not _is_detail(body):
        return
    count = len(_steps(body))
    if body["healthMetrics"]["hasSteps"] is not (count > 0):
        yield f"healthMetrics.hasSteps is {body['healthMetrics']['hasSteps']} but the journey has {count} steps"


@check(
    inferred="Rates are assumed to be fractions in [0, 1] from the document's examples; no range is stated.",
)
def rates(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    if not _is_detail(body):
        return
    behaviour = body["behaviorMetrics"]
    named = [("behaviorMetrics.completionRate", behaviour["completionRate"])]
    named.append(("behaviorMetrics.mobileRate", behaviour["mobileRate"]))
    if isinstance(behaviour["topDropoffStep"], Mapping):
        named.append(("behaviorMetrics.topDropoffStep.abandonmentRate", behaviour["topDropoffStep"]["abandonmentRate"]))
    for name, value in named:
        if not 0 <= number(value) <= 1:
            yield f"{name} is {value}, outside [0, 1]"


@check(
    inferred="topDropoffStep is assumed to name one of the journey's own steps, as in the example; not stated.",
)
def top_dropoff_step(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    if not _is_detail(body):
        return
    dropoff = body["behaviorMetrics"]["topDropoffStep"]
    steps = _steps(body)
    if dropoff is None:
        return
    if not steps:
        yield "behaviorMetrics.topDropoffStep names a step but the journey has no steps"
        return
    by_id = {step["id"]: step for step in steps}
    step = by_id.get(dropoff["stepId"])
    if step is None:
        yield f"behaviorMetrics.topDropoffStep.stepId {dropoff['stepId']!r} is not one of the journey's steps"
        return
    if dropoff["stepKey"] != step["stepKey"]:
        yield (
            f"behaviorMetrics.topDropoffStep.stepKey is {dropoff['stepKey']!r} but step {step['id']!r} has "
            f"stepKey {step['stepKey']!r}"
        )
    if dropoff["stepName"] != step.get("name"):
        yield (
            f"behaviorMetrics.topDropoffStep.stepName is {dropoff['stepName']!r} but step {step['id']!r} is "
            f"named {step.get('name')!r}"
        )


@check(
    inferred="The event funnel ordering (session_start >= submit_attempt >= submit_success) is assumed; not stated.",
)
def event_funnel(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    if not _is_detail(body):
        return
    counts = body["eventCountsLast24h"]
    for wider, narrower in pairwise(_FUNNEL):
        if number(counts[narrower]) > number(counts[wider]):
            yield f"eventCountsLast24h.{narrower} ({counts[narrower]}) exceeds {wider} ({counts[wider]})"
    if _steps(body) and number(counts["step_view"]) < number(counts["session_start"]):
        yield (
            f"eventCountsLast24h.step_view ({counts['step_view']}) is below session_start "
            f"({counts['session_start']}): every session views at least one step"
        )


@check(
    inferred="hasRecentEvents is assumed to follow the last 24 hours' session_start count; not stated.",
)
def recent_events(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    if not _is_detail(body):
        return
    started = number(body["eventCountsLast24h"]["session_start"])
    reported = body["healthMetrics"]["hasRecentEvents"]
    if reported is not (started > 0):
        yield f"healthMetrics.hasRecentEvents is {reported} but eventCountsLast24h.session_start is {started:g}"


@check(
    inferred="A journey without steps is assumed to have no step events and no median completion time; not stated.",
)
def without_steps(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    if not _is_detail(body) or _steps(body):
        return
    counts = body["eventCountsLast24h"]
    for name in ("step_view", "field_focus"):
        if number(counts[name]) != 0:
            yield f"eventCountsLast24h.{name} is {counts[name]} but the journey has no steps"
    behaviour = body["behaviorMetrics"]
    if behaviour["medianTimeToComplete"] is not None:
        median = behaviour["medianTimeToComplete"]
        yield f"behaviorMetrics.medianTimeToComplete is {median} but the journey has no steps"


@check(
    documented="Step IDs that haven't received events in the last 7 days.",
)
def unmapped_step_ids(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    if not _is_detail(body):
        return
    known = {step["id"] for step in _steps(body)}
    for step_id in body["unmappedStepIds"]:
        if step_id not in known:
            yield f"unmappedStepIds lists {step_id!r}, which is not one of the journey's steps"


@check(
    inferred="How the last 24 hours' counts relate to sessionCount and the medians is assumed; the document does "
    "not say.",
    convention=True,
)
def session_totals(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    if not _is_detail(body):
        return
    total = number(body["healthMetrics"]["sessionCount"])
    counts = body["eventCountsLast24h"]
    if number(counts["session_start"]) > total:
        yield (
            f"eventCountsLast24h.session_start ({counts['session_start']}) exceeds healthMetrics.sessionCount "
            f"({total:g}), which counts every session"
        )
    behaviour = body["behaviorMetrics"]
    if number(counts["submit_success"]) > 0 and behaviour["medianTimeToComplete"] is None:
        yield "behaviorMetrics.medianTimeToComplete is null but sessions completed in the last 24 hours"
    if total == 0 and number(behaviour["completionRate"]) != 0:
        yield f"behaviorMetrics.completionRate is {behaviour['completionRate']} but there have been no sessions"


@check(
    inferred=(
        "journeymock's convention: rates, a median, a drop-off and step events describe sessions, so without "
        "a session there are none (the document gives no journey without sessions)"
    ),
    convention=True,
)
def behaviour_of_no_sessions(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    """Rates, a median, a drop-off and events all describe sessions: without a session there are none, and no
    step has seen an event."""
    if not _is_detail(body) or number(body["healthMetrics"]["sessionCount"]) != 0:
        return
    behaviour = body["behaviorMetrics"]
    if number(behaviour["mobileRate"]) != 0:
        yield f"behaviorMetrics.mobileRate is {behaviour['mobileRate']} but there have been no sessions"
    if behaviour["medianTimeToComplete"] is not None:
        yield (
            f"behaviorMetrics.medianTimeToComplete is {behaviour['medianTimeToComplete']} but there have been no "
            "sessions"
        )
    if behaviour["topDropoffStep"] is not None:
        yield "behaviorMetrics.topDropoffStep names a step but there have been no sessions"
    counts = body["eventCountsLast24h"]
    for name in ("step_view", "field_focus"):
        if number(counts[name]) != 0:
            yield f"eventCountsLast24h.{name} is {counts[name]} but there have been no sessions"
    mapped = [step["id"] for step in _steps(body) if step["id"] not in body["unmappedStepIds"]]
    if mapped:
        yield f"unmappedStepIds leaves out {mapped}, which cannot have events: there have been no sessions"


@check(
    inferred=(
        "journeymock's convention: completionRate and mobileRate are completed (mobile) sessions over "
        "sessionCount, rounded to two places (the document does not define them)"
    ),
    convention=True,
)
def rates_are_shares_of_sessions(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    """completionRate and mobileRate are completed (mobile) sessions / sessionCount, rounded to two places: some
    whole number of the sessions must give each (a session completes, or is on a phone, entirely or not)."""
    if not _is_detail(body):
        return
    sessions = number(body["healthMetrics"]["sessionCount"])
    if sessions <= 0 or sessions != int(sessions):
        return
    for name, kind in (("completionRate", "completed"), ("mobileRate", "mobile")):
        rate = number(body["behaviorMetrics"][name])
        nearest = round(rate * sessions)
        if abs(nearest / sessions - rate) > _ROUNDING:
            yield (
                f"behaviorMetrics.{name} is {rate:g}, which no number of {kind} sessions out of "
                f"healthMetrics.sessionCount ({sessions:g}) gives"
            )


@check(
    inferred="Timestamps are assumed not to run ahead of the caller's clock; the vendor's clock is its own.",
    clock=True,
)
def not_in_the_future(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    assert context.now is not None
    for name in ("createdAt", "updatedAt"):
        if seconds_between(context.now, instant(body[name])) > CLOCK_SLACK_SECONDS:
            yield f"{name} is {body[name]}, after now ({context.now.isoformat()})"


def round_trip_problems(sent: Mapping[str, Any], created: Mapping[str, Any], retrieved: Mapping[str, Any]) -> list[str]:
    """What was created is what is retrieved: `sent` is the create request, `created` its response,
    `retrieved` a later GET of the same slug."""
    sent, created, retrieved = same_numbers((sent, created, retrieved))
    found: list[str] = []
    try:
        for name in ("slug", "displayName"):
            if created.get(name) != sent.get(name):
                found.append(f"created {name} is {created.get(name)!r} but {sent.get(name)!r} was sent")
        for name, default in _CREATE_DEFAULTS.items():
            expected = sent.get(name, default)
            if created.get(name) != expected:
                found.append(f"created {name} is {created.get(name)!r} but {expected!r} was sent (or is the default)")
        sent_steps = sorted(_canonical(step) for step in sent.get("steps") or [])
        created_steps = sorted(_canonical(step) for step in _steps(created))
        if sent_steps != created_steps:
            found.append(
                f"created steps {created_steps} are not the steps sent {sent_steps} (compared by "
                f"{', '.join(_STEP_FIELDS)})"
            )
        for name in _BASE_FIELDS:
            if retrieved.get(name) != created.get(name):
                found.append(f"retrieved {name} is {retrieved.get(name)!r} but {created.get(name)!r} was created")
        if instant(retrieved["createdAt"]) != instant(created["createdAt"]):
            found.append(f"retrieved createdAt is {retrieved['createdAt']} but {created['createdAt']} was created")
        if instant(retrieved["updatedAt"]) < instant(created["updatedAt"]):
            found.append(
                f"retrieved updatedAt ({retrieved['updatedAt']}) is before the created updatedAt "
                f"({created['updatedAt']})"
            )
        created_by_id = {step["id"]: _canonical(step) for step in _steps(created)}
        retrieved_by_id = {step["id"]: _canonical(step) for step in _steps(retrieved)}
        if created_by_id != retrieved_by_id:
            found.append(f"retrieved steps {retrieved_by_id} differ from the created steps {created_by_id}")
    except (KeyError, TypeError, ValueError, AttributeError):
        found.append("the bodies are not shaped as the spec says, so the round trip could not be compared")
    return found


def update_problems(before: Mapping[str, Any], sent: Mapping[str, Any], updated: Mapping[str, Any]) -> list[str]:
    """An update changed exactly what `sent` asked for: `before` is the journey before (any response
    body), `updated` the update's response."""
    before, sent, updated = same_numbers((before, sent, updated))
    found: list[str] = []
    try:
        for name in _BASE_FIELDS:
            expected = sent[name] if name in sent and name in _UPDATABLE else before.get(name)
            if updated.get(name) != expected:
                found.append(f"updated {name} is {updated.get(name)!r} but {expected!r} was expected")
        if instant(updated["createdAt"]) != instant(before["createdAt"]):
            found.append(f"updated createdAt is {updated['createdAt']} but was {before['createdAt']}")
        if instant(updated["updatedAt"]) < instant(before["updatedAt"]):
            found.append(f"updatedAt went back from {before['updatedAt']} to {updated['updatedAt']}")
        before_steps = {step["id"]: _canonical(step) for step in _steps(before)}
        after_steps = {step["id"]: _canonical(step) for step in _steps(updated)}
        if before_steps != after_steps:
            found.append("the update changed the journey's steps, which an update cannot touch")
    except (KeyError, TypeError, ValueError, AttributeError):
        found.append("the bodies are not shaped as the spec says, so the update could not be compared")
    return found


def _canonical(step: Mapping[str, Any]) -> str:
    # A step's identity for comparison: its attributes as sent, absent and null alike.
    values = {name: step.get(name) for name in _STEP_FIELDS if step.get(name) is not None}
    return repr(sorted(values.items()))
