"""Custom checks: what a schema cannot say about a response.

Each check is a schemathesis check function `(ctx, response, case)` that fails by raising `AssertionError`, so
it is reported, counted and replayed exactly like the built-in ones. Checks are built per API and per run
(closures over the run's settings) instead of being registered globally: a process may run several suites
with different settings, and a global check would run against every schema in it.

Per-response checks run on every response the suite validates; stateful checks are built for one request
that follows another (the retrieve after a create, say) and compare the two.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

from journeymock.contracts.tiers import (
    DOCUMENTED,
    INFERRED,
    ContractViolation,
    SettledInvariant,
    Tier,
    Verdict,
    invariant_code,
)
from mockserver.invariants import jourvex as jourvex_invariants
from mockserver.invariants import odyssey as odyssey_invariants
from mockserver.invariants import yofi as yofi_invariants
from mockserver.invariants.suite import CheckSuite, Context, Finding
from mockserver.specs import load_specs

if TYPE_CHECKING:
    from typing import TypeAlias

    from schemathesis import APIOperation, CheckContext, Response
    from schemathesis import Case as GenericCase

    #: A generated or hand-made request of an OpenAPI operation.
    Case: TypeAlias = GenericCase[APIOperation[Any, Any, Any, Any]]

CheckFunction = Callable[["CheckContext", "Response", "Case"], bool | None]
#: Called with the verdict when a check reports a warning instead of failing.
WarningSink = Callable[["Case", "Response", Verdict], None]

#: The tier of each custom check, beside the code: a documented one quotes the vendor document's sentence
#: that backs it, an inferred one says why journeymock assumes it. (The invariants declare theirs in
#: `mockserver/invariants/`.)
CHECK_TIERS: Final[Mapping[str, tuple[Tier, str]]] = {
    "documented_error_message": (DOCUMENTED, 'Journey with slug \\"nonexistent-journey\\" not found'),
    "journey_created": (DOCUMENTED, "This endpoint allows you to create a new journey in your organization."),
    "created_journey_retrievable": (
        DOCUMENTED,
        "This endpoint allows you to retrieve a journey by providing its slug.",
    ),
    "update_applied": (DOCUMENTED, "This endpoint allows you to update a journey's configuration."),
    "update_visible": (DOCUMENTED, "This endpoint allows you to update a journey's configuration."),
    "duplicate_slug_rejected": (DOCUMENTED, "Must be unique within your organization."),
    "predictions_field": (DOCUMENTED, "The additional fields of the journey to be returned."),
    "is_force_consistent": (
        INFERRED,
        "The document says only 'Whether to force calculate the features'; that a forced calculation keeps the "
        "prediction_id is assumed.",
    ),
    "predictions_agree": (
        INFERRED,
        "That a journey's embedded predictions are its predictions endpoint's is assumed; the document shows "
        "the two endpoints separately.",
    ),
    # The world's check (`contracts/world_checks.py`), declared here with the others.
    "past_kept": (
        INFERRED,
        "No vendor document says that a journey, fetched again, shows its past unchanged and totals that have not "
        "gone down; a client syncing journeys relies on it.",
    ),
}

#: Documented answers that say "not now": a stateful expectation cannot be judged on them.
TRANSIENT_STATUSES: Final = frozenset({429, 503})
PREDICTIONS_FIELD: Final = "fields[journeys]"
PREDICTIONS_VALUE: Final = "predictions"
#: The documented Odyssey error messages that name the slug of the request (openapi/odyssey.yaml).

#: Characters a server has no reason to decode, escape or normalise when it names a slug in a message.
_PLAIN_SLUG: Final = re.compile(r"[A-Za-z0-9._~-]+")
#: Integers up to this magnitude are exact in a double.

#: Invariant modules by API and the operations whose 2xx bodies they read.
_INVARIANT_OPERATIONS: Final[Mapping[str, frozenset[str]]] = {
    "jourvex": frozenset({"getJourney"}),
    "odyssey": frozenset({"createJourney", "getJourney", "updateJourney"}),
    "yofi": frozenset({"getJourneyData", "getJourneyPredictions"}),
}


@dataclass(frozen=True)
class CheckOptions:
    api: str
    #: Inferred invariants fail (the mock, or --strict-inferences); otherwise they are warnings.
    inferences_fail: bool
    #: Documented invariant problems become warnings too (live target with --lenient-invariants).
    lenient: bool
    now: Callable[[], datetime | None]
    warn: WarningSink
    #: Inferred invariants the spec records as contradicted, by code location: their findings go to `note`
    #: (informational), not to `warn` or a failure. Empty against the mock, which implements them.
    settled: Mapping[str, SettledInvariant] = field(default_factory=dict)
    note: WarningSink | None = None


def operation_id(case: Case) -> str:
    return str(case.operation.definition.raw.get("operationId", ""))


def documented_message(case: Case, status: int, **values: str) -> str | None:
    """The message the vendor documents for `status` of the case's Odyssey operation, read from the spec (the
    mock reads the same template: a check never takes the vendor's promise from the mock's code)."""
    return load_specs(["odyssey"])["odyssey"].operation(operation_id(case)).documented_message(status, **values)


def path_parameter(case: Case, name: str) -> str | None:
    """A path parameter as the server reads it: generated ones are held percent-encoded."""
    value = (case.path_parameters or {}).get(name)
    return unquote(value) if isinstance(value, str) else None


def json_body(response: Response) -> Any:
    """The response's JSON, or None when there is none (the built-in checks report unparsable bodies)."""
    if not response.content:
        return None
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def response_checks(options: CheckOptions) -> list[CheckFunction]:
    """The custom checks every response of `options.api` goes through."""
    checks = [_semantic_invariants(options)]
    if options.api == "odyssey":
        checks.append(documented_error_message)
    if options.api == "yofi":
        checks.append(predictions_field)
    return checks


