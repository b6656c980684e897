"""Bodies are byte-identical in any process: nothing depends on hash randomisation or call order."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

SCRIPT = r"""
import hashlib, sys
from datetime import UTC, datetime, timedelta
import orjson
from mockserver.projections import jourvex, odyssey, yofi
from mockserver.simulation import new_workflow_journey, visitor_journey, workflow_analytics

now = datetime(2026, 5, 21, 16, 3, 41, tzinfo=UTC)
# The world began two days before `now`, and is also seen days later (the clock moved): sessions after the
# epoch are drawn too.
epoch = now - timedelta(days=2)
for journey_id in sys.argv[1:]:
    digest = hashlib.sha256()
    for at in (now, now + timedelta(days=3, hours=5, minutes=17)):
        journey = visitor_journey(journey_id, seed=99, now=at, epoch=epoch)
        digest.update(orjson.dumps(jourvex.journey_body(journey, now=at)))
        digest.update(orjson.dumps(yofi.journey_document(journey, seed=99, now=at, include_predictions=True)))
        digest.update(orjson.dumps(yofi.predictions_document(journey, seed=99, now=at, forced=True)))
    body = {"slug": "s-" + journey_id.lower().replace("_", "-"), "displayName": journey_id,
            "steps": [{"stepKey": "a", "index": 0, "fieldCount": 3}, {"stepKey": "b", "index": 1}]}
    workflow = new_workflow_journey(org_id="org_1", body=body, now=now - timedelta(days=3), seed=99)
    digest.update(orjson.dumps(odyssey.detail_body(workflow, workflow_analytics(workflow, seed=99, now=now))))
    print(journey_id.encode("unicode_escape").decode(), digest.hexdigest())
"""

IDS = ["cluster_8f2ab", "jid-e90328e0-1be9-540e-8671-41acd5cc9a5d", "x", "Übergröße", "cluster_00001"]


def digests_in_subprocess(ids: list[str], hash_seed: str) -> dict[str, str]:
    environment = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, *ids], capture_output=True, text=True, env=environment, check=True, timeout=60
    )
    lines = [line.rsplit(" ", 1) for line in result.stdout.splitlines()]
    return {journey_id: digest for journey_id, digest in lines}


def test_two_processes_with_different_hash_seeds_and_call_orders_agree() -> None:
    first = digests_in_subprocess(IDS, "1")
    assert len(first) == len(IDS)
    assert all(len(digest) == len(hashlib.sha256().hexdigest()) for digest in first.values())
    # Other journeys generated first, and the rest in reverse: each journey's bytes are unchanged.
    shuffled = digests_in_subprocess(["warm-up-1", "warm-up-2", *reversed(IDS)], "2")
    assert {journey_id: shuffled[journey_id] for journey_id in first} == first
