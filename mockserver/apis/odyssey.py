"""Odyssey Journeys API: create, retrieve and update workflow journeys, per organisation, with analytics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockserver.auth import TokenPolicy, any_token
from mockserver.errors import ErrorStyle
from mockserver.exchange import ApiBehaviour, ApiResponse, RequestContext
from mockserver.projections.odyssey import created_body, detail_body, updated_body
from mockserver.simulation import (
    WorkflowJourney,
    new_workflow_journey,
    updated_workflow_journey,
    workflow_analytics,
)
from mockserver.specs import Operation
from mockserver.validation import Problem, join_messages

#: Tokens containing this word are read-only unless `--token` says otherwise (docs/interfaces.md).
READ_ONLY_MARK = "readonly"


def _default_scopes(token: str, documented: frozenset[str]) -> frozenset[str]:
    """Every scope the spec names (create and update need them; reading needs none), except for a read-only
    token, which has none."""
    return frozenset() if READ_ONLY_MARK in token.lower() else documented


def _documented(operation: Operation, status: int, slug: str) -> str:
    # The vendor's exact wording, from the spec (the contract tests hold a vendor to the same text).
    message = operation.documented_message(status, slug=slug)
    if message is None:
        raise ValueError(f"odyssey {operation.operation_id}: the spec documents no {status} message")
    return message


def _error(status: int, message: str) -> ApiResponse:
    return ApiResponse(status, {"error": message})


def _not_found_message(operation: Operation, params: Mapping[str, Any]) -> str:
    return _documented(operation, 404, str(params.get("slug", "")))


def _invalid_request_message(problems: Sequence[Problem]) -> str:
    return "Invalid journey data: " + join_messages(
        problem.message if problem.message.startswith(problem.pointer) else str(problem) for problem in problems
    )


def create_journey(context: RequestContext) -> ApiResponse:
    journey = new_workflow_journey(
        org_id=context.principal.org_id, body=context.body, now=context.now, seed=context.seed
    )
    if not context.store.create(journey):
        return _error(409, _documented(context.operation, 409, journey.slug))
    return ApiResponse(201, created_body(journey))


def get_journey(context: RequestContext) -> ApiResponse:
    slug = str(context.params.path["slug"])
    journey = context.store.get(context.principal.org_id, slug)
    if journey is None:
        return _error(404, _not_found_message(context.operation, context.params.path))
    return ApiResponse(200, detail_body(journey, workflow_analytics(journey, seed=context.seed, now=context.now)))


def update_journey(context: RequestContext) -> ApiResponse:
    slug = str(context.params.path["slug"])
    changes: Mapping[str, Any] = context.body or {}

    def apply(journey: WorkflowJourney) -> WorkflowJourney:
        return updated_workflow_journey(journey, changes=changes, now=context.now)

    updated = context.store.update(context.principal.org_id, slug, apply)
    if updated is None:
        return _error(404, _not_found_message(context.operation, context.params.path))
    return ApiResponse(200, updated_body(updated))


BEHAVIOUR = ApiBehaviour(
    name="odyssey",
    error_style=ErrorStyle.SIMPLE,
    token_policy=TokenPolicy(
        shape_problem=any_token,
        default_scopes=_default_scopes,
        # Unused while the spec documents the 403 wording of every operation that needs a scope.
        missing_scope_message=lambda scope: f"API key does not have required scope: {scope}",
    ),
    handlers={
        "createJourney": create_journey,
        "getJourney": get_journey,
        "updateJourney": update_journey,
    },
    invalid_request_message=_invalid_request_message,
    not_found_message=_not_found_message,
    uses_store=True,
)
