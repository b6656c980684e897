"""An Odyssey Journeys API written from `docs/vendor/odyssey.txt`.

Silent choices that differ from journeymock: a body that is not JSON is refused with `Invalid JSON in
request body` (the document words only the invalid-slug message), a step's `readingLevel` is a string or
absent (never `null`), a journey without completions reports `medianTimeToComplete` 0, a nameless step is
named `""` in `topDropoffStep`, journeys carry an undocumented `archivedAt`, and every answer an
`X-Request-Id` header.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from faithful.common import App, Route, answer, now_text

SLUG = re.compile(r"^[a-z0-9-]+$")
SOURCE_SYSTEMS = ("simpliGov", "custom", "unknown")
ENVIRONMENTS = ("production", "staging")
MAX_DISPLAY_NAME = 255
STEP_TYPES = {"stepKey": str, "name": str, "stepType": str, "readingLevel": str}


class Invalid(Exception):
    pass


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_attributes(body: dict[str, Any]) -> None:
    if "displayName" in body:
        name = body["displayName"]
        if not isinstance(name, str):
            raise Invalid("displayName must be a string")
        if len(name) > MAX_DISPLAY_NAME:
            raise Invalid(f"displayName must be at most {MAX_DISPLAY_NAME} characters")
    if "sourceSystem" in body and body["sourceSystem"] not in SOURCE_SYSTEMS:
        raise Invalid("sourceSystem must be simpliGov, custom or unknown")
    if "environment" in body and body["environment"] not in ENVIRONMENTS:
        raise Invalid("environment must be production or staging")
    if "allowedOrigins" in body:
        origins = body["allowedOrigins"]
        if not isinstance(origins, list) or not all(isinstance(origin, str) for origin in origins):
            raise Invalid("allowedOrigins must be an array of strings")


def _check_step(step: Any) -> None:
    if not isinstance(step, dict):
        raise Invalid("each step must be an object")
    if "stepKey" not in step or "index" not in step:
        raise Invalid("each step requires stepKey and index")
    for name, kind in STEP_TYPES.items():
        if name in step and not isinstance(step[name], kind):
            raise Invalid(f"step {name} must be a string")
    if not _is_int(step["index"]):
        raise Invalid("step index must be an integer")
    if "fieldCount" in step and (not _is_int(step["fieldCount"]) or step["fieldCount"] < 0):
        raise Invalid("step fieldCount must be a non-negative integer")
    if "requiredArtifacts" in step and not isinstance(step["requiredArtifacts"], list):
        raise Invalid("step requiredArtifacts must be an array")


def check_create(body: Any) -> None:
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    slug = body.get("slug")
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise Invalid("slug must contain only lowercase letters, numbers, and hyphens")
    if "displayName" not in body:
        raise Invalid("displayName is required")
    _check_attributes(body)
    steps = body.get("steps", [])
    if not isinstance(steps, list):
        raise Invalid("steps must be an array")
    for step in steps:
        _check_step(step)


def check_update(body: Any) -> None:
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    _check_attributes(body)


def create_app(tokens: Callable[[], set[str]]) -> App:
    journeys: dict[str, dict[str, Any]] = {}

    async def read_checked(request: Request, check: Callable[[Any], None]) -> tuple[Any, Response | None]:
        """The request's JSON body, or the 400 that refuses it."""
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return None, app.error(400, "Invalid JSON in request body")
        try:
            check(body)
        except Invalid as problem:
            return None, app.error(400, f"Invalid journey data: {problem}")
        return body, None

    def not_found(slug: str) -> Response:
        return app.error(404, f'Journey with slug "{slug}" not found')

    def stored_view(journey: dict[str, Any], *, created: bool) -> dict[str, Any]:
        view = {key: value for key, value in journey.items() if key != "steps"}
        steps = []
        for step in journey["steps"]:
            shown = {key: value for key, value in step.items() if key not in ("journeyId", "createdAt", "updatedAt")}
            steps.append(dict(step) if created else shown)
        view["steps"] = steps
        return view

    async def create(request: Request, parameters: dict[str, str]) -> Response:
        body, refused = await read_checked(request, check_create)
        if refused is not None:
            return refused
        if body["slug"] in journeys:
            return app.error(409, f'Journey with slug "{body["slug"]}" already exists in this organization')
        stamp = now_text()
        journey_id = f"journey_{uuid.uuid4().hex[:12]}"
        steps = [
            {
                "id": f"step_{uuid.uuid4().hex[:12]}",
                "journeyId": journey_id,
                **{key: step[key] for key in ("stepKey", "name", "stepType", "index", "fieldCount") if key in step},
                **({"readingLevel": step["readingLevel"]} if "readingLevel" in step else {}),
                **({"requiredArtifacts": step["requiredArtifacts"]} if "requiredArtifacts" in step else {}),
                "createdAt": stamp,
                "updatedAt": stamp,
            }
            for step in body.get("steps", [])
        ]
        journey = {
            "id": journey_id,
            "orgId": "org_faithful",
            "slug": body["slug"],
            "displayName": body["displayName"],
            "sourceSystem": body.get("sourceSystem", "unknown"),
            "environment": body.get("environment", "production"),
            "allowedOrigins": body.get("allowedOrigins", []),
            "steps": steps,
            "archivedAt": None,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        journeys[body["slug"]] = journey
        return answer(201, stored_view(journey, created=True))

    async def retrieve(request: Request, parameters: dict[str, str]) -> Response:
        journey = journeys.get(parameters["slug"])
        if journey is None:
            return not_found(parameters["slug"])
        view = stored_view(journey, created=False)
        steps = view["steps"]
        first = steps[0] if steps else None
        view.update(
            {
                "healthMetrics": {
                    "hasSteps": bool(steps),
                    "hasRecentEvents": False,
                    "sessionCount": 0,
                    "hasSnapshot": False,
                },
                "behaviorMetrics": {
                    "completionRate": 0,
                    "mobileRate": 0,
                    "medianTimeToComplete": 0,
                    "topDropoffStep": None
                    if first is None
                    else {
                        "stepId": first["id"],
                        "stepKey": first["stepKey"],
                        "stepName": first.get("name", ""),
                        "abandonmentRate": 0,
                    },
                },
                "eventCountsLast24h": {
                    "session_start": 0,
                    "step_view": 0,
                    "field_focus": 0,
                    "submit_attempt": 0,
                    "submit_success": 0,
                },
                "unmappedStepIds": [step["id"] for step in steps],
                "lastArtifactCreated": None,
            }
        )
        return answer(200, view)

    async def update(request: Request, parameters: dict[str, str]) -> Response:
        journey = journeys.get(parameters["slug"])
        if journey is None:
            return not_found(parameters["slug"])
        body, refused = await read_checked(request, check_update)
        if refused is not None:
            return refused
        for name in ("displayName", "environment", "sourceSystem", "allowedOrigins"):
            if name in body:
                journey[name] = body[name]
        journey["updatedAt"] = max(now_text(), journey["updatedAt"])
        return answer(200, stored_view(journey, created=False))

    app = App(
        [
            Route("/api/journeys/create", {"POST": create}),
            Route("/api/journeys/{slug}", {"GET": retrieve, "PUT": update}),
        ],
        error_body=lambda status, message: {"error": message},
        tokens=tokens,
    )
    return app
