"""The world's invariants in the contract suite: a journey fetched twice keeps its past.

An inferred fact, not a documented one: no vendor says that a journey's sessions, events and predictions, once
shown, are shown unchanged later while totals only grow, but a client syncing journeys into a CRM relies on it
(`mockserver.invariants.world` says exactly what is compared). Against a live vendor the two fetches are some
time apart and the journey may have grown in between; against the mock (a fixed clock) they must be identical.

`journey_fetched_twice` drives the pair for one operation; `past_kept` is the check the second fetch is held
to, reported like every other check (by its name, with the request and a curl line).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import hypothesis
from hypothesis import strategies as st

from journeymock.contracts.checks import CheckFunction, json_body
from journeymock.contracts.stateful import scenario_settings
from mockserver.invariants.world import history_problems

if TYPE_CHECKING:
    from schemathesis import CheckContext, Response

    from journeymock.contracts.checks import Case
    from journeymock.contracts.runner import ApiRunner

CHECK_NAME: Final = "past_kept"
#: Ids to generate on the mock (any id names a journey there), by API.
_GENERATED_IDS: Final = {"jourvex": r"\Acluster_[0-9a-f]{5}\Z", "yofi": r"\Ajid-[0-9a-f]{8}-[0-9a-f]{4}\Z"}


def past_kept(api: str, operation_id: str, earlier: Mapping[str, Any]) -> CheckFunction:
    def past_kept(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """(inferred) The journey fetched again shows everything it showed before, unchanged, and its totals
        have not gone down."""
        body = json_body(response)
        if response.status_code != 200 or not isinstance(body, Mapping):
            return None
        found = history_problems(api, operation_id, earlier, body)
        if found:
            raise AssertionError(
                "inferred: a journey fetched again keeps its past; this one did not: " + "; ".join(found)
            )
        return None

    return past_kept


def journey_fetched_twice(runner: ApiRunner, operation_id: str) -> None:
    """Fetch journeys twice each (known ids on a live target) and hold the second read to the first's past."""
    api = runner.api
    ids = runner.settings.known_ids.get(api, ())
    if runner.settings.live and not ids:
        # Generated ids name no journey on a vendor: every answer would be 404 and nothing compared.
        runner.skip(CHECK_NAME, f"needs known journey ids ({api.upper()}_JOURNEY_IDS) on a live target")
    id_strategy = st.sampled_from(ids) if ids else st.from_regex(_GENERATED_IDS[api])

    @scenario_settings(runner, f"{api} {operation_id} fetched twice")
    @hypothesis.given(journey_id=id_strategy)
    def twice(journey_id: str) -> None:
        __tracebackhide__ = True
        path = {"journey_id": journey_id}
        first = runner.call_and_validate(runner.request(operation_id, path_parameters=path))
        earlier = json_body(first)
        if first.status_code != 200 or not isinstance(earlier, Mapping):
            return
        again = runner.request(operation_id, path_parameters=path)
        runner.call_and_validate(again, [past_kept(api, operation_id, earlier)])

    twice()
