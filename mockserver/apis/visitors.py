"""The visitor a request's `journey_id` names — shared by the two APIs that project visitor journeys."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mockserver.errors import ApiError
from mockserver.exchange import RequestContext
from mockserver.simulation import JourneyNotStarted, VisitorJourney, visitor_journey
from mockserver.specs import Operation

#: Ids starting with this name no journey (docs/interfaces.md), so clients can exercise their 404 path.
MISSING_PREFIX = "missing"


def requested_visitor(
    context: RequestContext, not_found_message: Callable[[Operation, Mapping[str, Any]], str]
) -> VisitorJourney:
    """The simulated journey for the path's `journey_id`; a 404 (in the API's style) for `missing…` ids and for
    a journey whose first session has not ended yet (a clock before the epoch's backstory)."""
    journey_id = str(context.params.path["journey_id"])
    if not journey_id.startswith(MISSING_PREFIX):
        try:
            return visitor_journey(
                journey_id,
                seed=context.seed,
                now=context.now,
                epoch=context.epoch,
                archetype=context.preferences.archetype,
            )
        except JourneyNotStarted:
            pass
    raise ApiError(404, not_found_message(context.operation, context.params.path))
