"""Workflow journeys as Odyssey's Journeys API returns them: created, retrieved (with analytics), updated.

Timestamps carry milliseconds (`2024-01-15T10:00:00.000Z`), as the vendor's examples show. Optional step
attributes appear only when the step was created with them: a step created without a name shows none.
"""

from __future__ import annotations

from typing import Any

from mockserver.clock import format_instant
from mockserver.simulation.workflow import WorkflowAnalytics, WorkflowJourney, WorkflowStep

__all__ = ["created_body", "detail_body", "updated_body"]


def created_body(journey: WorkflowJourney) -> dict[str, Any]:
    """Spec `JourneyCreated`: steps include `journeyId`, `createdAt` and `updatedAt`."""
    return _base(journey, [_step(step, full=True) for step in journey.steps])


def detail_body(journey: WorkflowJourney, analytics: WorkflowAnalytics) -> dict[str, Any]:
    """Spec `JourneyDetail`: configuration, steps and analytics."""
    body = _base(journey, [_step(step, full=False) for step in journey.steps])
    dropoff = analytics.top_dropoff
    events = analytics.events_last_24h
    body.update(
        {
            "healthMetrics": {
                "hasSteps": bool(journey.steps),
                "hasRecentEvents": analytics.has_recent_events,
                "sessionCount": analytics.session_count,
                "hasSnapshot": analytics.has_snapshot,
            },
            "behaviorMetrics": {
                "completionRate": analytics.completion_rate,
                "mobileRate": analytics.mobile_rate,
                "medianTimeToComplete": analytics.median_time_to_complete,
                "topDropoffStep": None
                if dropoff is None
                else {
                    "stepId": dropoff.step_id,
                    "stepKey": dropoff.step_key,
                    "stepName": dropoff.step_name,
                    "abandonmentRate": dropoff.abandonment_rate,
                },
            },
            "eventCountsLast24h": {
                "session_start": events.session_start,
                "step_view": events.step_view,
                "field_focus": events.field_focus,
                "submit_attempt": events.submit_attempt,
                "submit_success": events.submit_success,
            },
            "unmappedStepIds": list(analytics.unmapped_step_ids),
            "lastArtifactCreated": None,
        }
    )
    # The document lists the timestamps last; keep its order for readers comparing bodies by eye.
    body["createdAt"] = body.pop("createdAt")
    body["updatedAt"] = body.pop("updatedAt")
    return body


def updated_body(journey: WorkflowJourney) -> dict[str, Any]:
    """Spec `JourneyUpdated`: configuration and steps."""
    return _base(journey, [_step(step, full=False) for step in journey.steps])


def _base(journey: WorkflowJourney, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": journey.id,
        "orgId": journey.org_id,
        "slug": journey.slug,
        "displayName": journey.display_name,
        "sourceSystem": journey.source_system,
        "environment": journey.environment,
        "allowedOrigins": list(journey.allowed_origins),
        "steps": steps,
        "createdAt": format_instant(journey.created_at, millis=True),
        "updatedAt": format_instant(journey.updated_at, millis=True),
    }


def _step(step: WorkflowStep, *, full: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": step.id}
    if full:
        body["journeyId"] = step.journey_id
    body["stepKey"] = step.step_key
    optional = (
        ("name", step.name),
        ("stepType", step.step_type),
        ("index", step.index),
        ("fieldCount", step.field_count),
        ("readingLevel", step.reading_level),
        ("requiredArtifacts", None if step.required_artifacts is None else list(step.required_artifacts)),
    )
    body.update((key, value) for key, value in optional if value is not None)
    if full:
        body["createdAt"] = format_instant(step.created_at, millis=True)
        body["updatedAt"] = format_instant(step.updated_at, millis=True)
    return body
