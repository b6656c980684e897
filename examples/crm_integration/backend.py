"""The backend of the document's "Full workflow example": the browser posts `journey_id` when a visitor
books a demo; we fetch the journey from Jourvex and push its evaluation context into the CRM.

`demo_booked` is the flow; `create_app` serves it as `POST /demo-booked`, as the document's sample does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .crm import CrmClient
from .jourvex_client import JourneyNotFound, JourvexAuthError, JourvexClient, JourvexRateLimited


def crm_properties(journey: Mapping[str, Any]) -> dict[str, Any]:
    """The document's mapping, plus `journey_id` as the deduplication key it recommends downstream."""
    return {
        "jourvex_journey_id": journey["journey_id"],
        "jourvex_intent_score": journey["intent"]["score"],
        "jourvex_intent_level": journey["intent"]["level"],
        "jourvex_sessions": journey["metrics"]["total_sessions"],
        "jourvex_first_seen": journey["first_seen"],
        "jourvex_pricing_views": journey["intent"]["signals"]["pricing_views"],
    }


def demo_booked(payload: Mapping[str, Any], *, journeys: JourvexClient, crm: CrmClient) -> dict[str, Any]:
    """Fetch the visitor's journey and update the CRM; returns the properties sent."""
    journey_id = payload.get("journey_id")
    if not isinstance(journey_id, str) or not journey_id:
        raise ValueError("the form payload has no journey_id")
    properties = crm_properties(journeys.fetch_journey(journey_id))
    crm.update_contact(properties)
    return properties


def create_app(journeys: JourvexClient, crm: CrmClient) -> Starlette:
    async def demo_booked_endpoint(request: Request) -> JSONResponse:
        payload = await request.json()
        try:
            # The document's client is synchronous: run it off the event loop.
            properties = await run_in_threadpool(demo_booked, payload, journeys=journeys, crm=crm)
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        except JourneyNotFound as error:
            # The booking itself is fine; only the enrichment failed. Say so instead of a 500.
            return JSONResponse({"status": "booked", "enriched": False, "reason": str(error)}, status_code=202)
        except JourvexRateLimited as error:
            headers = {"Retry-After": str(int(error.retry_after) or 1)}
            return JSONResponse({"error": str(error)}, status_code=503, headers=headers)
        except JourvexAuthError as error:
            return JSONResponse({"error": f"misconfigured Jourvex credentials: {error}"}, status_code=502)
        return JSONResponse({"status": "booked", "enriched": True, "crm": properties})

    return Starlette(routes=[Route("/demo-booked", demo_booked_endpoint, methods=["POST"])])
