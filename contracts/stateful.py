"""What only a sequence of requests can show.

Odyssey keeps what is written: a created journey must be retrievable and equal to what was sent, an update
must be visible on the next retrieve, a second create of a slug must be refused. Two drivers check this:
`odyssey_lifecycle` walks the whole life of a journey for each generated create and update, and
`odyssey_link_machine` lets schemathesis follow the spec's links (create → retrieve, create → update) in
random orders, with every step checked against what the machine knows was written.

Yofi is read-only, but two requests can still disagree: `yofi_views` compares a journey's predictions with
its predictions endpoint, and a forced recalculation (`isForce=true`) with an ordinary one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import hypothesis
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule
from schemathesis.generation import GenerationMode, derive_operation_seed

from journeymock.contracts import checks as custom
from journeymock.contracts.checks import json_body

if TYPE_CHECKING:
    from schemathesis import Response
    from schemathesis.generation.stateful.state_machine import APIStateMachine

    from journeymock.contracts.checks import Case
    from journeymock.contracts.runner import ApiRunner

#: Scenarios per stateful test: each is several requests, so fewer than the per-operation examples.
SCENARIO_SHARE: Final = 3
#: The checks of `yofi_views`: all reported as skipped when it cannot run.
YOFI_VIEW_CHECKS: Final = ("is_force_consistent", "predictions_agree")
MAX_STEPS: Final = 8


def scenario_settings(runner: ApiRunner, label: str) -> Callable[[Any], Any]:
    """Hypothesis settings and seed of one stateful test: replayed by the run's seed, like the rest."""
    examples = max(2, runner.settings.max_examples // SCENARIO_SHARE)
    settings = hypothesis.settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        print_blob=False,
        stateful_step_count=MAX_STEPS,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    seed = derive_operation_seed(runner.settings.seed, label)

    def apply(test: Any) -> Any:
        return hypothesis.seed(seed)(settings(test))

    return apply


# Odyssey: one journey's whole life.


def odyssey_lifecycle(runner: ApiRunner) -> None:
    create_operation = runner.schema.find_operation_by_id("createJourney")
    update_operation = runner.schema.find_operation_by_id("updateJourney")

    @scenario_settings(runner, "odyssey lifecycle")
    @hypothesis.given(
        create=create_operation.as_strategy(GenerationMode.POSITIVE),
        update=update_operation.as_strategy(GenerationMode.POSITIVE),
    )
    def lifecycle(create: Case, update: Case) -> None:
        __tracebackhide__ = True
        if not isinstance(create.body, dict) or not isinstance(update.body, dict):
            return
        slug = runner.fresh_slug()
        # Requests are built before they are sent, so what was sent (as made safe for the target) is known.
        created_case = runner.request("createJourney", body={**create.body, "slug": slug})
        created_response = runner.call_and_validate(created_case, [journey_created(slug)])
        if created_response.status_code in custom.TRANSIENT_STATUSES:
            return
        created, sent = json_body(created_response), _body_of(created_case)
        update_case = runner.request("updateJourney", path_parameters={"slug": slug}, body=dict(update.body))
        changes = _body_of(update_case)
        retrieve = {"slug": slug}
        steps: list[tuple[Case, custom.CheckFunction]] = [
            (runner.request("getJourney", path_parameters=retrieve), custom.created_journey_retrievable(sent, created)),
            (update_case, custom.update_applied(created, changes)),
            (runner.request("getJourney", path_parameters=retrieve), custom.update_visible(created, changes)),
            (runner.request("createJourney", body=dict(sent)), custom.duplicate_slug_rejected(slug)),
        ]
        for case, expectation in steps:
            if runner.call_and_validate(case, [expectation]).status_code in custom.TRANSIENT_STATUSES:
                return  # the server is shedding load: the rest of this journey's life cannot be judged

    lifecycle()


def _body_of(case: Case) -> dict[str, Any]:
    """The JSON body a request was sent with (after the runner made it safe for the target)."""
    return dict(case.body) if isinstance(case.body, dict) else {}


def journey_created(slug: str) -> custom.CheckFunction:
    def journey_created(ctx: Any, response: Response, case: Case) -> bool | None:
        """A valid create of a fresh slug succeeds (which 2xx is status_code_conformance's to judge)."""
        if response.status_code in custom.TRANSIENT_STATUSES:
            return None
        if not 200 <= response.status_code < 300 or not isinstance(json_body(response), Mapping):
            raise AssertionError(f"a valid create of the fresh slug {slug!r} answered {response.status_code}")
        return None

    return journey_created


# Odyssey: the spec's links, followed by schemathesis, checked against what was written.


@dataclass
class _Written:
    """What the machine knows a journey is: the create that was sent, and the latest body answered."""

    sent: Mapping[str, Any]
    created: Mapping[str, Any]
    latest: Mapping[str, Any]
    updated: bool = False


@dataclass
class _Ledger:
    journeys: dict[str, _Written] = field(default_factory=dict)


def odyssey_link_machine(runner: ApiRunner) -> type[APIStateMachine]:
    base = runner.schema.as_state_machine()

    class OdysseyLinks(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            # A fresh ledger per scenario: each scenario writes journeys with slugs of its own.
            self.ledger = _Ledger()

        def before_call(self, case: Case) -> None:
            runner.make_safe(case)

        def validate_response(
            self,
            response: Response,
            case: Case,
            additional_checks: list[custom.CheckFunction] | None = None,
            **kwargs: Any,
        ) -> None:
            __tracebackhide__ = True
            runner.validate(case, response, self._expectations(case))
            self._remember(case, response)

        def _expectations(self, case: Case) -> list[custom.CheckFunction]:
            operation = custom.operation_id(case)
            slug = custom.path_parameter(case, "slug")
            known = self.ledger.journeys.get(slug) if slug is not None else None
            # A negative request (no credentials, a malformed body...) says nothing about what was written.
            if known is None or not _is_positive(case):
                return []
            if operation == "getJourney":
                if known.updated:
                    return [custom.update_visible(known.latest, {})]
                return [custom.created_journey_retrievable(known.sent, known.created)]
            if operation == "updateJourney" and isinstance(case.body, dict):
                return [custom.update_applied(known.latest, case.body)]
            return []

        def _remember(self, case: Case, response: Response) -> None:
            operation = custom.operation_id(case)
            body = json_body(response)
            if not isinstance(body, Mapping):
                return
            if operation == "createJourney" and response.status_code == 201 and isinstance(case.body, dict):
                slug = str(body.get("slug"))
                self.ledger.journeys[slug] = _Written(sent=dict(case.body), created=body, latest=body)
            elif operation == "updateJourney" and response.status_code == 200:
                known = self.ledger.journeys.get(str(custom.path_parameter(case, "slug")))
                if known is not None:
                    known.latest = body
                    known.updated = True

        @precondition(lambda self: bool(self.ledger.journeys))
        @rule(data=st.data())
        def create_again(self, data: st.DataObject) -> None:
            """Not a link of the spec: a second create of a slug this scenario wrote."""
            __tracebackhide__ = True
            slug = data.draw(st.sampled_from(sorted(self.ledger.journeys)), label="slug")
            duplicate = runner.request("createJourney", body=dict(self.ledger.journeys[slug].sent))
            runner.call_and_validate(duplicate, [custom.duplicate_slug_rejected(slug)])

    return OdysseyLinks


def run_odyssey_link_machine(runner: ApiRunner) -> None:
    from schemathesis.generation.stateful import run_state_machine_as_test

    machine = odyssey_link_machine(runner)
    settings = hypothesis.settings(
        max_examples=max(2, runner.settings.max_examples // SCENARIO_SHARE),
        database=None,
        deadline=None,
        print_blob=False,
        stateful_step_count=MAX_STEPS,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    seeded = hypothesis.seed(derive_operation_seed(runner.settings.seed, "odyssey links"))(machine)
    run_state_machine_as_test(seeded, settings=settings)


def _is_positive(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


# Yofi: two views of one journey must agree.


def yofi_views(runner: ApiRunner) -> None:
    ids = runner.settings.known_ids.get("yofi", ())
    if runner.settings.live and not ids:
        # Generated ids name no journey on a vendor: every answer would be 404 and nothing compared.
        runner.skip(YOFI_VIEW_CHECKS, "needs known journey ids (YOFI_JOURNEY_IDS) on a live target")
    id_strategy = st.sampled_from(ids) if ids else st.from_regex(r"\Ajid-[0-9a-f]{8}-[0-9a-f]{4}\Z")

    @scenario_settings(runner, "yofi views")
    @hypothesis.given(journey_id=id_strategy)
    def views(journey_id: str) -> None:
        __tracebackhide__ = True
        path = {"journey_id": journey_id}
        plain = runner.call_and_validate(runner.request("getJourneyPredictions", path_parameters=path))
        predictions = json_body(plain)
        if plain.status_code != 200 or not isinstance(predictions, Mapping):
            return
        forced = runner.request("getJourneyPredictions", path_parameters=path, query={"isForce": "true"})
        runner.call_and_validate(forced, [custom.is_force_consistent(predictions)])
        journey = runner.request("getJourneyData", path_parameters=path, query={"fields[journeys]": "predictions"})
        runner.call_and_validate(journey, [custom.predictions_agree(predictions)])
        bare = runner.request("getJourneyData", path_parameters=path)
        runner.call_and_validate(bare)

    views()
