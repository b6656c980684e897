"""A vendor that keeps its documentation passes the contract suite: journeymock's own guesses are reported,
not held against it.

Each API has a second implementation (`tests/faithful/`), written from the vendor document without
`mockserver`, that differs from the mock only where the document is silent. Against it a live run exits 0
and warns "inference contradicted" for what journeymock inferred differently; `--strict-inferences` turns
those warnings into failures (exit 1).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from faithful_support import KNOWN_IDS, faithful_app

#: A few examples keep each run short; the silent-choice departures show up within them.
EXAMPLES = ("--max-examples", "8", "--seed", "7", "--rate", "1000/s")


#: What each faithful implementation chose where its document is silent, as the warnings name it.
EXPECTED_WARNINGS = {
    "jourvex": ["mockserver/invariants/jourvex.py:total_sessions"],
    "odyssey": [
        "mockserver/invariants/odyssey.py:without_steps",
        "openapi/odyssey.yaml#/components/schemas/InvalidJourneyDataError",
        "openapi/odyssey.yaml#/components/schemas/StepCreate/properties/readingLevel",
    ],
    "yofi": ["mockserver/invariants/yofi.py:bot_predictions"],
}


def _run_against_faithful(
    api: str, serve: Any, secrets: dict[str, str], run_contracts: Any, monkeypatch: Any, *options: str
) -> Any:
    for name, value in KNOWN_IDS.items():
        monkeypatch.setenv(name, value)
    base_url = serve(faithful_app(api, secrets))
    return run_contracts(
        "--target", "live", "--api", api, "--base-url", base_url, "--allow-writes", *EXAMPLES, *options
    )


@pytest.mark.parametrize("api", ["jourvex", "odyssey", "yofi"])
def test_a_faithful_vendor_passes_with_warnings_for_contradicted_inferences(
    api, serve, live_env, run_contracts, monkeypatch
):
    outcome = _run_against_faithful(api, serve, live_env, run_contracts, monkeypatch)
    assert outcome.status == 0, outcome.text
    summary = outcome.out.split("journeymock contracts summary")[1]
    assert "result: no violations" in summary
    assert "inference contradicted" in summary
    for location in EXPECTED_WARNINGS[api]:
        assert location in summary, f"no warning at {location}:\n{summary}"
    for secret in live_env.values():
        assert secret not in outcome.text


@pytest.mark.parametrize("api", ["jourvex", "odyssey", "yofi"])
def test_strict_inferences_fail_the_faithful_vendor(api, serve, live_env, run_contracts, monkeypatch):
    outcome = _run_against_faithful(api, serve, live_env, run_contracts, monkeypatch, "--strict-inferences")
    assert outcome.status == 1, outcome.text
    failed = re.findall(r"^  (\w+)\s+FAILED", outcome.out, flags=re.MULTILINE)
    assert failed, outcome.text
    assert "--strict-inferences" in outcome.out  # the replay command keeps it
