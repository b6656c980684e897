"""Jourvex Journey API: `GET /api/journey/{journey_id}` — a visitor's journey from the simulation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockserver.apis.visitors import requested_visitor
from mockserver.auth import TokenPolicy, prefixed_key
from mockserver.errors import ErrorStyle
from mockserver.exchange import ApiBehaviour, ApiResponse, RequestContext
from mockserver.projections.jourvex import journey_body
from mockserver.simulation import ARCHETYPES
from mockserver.specs import Operation
from mockserver.validation import Problem, join_messages

#: The document shows live keys (`jvx_live_...`); test keys are assumed by analogy (marked in the spec).
KEY_PREFIXES = ("jvx_live_", "jvx_test_")


def _not_found_message(_operation: Operation, params: Mapping[str, Any]) -> str:
    return f"Journey {params.get('journey_id', '')!s} not found"


def get_journey(context: RequestContext) -> ApiResponse:
    journey = requested_visitor(context, _not_found_message)
    return ApiResponse(200, journey_body(journey, now=context.now))


def _invalid_request_message(problems: Sequence[Problem]) -> str:
    return "Invalid request: " + join_messages(str(problem) for problem in problems)


BEHAVIOUR = ApiBehaviour(
    name="jourvex",
    error_style=ErrorStyle.SIMPLE,
    token_policy=TokenPolicy(
        shape_problem=prefixed_key("Jourvex", KEY_PREFIXES),
        default_scopes=lambda _token, _documented: frozenset(),
        missing_scope_message=lambda scope: f"API key lacks scope {scope}",
    ),
    handlers={"getJourney": get_journey},
    invalid_request_message=_invalid_request_message,
    not_found_message=_not_found_message,
    archetypes=ARCHETYPES,
)
