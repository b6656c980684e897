"""The visitor a request's `journey_id` names — shared by the two APIs that project visitor journeys."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mockserver.errors import ApiError
from mockserver.exchange import RequestContext
from mockserver.simulation import VisitorJourney, visitor_journey
from mockserver.specs import Operation

#: Ids starting with this name no journey (docs/interfaces.md), so clients can exercise their 404 path.
MISSING_PREFIX = "missing"


def requested_visitor(
    context: RequestContext, not_found_message: Callable[[Operation, Mapping[str, Any]], str]
) -> VisitorJourney:
    """The simulated journey for the path's `journey_id`; a 404 (in the API's style) for `missing…` ids."""
    journey_id = str(context.params.path["journey_id"])
    if journey_id.startswith(MISSING_PREFIX):
        raise ApiError(404, not_found_message(context.operation, context.params.path))
    return visitor_journey(journey_id, seed=context.seed, now=context.now, archetype=context.preferences.archetype)