def _semantic_invariants(options: CheckOptions) -> CheckFunction:
    operations = _INVARIANT_OPERATIONS[options.api]

    def semantic_invariants(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """docs/interfaces.md, "What every generated journey satisfies": what must hold in every body, beyond its
        schema."""
        if not 200 <= response.status_code < 300 or operation_id(case) not in operations:
            return None
        body = json_body(response)
        if not isinstance(body, Mapping):
            return None
        failing: list[Verdict] = []
        for finding in invariant_findings(options, case, body):
            verdict = invariant_verdict(options.api, finding)
            settled = options.settled.get(verdict.location) if verdict.inferred else None
            if settled is not None and options.note is not None and verdict.check in settled.checks:
                # The spec records that the vendor does otherwise: evidence for drift, not a warning.
                options.note(case, response, replace(verdict, settled=settled.location))
            elif (verdict.inferred and not options.inferences_fail) or options.lenient:
                options.warn(case, response, verdict)
            else:
                failing.append(verdict)
        if failing:
            raise ContractViolation("\n".join(verdict.observed for verdict in failing), failing)
        return None

    return semantic_invariants


INVARIANT_SUITES: Final[Mapping[str, CheckSuite]] = {
    "jourvex": jourvex_invariants.SUITE,
    "odyssey": odyssey_invariants.SUITE,
    "yofi": yofi_invariants.SUITE,
}


def invariant_findings(options: CheckOptions, case: Case, body: Mapping[str, Any]) -> list[Finding]:
    """Every invariant problem of the body, inferred ones included: their tier decides what they do."""
    journey_id = path_parameter(case, "journey_id") if options.api != "odyssey" else None
    context = Context(now=options.now(), strict=True, journey_id=journey_id)
    return INVARIANT_SUITES[options.api].findings(body, context)


def invariant_verdict(api: str, finding: Finding) -> Verdict:
    return Verdict(
        check="semantic_invariants",
        tier=finding.tier,
        location=invariant_code(api, finding.check),
        reason=finding.basis,
        observed=finding.message,
    )


def documented_error_message(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Odyssey's documented 404 and 409 messages name the slug that was asked for, not just any slug."""
    if response.status_code == 404 and operation_id(case) in {"getJourney", "updateJourney"}:
        slug = path_parameter(case, "slug")
        expected = documented_message(case, 404, slug=slug) if slug is not None else None
    elif response.status_code == 409 and operation_id(case) == "createJourney" and isinstance(case.body, Mapping):
        slug = _text(case.body.get("slug"))
        expected = documented_message(case, 409, slug=slug) if slug is not None else None
    else:
        return None
    body = json_body(response)
    if expected is None or not isinstance(body, Mapping) or not isinstance(body.get("error"), str):
        return None  # the shape is response_schema_conformance's to report
    if not _PLAIN_SLUG.fullmatch(slug or ""):
        # How a server decodes and echoes control characters, spaces or escapes is not documented; a slug of
        # plain characters must come back as it was sent.
        return None
    if body["error"] != expected:
        raise AssertionError(f"error message is {body['error']!r}; the documented message is {expected!r}")
    return None


def predictions_field(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Yofi sends a journey's predictions exactly when `fields[journeys]=predictions` asks for them."""
    if response.status_code != 200 or operation_id(case) != "getJourneyData":
        return None
    body = json_body(response)
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        return None
    asked = (case.query or {}).get(PREDICTIONS_FIELD) == PREDICTIONS_VALUE
    for index, resource in enumerate(body["data"]):
        attributes = resource.get("attributes") if isinstance(resource, Mapping) else None
        if not isinstance(attributes, Mapping):
            continue
        present = "predictions" in attributes
        if asked and not present:
            raise AssertionError(f"data[{index}].attributes has no predictions although {PREDICTIONS_FIELD} asked")
        if present and not asked:
            raise AssertionError(
                f"data[{index}].attributes has predictions although {PREDICTIONS_FIELD}={PREDICTIONS_VALUE} "
                "was not asked for"
            )
    return None


# Stateful checks: each compares the response under test with what came before it.


def created_journey_retrievable(sent: Mapping[str, Any], created: Mapping[str, Any]) -> CheckFunction:
    def created_journey_retrievable(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """A journey answered 201 is retrievable by its slug, and is what was sent."""
        if response.status_code in TRANSIENT_STATUSES:
            return None
        if response.status_code != 200:
            raise AssertionError(
                f"journey {created.get('slug')!r} was created (201) but retrieving it answered {response.status_code}"
            )
        retrieved = json_body(response)
        if not isinstance(retrieved, Mapping):
            return None
        _fail_on(odyssey_invariants.round_trip_problems(sent, created, retrieved))
        return None

    return created_journey_retrievable


def _journey_answered(response: Response, what: str) -> Mapping[str, Any]:
    """The journey a 200 answered; an AssertionError saying `what` answered otherwise."""
    body = json_body(response)
    if response.status_code != 200 or not isinstance(body, Mapping):
        raise AssertionError(f"{what} answered {response.status_code}")
    return body


def update_applied(before: Mapping[str, Any], sent: Mapping[str, Any]) -> CheckFunction:
    def update_applied(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """An update answered 200 changed what was sent and nothing else."""
        if response.status_code in TRANSIENT_STATUSES:
            return None
        updated = _journey_answered(response, f"updating journey {before.get('slug')!r}, which exists,")
        _fail_on(odyssey_invariants.update_problems(before, sent, updated))
        return None

    return update_applied


def update_visible(before: Mapping[str, Any], sent: Mapping[str, Any]) -> CheckFunction:
    def update_visible(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """The retrieve after an update shows the update."""
        if response.status_code in TRANSIENT_STATUSES:
            return None
        retrieved = _journey_answered(response, f"journey {before.get('slug')!r} was updated (200) but retrieving it")
        found = odyssey_invariants.update_problems(before, sent, retrieved)
        _fail_on([problem.replace("updated ", "retrieved ", 1) for problem in found])
        return None

    return update_visible


def duplicate_slug_rejected(slug: str) -> CheckFunction:
    def duplicate_slug_rejected(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """Creating a slug that exists answers 409 with the documented message."""
        if response.status_code in TRANSIENT_STATUSES:
            return None
        if response.status_code != 409:
            raise AssertionError(f"creating slug {slug!r} a second time answered {response.status_code}, not 409")
        body = json_body(response)
        expected = documented_message(case, 409, slug=slug)
        if not isinstance(body, Mapping) or body.get("error") != expected:
            raise AssertionError(f"409 body is {_short(body)}; the documented body is {{'error': {expected!r}}}")
        return None

    return duplicate_slug_rejected


def is_force_consistent(unforced: Mapping[str, Any]) -> CheckFunction:
    def is_force_consistent(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """`isForce=true` recalculates, it does not reinvent: a model's prediction of the journey keeps its
        `prediction_id` (stable for the same journey and model) and its `updated_at` does not go back."""
        forced = json_body(response)
        if response.status_code != 200 or not isinstance(forced, Mapping):
            return None
        before = _predictions_by_model(_prediction_attributes(unforced.get("data")))
        after = _predictions_by_model(_prediction_attributes(forced.get("data")))
        for model in sorted(set(before) & set(after)):
            was, now = before[model], after[model]
            if was.get("prediction_id") != now.get("prediction_id"):
                raise AssertionError(
                    f"model {model[0]} {model[1]}: prediction_id is {now.get('prediction_id')!r} with isForce=true "
                    f"but {was.get('prediction_id')!r} without it; a prediction id is stable for a journey and model"
                )
            if _earlier(now.get("updated_at"), was.get("updated_at")):
                raise AssertionError(f"model {model[0]} {model[1]}: updated_at went back with isForce=true")
        return None

    return is_force_consistent


def predictions_agree(predictions_document: Mapping[str, Any]) -> CheckFunction:
    def predictions_agree(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """A journey's predictions (`fields[journeys]=predictions`) are its predictions endpoint's: a model's
        prediction of the journey has one `prediction_id`, whichever endpoint shows it."""
        body = json_body(response)
        if response.status_code != 200 or not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
            return None
        expected = _predictions_by_model(_prediction_attributes(predictions_document.get("data")))
        embedded: list[Mapping[str, Any]] = []
        for resource in body["data"]:
            attributes = resource.get("attributes") if isinstance(resource, Mapping) else None
            predictions = attributes.get("predictions") if isinstance(attributes, Mapping) else None
            if isinstance(predictions, list):
                embedded.extend(item for item in predictions if isinstance(item, Mapping))
        shown = _predictions_by_model(embedded)
        for model in sorted(set(shown) & set(expected)):
            if shown[model].get("prediction_id") != expected[model].get("prediction_id"):
                raise AssertionError(
                    f"model {model[0]} {model[1]}: the journey shows prediction "
                    f"{shown[model].get('prediction_id')!r}, its predictions endpoint "
                    f"{expected[model].get('prediction_id')!r}"
                )
        return None

    return predictions_agree


def _prediction_attributes(data: Any) -> list[Mapping[str, Any]]:
    resources = data if isinstance(data, list) else []
    attributes = [resource.get("attributes") for resource in resources if isinstance(resource, Mapping)]
    return [item for item in attributes if isinstance(item, Mapping)]


def _predictions_by_model(predictions: list[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(str(item.get("model_name")), str(item.get("model_version"))): item for item in predictions}


def _earlier(later: Any, earlier: Any) -> bool:
    from mockserver.clock import parse_instant

    try:
        return parse_instant(str(later)) < parse_instant(str(earlier))
    except ValueError:
        return False


def _fail_on(found: Sequence[str]) -> None:
    if found:
        raise AssertionError("\n".join(found))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _short(body: Any, limit: int = 200) -> str:
    text = json.dumps(body, sort_keys=True) if body is not None else "empty"
    return text if len(text) <= limit else text[:limit] + "…"
