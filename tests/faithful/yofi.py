"""A Yofi Journeys API (data API v3) written from `docs/vendor/yofi.txt`.

Silent choices that differ from journeymock: errors are `{"message": ...}`, a journey's bot prediction for a
human visitor has severity `medium`, attributes carry an undocumented `region`, and every answer an
`X-Request-Id` header.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from faithful.common import App, Route, answer

PARTNER_HEADER = "x-scope-partner-id"
APP_ID = "77b395e7-3c13-4121-9894-f8d21e3e597f"
CREATED = "2025-09-10T03:45:29.113Z"


def prediction(journey_id: str) -> dict[str, Any]:
    return {
        "prediction_id": hashlib.sha256(f"{journey_id}/RuleBasedBotDetector/0.0.1".encode()).hexdigest(),
        "entity_id": journey_id,
        "entity_type": "journey",
        "app_id": APP_ID,
        "model_name": "RuleBasedBotDetector",
        "model_type": "rule_based",
        "model_level": "journey",
        "model_version": "0.0.1",
        "prediction_category": "bot",
        "prediction_subcategory": "botd_detect",
        "label_name": "Bot - BotD Detect",
        "is_public_model": True,
        "predicted_value": 0,
        "severity": "medium",
        "value_type": "number",
        "indicators": [
            {
                "indicatorName": "suspicious behavior patterns",
                "indicatorDescription": "Detected automated navigation patterns typical of bots",
                "indicatorRiskLevel": "medium",
                "value": "false",
            }
        ],
        "justification": "No session of this journey was detected by BotD.",
        "prediction_source": "stream",
        "created_at": CREATED,
        "updated_at": CREATED,
    }


def journey(journey_id: str, with_predictions: bool) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "journey_id": journey_id,
        "feature": {"journeyMetadata": {}, "cloudBehavioral": {}},
        "custom_events": [
            {
                "created_at": CREATED,
                "events": [{"level": 0, "name": "page_view", "time": 1, "type": 0}],
                "sid": "s-1",
                "url": "https://www.example.com/",
            }
        ],
        "created_at": CREATED,
        "updated_at": CREATED,
        "app_id": APP_ID,
        "region": "eu-west-1",
    }
    if with_predictions:
        attributes["predictions"] = [prediction(journey_id)]
    return {"trace_id": "trace-1", "data": [{"type": "journey", "id": journey_id, "attributes": attributes}]}


def create_app(tokens: Callable[[], set[str]], partner_ids: Callable[[], set[str]]) -> App:
    def refused(request: Request) -> Response | None:
        partner = request.headers.get(PARTNER_HEADER)
        if not partner:
            return app.error(400, "The x-scope-partner-id header is required.")
        if partner not in partner_ids():
            return app.error(401, "Unknown partner.", {"WWW-Authenticate": "Bearer"})
        return None

    async def get_journey(request: Request, parameters: dict[str, str]) -> Response:
        problem = refused(request)
        if problem is not None:
            return problem
        fields = request.query_params.getlist("fields[journeys]")
        if any(value != "predictions" for value in fields):
            return app.error(400, "fields[journeys] may only ask for predictions.")
        return answer(200, journey(parameters["journey_id"], with_predictions=bool(fields)))

    async def get_predictions(request: Request, parameters: dict[str, str]) -> Response:
        problem = refused(request)
        if problem is not None:
            return problem
        if any(value not in ("true", "false") for value in request.query_params.getlist("isForce")):
            return app.error(400, "isForce must be true or false.")
        resource = prediction(parameters["journey_id"])
        document = {
            "trace_id": "trace-1",
            "data": [{"type": "prediction", "id": resource["prediction_id"], "attributes": resource}],
        }
        return answer(200, document)

    app = App(
        [
            Route("/data-api/v3/journeys/{journey_id}/predictions", {"GET": get_predictions}),
            Route("/data-api/v3/journeys/{journey_id}", {"GET": get_journey}),
        ],
        error_body=lambda status, message: {"message": message},
        tokens=tokens,
    )
    return app
