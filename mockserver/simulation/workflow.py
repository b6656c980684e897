"""Workflow journeys (multi-step forms being filled in) and the traffic they receive.

A workflow journey is configuration a client creates; its analytics are simulated traffic. Traffic starts
when the journey is created and flows at a rate seeded from the journey, so a journey created a minute ago
has seen a session or two and one created last month has thousands — and the numbers grow as the clock
moves, deterministically, with `now` quantised to the minute: what has happened by an instant never changes.

Times are aware UTC datetimes truncated to the millisecond (Odyssey's timestamps carry milliseconds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

from mockserver.clock import as_utc, epoch_seconds
from mockserver.simulation.seeding import base36, derive_key, minute_floor, rng_for

__all__ = [
    "DropoffStep",
    "EventCounts",
    "WorkflowAnalytics",
    "WorkflowJourney",
    "WorkflowStep",
    "new_workflow_journey",
    "updated_workflow_journey",
    "workflow_analytics",
]

_ID_LENGTH: Final = 12
_MILLISECOND: Final = timedelta(milliseconds=1)
_DAY_SECONDS: Final = 86_400
# Fields of a step created without a fieldCount, for estimating focus events and completion times.
_DEFAULT_FIELDS: Final = 4
_UPDATABLE: Final = {
    "displayName": "display_name",
    "environment": "environment",
    "sourceSystem": "source_system",
    "allowedOrigins": "allowed_origins",
}


@dataclass(frozen=True)
class WorkflowStep:
    id: str
    journey_id: str
    step_key: str
    index: int
    name: str | None
    step_type: str | None
    field_count: int | None
    reading_level: Any | None  # the document never says its type; kept exactly as given
    required_artifacts: list[Any] | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class WorkflowJourney:
    id: str
    org_id: str
    slug: str
    display_name: str
    source_system: str
    environment: str
    allowed_origins: tuple[str, ...]
    steps: tuple[WorkflowStep, ...]  # ordered by index, then by position in the create request
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DropoffStep:
    step_id: str
    step_key: str
    step_name: str | None
    abandonment_rate: float


@dataclass(frozen=True)
class EventCounts:
    """Events of the last 24 hours, by type."""

    session_start: int
    step_view: int
    field_focus: int
    submit_attempt: int
    submit_success: int


@dataclass(frozen=True)
class WorkflowAnalytics:
    session_count: int  # sessions since the journey was created
    has_recent_events: bool
    has_snapshot: bool
    completion_rate: float
    mobile_rate: float
    median_time_to_complete: int | None  # seconds; None before the first completion
    top_dropoff: DropoffStep | None  # None without steps or without abandoned sessions
    events_last_24h: EventCounts
    unmapped_step_ids: tuple[str, ...]  # steps without events in the last 7 days


def _truncate_to_millis(moment: datetime) -> datetime:
    moment = as_utc(moment)
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def _id(prefix: str, seed: int, *parts: str | int) -> str:
    return f"{prefix}_{base36(derive_key(seed, prefix, *parts), _ID_LENGTH)}"


def new_workflow_journey(*, org_id: str, body: Mapping[str, Any], now: datetime, seed: int) -> WorkflowJourney:
    """A journey from a validated create request (spec `JourneyCreate`), created at `now`.

    Ids derive from `(seed, org_id, slug)`, so creating the same journey again gives the same ids.
    """
    slug = str(body["slug"])
    created = _truncate_to_millis(now)
    journey_id = _id("journey", seed, org_id, slug)
    requested: Sequence[Mapping[str, Any]] = body.get("steps") or ()
    # Steps are kept in index order; equal indexes keep their request order (and get distinct ids).
    ordered = sorted(enumerate(requested), key=lambda item: (int(item[1]["index"]), item[0]))
    steps = tuple(
        WorkflowStep(
            id=_id("step", seed, org_id, slug, position, str(step["stepKey"])),
            journey_id=journey_id,
            step_key=str(step["stepKey"]),
            index=int(step["index"]),
            name=step.get("name"),
            step_type=step.get("stepType"),
            field_count=step.get("fieldCount"),
            reading_level=step.get("readingLevel"),
            required_artifacts=list(step["requiredArtifacts"]) if step.get("requiredArtifacts") is not None else None,
            created_at=created,
            updated_at=created,
        )
        for position, step in ordered
    )
    return WorkflowJourney(
        id=journey_id,
        org_id=org_id,
        slug=slug,
        display_name=str(body["displayName"]),
        source_system=str(body.get("sourceSystem", "unknown")),
        environment=str(body.get("environment", "production")),
        allowed_origins=tuple(body.get("allowedOrigins") or ()),
        steps=steps,
        created_at=created,
        updated_at=created,
    )


def updated_workflow_journey(journey: WorkflowJourney, *, changes: Mapping[str, Any], now: datetime) -> WorkflowJourney:
    """The journey with a validated update (spec `JourneyUpdate`) applied at `now`.

    `updatedAt` always moves forward — at least a millisecond past the previous one — even when two
    updates land in the same millisecond or the clock steps back.
    """
    fields: dict[str, Any] = {}
    for attribute, field_name in _UPDATABLE.items():
        if attribute in changes:
            value = changes[attribute]
            fields[field_name] = tuple(value) if attribute == "allowedOrigins" else str(value)
    updated = max(_truncate_to_millis(now), journey.updated_at + _MILLISECOND)
    return replace(journey, **fields, updated_at=updated)


def workflow_analytics(journey: WorkflowJourney, *, seed: int, now: datetime) -> WorkflowAnalytics:
    """Traffic since creation, as seen at `now` (quantised to the minute).

    Sessions arrive from the moment of creation at a rate of the journey's own, following the time of day,
    and each one's fate through the steps is fixed: the count of sessions, of mobile ones and of completed
    ones up to an instant never changes once that instant has passed, so the figures only grow as the clock
    moves (the rates and the last-24-hours window follow them). Deterministic from the seed, the journey's id
    and creation time, and its steps (each step's funnel is its own, so a step keeps its figures whatever
    other steps exist); an update, which cannot change the steps, leaves the traffic as it was.
    """
    created = epoch_seconds(journey.created_at)
    at = max(minute_floor(epoch_seconds(now)), created)
    traffic = _Traffic(seed, journey.id, created)
    sessions_total = traffic.sessions(at)
    sessions_24h = sessions_total - traffic.sessions(at - _DAY_SECONDS)
    sessions_7d = sessions_total - traffic.sessions(at - 7 * _DAY_SECONDS)

    steps = journey.steps
    # The share of sessions that reach each step: each step keeps most of the previous step's visitors.
    reach: list[float] = []
    share = 1.0
    for step in steps:
        reach.append(share)
        share *= 0.72 + 0.26 * _unit(seed, "step-keep", journey.id, step.id)
    attempt_rate = share * traffic.attempt_share if steps else 0.0
    success_rate = attempt_rate * traffic.success_share
    fields = [step.field_count if step.field_count is not None else _DEFAULT_FIELDS for step in steps]

    events = EventCounts(
        session_start=sessions_24h,
        step_view=math.floor(sessions_24h * sum(reach)),
        field_focus=math.floor(sessions_24h * sum(r * (f * 1.3) for r, f in zip(reach, fields, strict=True))),
        submit_attempt=math.floor(sessions_24h * attempt_rate),
        submit_success=math.floor(sessions_24h * success_rate),
    )
    # Whole sessions: a share of sessions that no number of sessions gives would be no share at all.
    completions = math.floor(sessions_total * success_rate)
    mobile_sessions = math.floor(sessions_total * traffic.mobile_share)
    median = None
    if completions and steps:
        median = sum(
            int(15 + count * (12 + 20 * _unit(seed, "step-pace", journey.id, step.id)))
            for count, step in zip(fields, steps, strict=True)
        )

    top_dropoff = None
    if steps and sessions_total:
        # Abandonment at a step: visitors who reach it and go no further. After the last step, not
        # submitting successfully counts as abandoning it.
        continuing = [*reach[1:], success_rate]
        rates = [1 - after / before for before, after in zip(reach, continuing, strict=True)]
        worst = max(range(len(steps)), key=lambda position: (rates[position], -position))
        if rates[worst] > 0:
            step = steps[worst]
            top_dropoff = DropoffStep(step.id, step.step_key, step.name, round(min(1.0, rates[worst]), 2))

    # A step is unmapped when its expected views over the last week round down to nothing.
    unmapped = tuple(step.id for step, r in zip(steps, reach, strict=True) if math.floor(sessions_7d * r) == 0)
    return WorkflowAnalytics(
        session_count=sessions_total,
        has_recent_events=events.session_start > 0,
        has_snapshot=at - created >= _DAY_SECONDS and traffic.snapshot_draw < 0.6,
        completion_rate=round(completions / sessions_total, 2) if sessions_total else 0.0,
        mobile_rate=round(mobile_sessions / sessions_total, 2) if sessions_total else 0.0,
        median_time_to_complete=median,
        top_dropoff=top_dropoff,
        events_last_24h=events,
        unmapped_step_ids=unmapped,
    )


class _Traffic:
    """A journey's sessions over time: `sessions(t)` counts those begun by `t` (non-decreasing in `t`).

    The rate follows the time of day, `per_day / DAY * (1 + SWING * cos(2π (t - peak) / DAY))`, whose integral
    from creation has a closed form, so counting costs the same for a journey a minute old or a year old.
    """

    SWING: Final = 0.6  # below 1: traffic never stops, and the count grows at every minute

    def __init__(self, seed: int, journey_id: str, created: int) -> None:
        rng = rng_for(seed, "workflow", journey_id, created)
        rand = rng.random
        self.created = created
        self.per_day = 5 + 395 * rand() ** 2
        self.mobile_share = 0.15 + 0.5 * rand()
        self.attempt_share = 0.75 + 0.2 * rand()
        self.success_share = 0.8 + 0.18 * rand()
        self.snapshot_draw = rand()
        self.peak = int(rand() * _DAY_SECONDS)  # when the journey's visitors are busiest

    def _expected(self, at: int) -> float:
        angle = 2 * math.pi / _DAY_SECONDS
        wave = math.sin(angle * (at - self.peak)) - math.sin(angle * (self.created - self.peak))
        return self.per_day * ((at - self.created) / _DAY_SECONDS + self.SWING / (2 * math.pi) * wave)

    def sessions(self, at: int) -> int:
        return math.floor(self._expected(at)) if at > self.created else 0


def _unit(seed: int, *parts: str) -> float:
    """A uniform draw in [0, 1) for the parts (a step's own funnel figures, keyed by its id)."""
    return derive_key(seed, *parts) / 2.0**64
