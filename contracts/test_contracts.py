"""The contract suite: every operation of every API, then what only a sequence of requests can show.

Run it with `journeymock contracts [options]` or `pytest contracts/ [the same options]`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import schemathesis

from journeymock.contracts import probes, stateful
from journeymock.contracts.session import ContractRun

if TYPE_CHECKING:
    from journeymock.contracts.checks import Case

schema = schemathesis.pytest.from_fixture("contract_schema")

#: The checks that need journeys written; reported as skipped on a live target without --allow-writes.
LIFECYCLE_CHECKS = ("created_journey_retrievable", "update_applied", "update_visible", "duplicate_slug_rejected")


@schema.parametrize()
def test_operation(case: Case, contract_api: str, contract_run: ContractRun) -> None:
    """Examples, coverage and fuzzing of one operation, positive and negative, with every check.

    A violation does not stop the operation's examples (the run looks for every kind of departure, not only
    the first): each new kind is recorded with its request, and the operation fails with all of them.
    """
    runner = contract_run.runner(contract_api)
    runner.skip_if_writes_blocked(case)
    runner.call_and_validate(case, collect=True)


def test_edge_probes(contract_api: str, contract_run: ContractRun) -> None:
    """Long, non-ASCII and percent-encoded ids, strings at their bounds, a body that is not JSON: never a
    5xx, errors in JSON, bounds kept (a bounded budget of requests per API)."""
    runner = contract_run.runner(contract_api)
    assert probes.run_edge_probes(runner) > 0


@pytest.mark.contract_api("odyssey")
def test_odyssey_lifecycle(contract_run: ContractRun) -> None:
    """Create → retrieve (equal to what was sent) → update → retrieve (updated) → create again (409)."""
    runner = contract_run.runner("odyssey")
    runner.skip_if_writes_blocked(checks=LIFECYCLE_CHECKS)
    stateful.odyssey_lifecycle(runner)


@pytest.mark.contract_api("odyssey")
def test_odyssey_links(contract_run: ContractRun) -> None:
    """The spec's links (create → retrieve, create → update) in random orders, checked against what was written."""
    runner = contract_run.runner("odyssey")
    runner.skip_if_writes_blocked(checks=LIFECYCLE_CHECKS)
    stateful.run_odyssey_link_machine(runner)


@pytest.mark.contract_api("yofi")
def test_yofi_views(contract_run: ContractRun) -> None:
    """A journey's predictions agree with its predictions endpoint; `isForce=true` recalculates the same ones."""
    stateful.yofi_views(contract_run.runner("yofi"))
