"""A Jourvex Journey API written from `docs/vendor/jourvex.txt`.

Silent choices that differ from journeymock: `metrics` counts every session the visitor ever had while
`sessions` lists the latest one only (the document's own example shows one session and a total of 12),
errors are `{"message": ...}`, the journey carries an undocumented `schema_version`, and every answer an
`X-Request-Id` header.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from faithful.common import App, Route, answer

#: Sessions the visitor had before the one listed: counted in the metrics, not listed.
EARLIER_SESSIONS = 11


def journey(journey_id: str) -> dict[str, Any]:
    digest = int(hashlib.sha256(journey_id.encode()).hexdigest()[:6], 16)
    clicks, scrolls = 3 + digest % 9, 5 + digest % 13
    return {
        "journey_id": journey_id,
        "first_seen": "2026-05-07T09:14:22Z",
        "last_seen": "2026-05-07T09:17:46Z",
        "converted": False,
        "sessions": [
            {
                "session_id": "sess_1",
                "start": "2026-05-07T09:14:22Z",
                "end": "2026-05-07T09:17:46Z",
                "duration_sec": 204,
                "pages": ["/home", "/features", "/about"],
                "clicks": clicks,
                "scrolls": scrolls,
                "channel": "linkedin",
                "conversions": [],
                "external_redirects": [],
            }
        ],
        "metrics": {
            "total_sessions": 1 + EARLIER_SESSIONS,
            "total_time_seconds": 204 * (1 + EARLIER_SESSIONS),
            "total_clicks": clicks * (1 + EARLIER_SESSIONS),
            "total_scrolls": scrolls * (1 + EARLIER_SESSIONS),
            "avg_gap_hours": 28.4,
        },
        "intent": {
            "score": 35,
            "level": "low",
            "signals": {
                "pricing_views": 0,
                "high_intent_hits": 0,
                "enterprise_hits": 0,
                "days_since_last_seen": 14,
                "conversion_hits": 0,
            },
        },
        "recommendation": {
            "flag": "monitor",
            "card": {
                "headline": "Early evaluation",
                "what_is_happening": "A first look at the product.",
                "what_to_do": "Nothing yet.",
                "why_it_matters": "Outreach this early rarely lands.",
            },
        },
        "live": {"is_active": False, "current_page": "/about", "last_event_ts": "2026-05-07T09:17:46Z"},
        "schema_version": "2026-05",
    }


def create_app(tokens: Callable[[], set[str]]) -> App:
    async def get_journey(request: Request, parameters: dict[str, str]) -> Response:
        return answer(200, journey(parameters["journey_id"]))

    return App(
        [Route("/api/journey/{journey_id}", {"GET": get_journey})],
        error_body=lambda status, message: {"message": message, "status": status},
        tokens=tokens,
    )
