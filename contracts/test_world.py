"""The world's invariants held against a target: a journey fetched twice keeps its past (inferred).

Part of the contract suite (`journeymock contracts`, `pytest contracts/`); the checks live in
`contracts.world_checks`.
"""

from __future__ import annotations

import pytest

from journeymock.contracts.session import ContractRun
from journeymock.contracts.world_checks import journey_fetched_twice


@pytest.mark.contract_api("jourvex")
def test_jourvex_journey_keeps_its_past(contract_run: ContractRun) -> None:
    journey_fetched_twice(contract_run.runner("jourvex"), "getJourney")


@pytest.mark.contract_api("yofi")
@pytest.mark.parametrize("operation_id", ["getJourneyData", "getJourneyPredictions"])
def test_yofi_journey_keeps_its_past(contract_run: ContractRun, operation_id: str) -> None:
    journey_fetched_twice(contract_run.runner("yofi"), operation_id)
