"""The seeded simulation core: visitors evaluating a product, and workflows being filled in.

Pure and deterministic: every result depends only on its arguments (seed, ids, epoch, `now`), never on module
state or call order, and nothing here knows about HTTP.
"""

from __future__ import annotations

from mockserver.simulation.archetypes import ARCHETYPES
from mockserver.simulation.shapes import warm_up
from mockserver.simulation.visitor import (
    Conversion,
    JourneyNotStarted,
    Redirect,
    Session,
    VisitorJourney,
    visitor_journey,
)
from mockserver.simulation.workflow import (
    DropoffStep,
    EventCounts,
    WorkflowAnalytics,
    WorkflowJourney,
    WorkflowStep,
    new_workflow_journey,
    updated_workflow_journey,
    workflow_analytics,
)

__all__ = [
    "ARCHETYPES",
    "Conversion",
    "DropoffStep",
    "EventCounts",
    "JourneyNotStarted",
    "Redirect",
    "Session",
    "VisitorJourney",
    "WorkflowAnalytics",
    "WorkflowJourney",
    "WorkflowStep",
    "new_workflow_journey",
    "updated_workflow_journey",
    "visitor_journey",
    "warm_up",
    "workflow_analytics",
]
