"""Yofi Journeys API (JSON:API): journey data with telemetry, and its predictions, from the simulation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockserver.apis.visitors import requested_visitor
from mockserver.auth import TokenPolicy, any_token
from mockserver.errors import ErrorStyle
from mockserver.exchange import ApiBehaviour, ApiResponse, RequestContext
from mockserver.projections.yofi import journey_document, predictions_document
from mockserver.simulation import ARCHETYPES
from mockserver.specs import Operation
from mockserver.validation import Problem, join_messages

PREDICTIONS_FIELD = "predictions"


def _not_found_message(_operation: Operation, params: Mapping[str, Any]) -> str:
    return f"Journey {params.get('journey_id', '')!s} was not found for this partner"


def get_journey_data(context: RequestContext) -> ApiResponse:
    journey = requested_visitor(context, _not_found_message)
    include = context.params.query.get("fields[journeys]") == PREDICTIONS_FIELD
    return ApiResponse(200, journey_document(journey, seed=context.seed, now=context.now, include_predictions=include))


def get_journey_predictions(context: RequestContext) -> ApiResponse:
    journey = requested_visitor(context, _not_found_message)
    forced = bool(context.params.query.get("isForce", False))
    return ApiResponse(200, predictions_document(journey, seed=context.seed, now=context.now, forced=forced))


def _invalid_request_message(problems: Sequence[Problem]) -> str:
    return join_messages(str(problem) for problem in problems)


BEHAVIOUR = ApiBehaviour(
    name="yofi",
    error_style=ErrorStyle.JSON_API,
    token_policy=TokenPolicy(
        shape_problem=any_token,
        default_scopes=lambda _token, _documented: frozenset(),
        missing_scope_message=lambda scope: f"The token lacks scope {scope}",
    ),
    handlers={
        "getJourneyData": get_journey_data,
        "getJourneyPredictions": get_journey_predictions,
    },
    invalid_request_message=_invalid_request_message,
    not_found_message=_not_found_message,
    archetypes=ARCHETYPES,
)
