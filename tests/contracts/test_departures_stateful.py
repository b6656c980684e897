"""The checks that compare two requests can fail: a planted departure that only a sequence of requests
shows, run like the departures of `test_departures.py` (same harness, same expectation: exit 1 naming the
check).

Each departure answers every single request plausibly; only the second request of a pair gives it away.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.contracts import test_departures as departures

Exchange = Any  # the conftest's Exchange: one request and its response, editable

#: What an Odyssey update may change (the spec's JourneyUpdate), and the stamp it moves.
_UPDATED_FIELDS = ("displayName", "environment", "sourceSystem", "allowedOrigins", "updatedAt")


class _ReadsWithoutUpdates:
    """Updates are applied and answered correctly, but retrieves come from a copy that only ever saw the
    creates: a journey reads back as it was created, whatever was updated since."""

    def __init__(self) -> None:
        self.created: dict[str, dict[str, Any]] = {}

    def __call__(self, exchange: Exchange) -> None:
        if departures._is(exchange, "POST", departures.ODYSSEY_CREATE, 201):
            body = exchange.json()
            self.created[body["slug"]] = body
        elif departures._is(exchange, "GET", departures.ODYSSEY_JOURNEY, 200):
            body = exchange.json()
            created = self.created.get(body["slug"])
            if created is not None:
                body.update({name: created[name] for name in _UPDATED_FIELDS})
                exchange.set_json(body)


def _embedded_predictions_of_their_own(exchange: Exchange) -> None:
    # A journey's embedded predictions carry ids of their own, unlike its predictions endpoint's: each still a
    # 64-digit hex digest, and stable, so every single response keeps its invariants.
    if departures._is(exchange, "GET", departures.YOFI_JOURNEY, 200):
        body = exchange.json()
        for resource in body["data"]:
            for prediction in resource["attributes"].get("predictions", []):
                prediction["prediction_id"] = hashlib.sha256(
                    json.dumps(prediction["prediction_id"]).encode()
                ).hexdigest()
        exchange.set_json(body)


VARIANTS = [
    departures.Variant("updates not visible to retrieves", "odyssey", "update_visible", after=_ReadsWithoutUpdates),
    # predictions_agree holds a vendor to an inference (the document shows the two endpoints apart): a failure
    # only with --strict-inferences, a warning without.
    departures.Variant(
        "embedded predictions disagree",
        "yofi",
        "predictions_agree",
        after=_embedded_predictions_of_their_own,
        options=(departures.STRICT,),
    ),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=[variant.name for variant in VARIANTS])
def test_stateful_departure_is_caught_by_the_right_check(variant, plant, live_env, run_contracts, monkeypatch):
    departures.test_departure_is_caught_by_the_right_check(variant, plant, live_env, run_contracts, monkeypatch)
