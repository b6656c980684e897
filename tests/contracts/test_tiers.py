"""Tiers of verdict: every fact the contract checks is documented (backed by a vendor sentence) or inferred
(with the inference's reason), and the specs' `x-journeymock-inferred` marks decide which."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support import REPO_ROOT

from journeymock.contracts.checks import CHECK_TIERS, INVARIANT_SUITES
from journeymock.contracts.tiers import DOCUMENTED, INFERRED, SpecTiers, strongest
from mockserver.specs import API_NAMES, INFERRED_MARK, load_specs


def _vendor_text(api: str) -> str:
    return " ".join((REPO_ROOT / "docs" / "vendor" / f"{api}.txt").read_text(encoding="utf-8").split())


def _tiers(api: str) -> SpecTiers:
    return SpecTiers(load_specs([api])[api])


@pytest.mark.parametrize("api", API_NAMES)
def test_every_invariant_declares_its_tier_with_a_sentence_or_a_reason(api):
    document = _vendor_text(api)
    declared = INVARIANT_SUITES[api].tiers()
    assert declared, f"{api} has no invariants"
    for name, (tier, basis) in declared.items():
        assert tier in (DOCUMENTED, INFERRED)
        assert basis.strip(), f"{api}.{name} gives no sentence or reason"
        if tier == DOCUMENTED:
            assert " ".join(basis.split()) in document, f"{api}.{name}: {basis!r} is not in docs/vendor/{api}.txt"


def test_documented_custom_checks_quote_a_vendor_document():
    documents = " ".join(_vendor_text(api) for api in API_NAMES)
    for name, (tier, basis) in CHECK_TIERS.items():
        assert basis.strip(), name
        if tier == DOCUMENTED:
            assert " ".join(basis.split()) in documents, f"{name}: {basis!r} is in no vendor document"


def _marked_nodes(node: Any, tokens: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        if isinstance(node.get(INFERRED_MARK), str):
            yield tokens, node[INFERRED_MARK]
        for key, value in node.items():
            yield from _marked_nodes(value, (*tokens, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _marked_nodes(value, (*tokens, str(index)))


MARKED = [
    (api, tokens, reason) for api in API_NAMES for tokens, reason in _marked_nodes(load_specs([api])[api].document)
]


@pytest.mark.parametrize(("api", "tokens", "reason"), MARKED, ids=[f"{a}:{'/'.join(t)}" for a, t, _ in MARKED])
def test_every_marked_node_and_what_it_encloses_is_inferred(api, tokens, reason):
    tiers = _tiers(api)
    walked = tiers.walk(tokens)
    assert walked.reason == reason
    assert walked.tokens == tokens


def test_the_issue_examples_are_classified_by_the_spec():
    odyssey = _tiers("odyssey")
    invalid_data = ["components", "responses", "InvalidJourneyData", "content", "application/json", "schema"]
    unparseable = {"error": "Invalid JSON in request body"}
    [wording] = odyssey.schema_verdicts("response_schema_conformance", invalid_data, unparseable)
    assert wording.tier == INFERRED
    pattern = "#/components/schemas/InvalidJourneyDataError/properties/error/pattern"
    assert wording.location == f"openapi/odyssey.yaml{pattern}"
    assert wording.keyword == "pattern"
    assert "every 400 is assumed" in wording.reason

    not_found = ["components", "responses", "NotFound", "content", "application/json", "schema"]
    [message] = odyssey.schema_verdicts("response_schema_conformance", not_found, {"error": "no such journey"})
    assert message.tier == DOCUMENTED

    create = ["paths", "/api/journeys/create", "post", "requestBody", "content", "application/json", "schema"]
    body = {"slug": "a", "displayName": "A", "steps": [{"stepKey": "k", "index": 0, "readingLevel": None}]}
    locations = dict(odyssey.visited_inferences(create, body))
    assert "openapi/odyssey.yaml#/components/schemas/StepCreate/properties/readingLevel" in locations
    # A plain create visits one inference only: that the slug `create` is reserved (every slug is checked for it).
    assert list(dict(odyssey.visited_inferences(create, {"slug": "a", "displayName": "A"}))) == [
        "openapi/odyssey.yaml#/components/schemas/Slug/allOf/0"
    ]


def test_a_failure_is_inferred_only_when_every_fact_it_breaks_is():
    tiers = _tiers("odyssey")
    journey = ["components", "schemas", "JourneyBase"]
    both = tiers.schema_verdicts("x", journey, {"slug": "BAD SLUG"})  # missing fields: documented
    assert strongest(both) == DOCUMENTED
    assert strongest([]) == DOCUMENTED
    dropoff = ["components", "schemas", "BehaviorMetrics"]
    inferred = tiers.schema_verdicts(
        "x", dropoff, {"completionRate": 2, "mobileRate": 0, "medianTimeToComplete": None, "topDropoffStep": None}
    )
    assert inferred and strongest(inferred) == INFERRED


def test_the_mock_is_recognised_on_loopback_and_nothing_else_is(serve, live_env):
    from faithful_support import faithful_app

    from journeymock.contracts.targets import serves_journeymock
    from mockserver.app import create_app
    from mockserver.config import ServerConfig

    mock_url = serve(create_app(ServerConfig(apis=("jourvex",))))
    assert serves_journeymock(mock_url, "jourvex")
    assert not serves_journeymock(mock_url, "odyssey")  # not an API it serves
    assert not serves_journeymock(serve(faithful_app("jourvex", live_env)), "jourvex")
    assert not serves_journeymock(serve(create_app(ServerConfig(apis=("jourvex",), admin=False))), "jourvex")
    assert not serves_journeymock("https://api.jourvex.com", "jourvex")  # a vendor is never asked


def test_a_failure_that_cannot_be_tied_to_a_fact_stays_documented():
    from types import SimpleNamespace

    from journeymock.contracts.checks import CHECK_TIERS
    from journeymock.contracts.tiers import Judge

    judge = Judge(load_specs(["odyssey"])["odyssey"], CHECK_TIERS)
    operation = SimpleNamespace(path="/api/journeys/{slug}", method="get")
    case = SimpleNamespace(operation=operation, meta=None, body=None, path_parameters=None, query=None, headers=None)
    broken_response = SimpleNamespace()  # no status: tying it to a response raises
    [verdict] = judge.classify("response_schema_conformance", object(), case, broken_response)
    assert verdict.tier == DOCUMENTED
    assert "not tied to a spec node" in verdict.reason


def test_the_issue_examples_of_silent_choices_are_inferred_invariants():
    """A median of 0 on a journey without steps, and `""` naming a nameless step: both inferences."""
    import copy

    from mockserver.invariants.suite import Context

    example = load_specs(["odyssey"])["odyssey"].operation("getJourney").responses["200"].examples["documented"]
    nameless = copy.deepcopy(example)
    del nameless["steps"][0]["name"]
    nameless["behaviorMetrics"]["topDropoffStep"]["stepName"] = ""
    stepless = copy.deepcopy(example)
    stepless.update(steps=[], unmappedStepIds=[])
    stepless["healthMetrics"]["hasSteps"] = False
    stepless["behaviorMetrics"].update(topDropoffStep=None, medianTimeToComplete=0)
    stepless["eventCountsLast24h"].update(step_view=0, field_focus=0)
    suite = INVARIANT_SUITES["odyssey"]
    for body, check in ((nameless, "top_dropoff_step"), (stepless, "without_steps")):
        findings = suite.findings(body, Context(now=None, strict=True))
        assert check in {finding.check for finding in findings}
        assert {finding.tier for finding in findings} == {INFERRED}, findings


def _stepless_and_backwards() -> dict[str, Any]:
    """Odyssey's example without steps, with a median (inferred: `without_steps`) and an update before its
    creation (documented: `timestamps_ordered`)."""
    import copy

    example = load_specs(["odyssey"])["odyssey"].operation("getJourney").responses["200"].examples["documented"]
    body = copy.deepcopy(example)
    body.update(steps=[], unmappedStepIds=[], updatedAt="2000-01-01T00:00:00Z")
    body["healthMetrics"]["hasSteps"] = False
    body["behaviorMetrics"].update(topDropoffStep=None, medianTimeToComplete=5)
    body["eventCountsLast24h"].update(step_view=0, field_focus=0)
    return body


def test_only_inferred_invariants_the_spec_records_are_settled_and_never_on_the_mock():
    import dataclasses
    import json
    from types import SimpleNamespace

    from journeymock.contracts.checks import CheckOptions, response_checks
    from journeymock.contracts.tiers import ContractViolation, invariant_code
    from mockserver.specs import INVARIANTS_MARK

    def record(name: str, checks: list[str] | None = None) -> dict[str, Any]:
        return {
            "code": invariant_code("odyssey", name),
            "evidence": {"checks": ["semantic_invariants"] if checks is None else checks},
        }

    spec = load_specs(["odyssey"])["odyssey"]
    records = {
        "without_steps": record("without_steps"),
        "timestamps_ordered": record("timestamps_ordered"),  # documented: a record must not soften it
        "has_steps": {"code": invariant_code("jourvex", "has_steps"), "evidence": {"checks": ["semantic_invariants"]}},
        "rates": record("rates", checks=[]),  # no evidence: settles nothing
        "step_ids": "not a record",
    }
    tiers = SpecTiers(dataclasses.replace(spec, document={**spec.document, INVARIANTS_MARK: records}))
    settled = tiers.settled_invariants()
    assert set(settled) == {invariant_code("odyssey", "without_steps"), invariant_code("odyssey", "timestamps_ordered")}
    assert settled[invariant_code("odyssey", "without_steps")].location == (
        "openapi/odyssey.yaml#/x-journeymock-invariants/without_steps"
    )

    body = _stepless_and_backwards()
    case = SimpleNamespace(
        operation=SimpleNamespace(definition=SimpleNamespace(raw={"operationId": "getJourney"})),
        path_parameters={"slug": "a"},
    )
    response = SimpleNamespace(status_code=200, content=json.dumps(body).encode(), json=lambda: body)

    def run(inferences_fail: bool, settled_here: Any) -> tuple[list[Any], list[Any], list[Any]]:
        warned: list[Any] = []
        noted: list[Any] = []
        options = CheckOptions(
            api="odyssey",
            inferences_fail=inferences_fail,
            lenient=False,
            now=lambda: None,
            warn=lambda case, response, verdict: warned.append(verdict),
            settled=settled_here,
            note=lambda case, response, verdict: noted.append(verdict),
        )
        with pytest.raises(ContractViolation) as raised:
            response_checks(options)[0](None, response, case)  # type: ignore[arg-type]
        return warned, noted, list(raised.value.verdicts)

    # A vendor: the settled inference is a note, the documented invariant still fails.
    warned, noted, failed = run(inferences_fail=False, settled_here=settled)
    assert [verdict.location for verdict in noted] == [invariant_code("odyssey", "without_steps")]
    assert noted[0].settled == "openapi/odyssey.yaml#/x-journeymock-invariants/without_steps"
    assert [verdict.location for verdict in failed] == [invariant_code("odyssey", "timestamps_ordered")]
    assert invariant_code("odyssey", "without_steps") not in {verdict.location for verdict in warned}
    # The mock: nothing is settled (the runner passes none), the inference fails.
    warned, noted, failed = run(inferences_fail=True, settled_here={})
    assert noted == [] and invariant_code("odyssey", "without_steps") in {verdict.location for verdict in failed}
