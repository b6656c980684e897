"""The proxy's judge: every exchange `journeymock proxy` forwards, judged against the spec in two tiers.

The same oracle as the contract runner's (`contracts.tiers.SpecTiers`): a request's parameters and body, and
the upstream's status, content type and body, each violation tied to the spec node it breaks and tiered by
`x-journeymock-inferred`. Each exchange becomes one observation line in the format `journeymock contracts
--observations` writes (`contracts.observations`), so `journeymock drift` reads the proxy's evidence as it
reads a contract run's. Check names are the contract runner's, so drift counts them alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl

from journeymock.contracts.observations import ObservationLog, exchange_observation
from journeymock.contracts.tiers import SpecTiers, Verdict, request_body_tokens, request_inferences, shorten
from mockserver import jsonio
from mockserver.journal import SECRET_HEADERS
from mockserver.proxy import Finding, ProxiedRequest, UpstreamAnswer
from mockserver.specs import ApiSpec, Operation
from mockserver.validation import Problem, RequestValidator, ResponseValidator

#: The observation lines' `target`.
PROXY_TARGET: Final = "proxy"
REQUEST_PARAMETERS: Final = "request_parameters_conformance"
REQUEST_BODY: Final = "request_body_conformance"
STATUS: Final = "status_code_conformance"
CONTENT_TYPE: Final = "content_type_conformance"
RESPONSE_SCHEMA: Final = "response_schema_conformance"


#: What the spec says of one status of one operation (see `BridgeJudge._response_plan`).
_ResponsePlan = Verdict | tuple[list[str], list[str]] | None


class BridgeJudge:
    """Judges proxied exchanges (an `ExchangeJudge` of `mockserver.proxy`), writing observations when asked."""

    def __init__(self, specs: Mapping[str, ApiSpec], observations: Path | None = None) -> None:
        self.tiers = {name: SpecTiers(spec) for name, spec in specs.items()}
        self._validators: dict[tuple[str, str], RequestValidator] = {}
        self._response_validators: dict[tuple[str, str], ResponseValidator] = {}
        self._plans: dict[tuple[str, str, int], _ResponsePlan] = {}
        self.log = ObservationLog(observations, (), PROXY_TARGET) if observations is not None else None

    def _validator(self, operation: Operation) -> RequestValidator:
        key = (operation.api, operation.operation_id)
        if key not in self._validators:
            self._validators[key] = RequestValidator(operation)
        return self._validators[key]

    def _response_validator(self, operation: Operation) -> ResponseValidator:
        key = (operation.api, operation.operation_id)
        if key not in self._response_validators:
            self._response_validators[key] = ResponseValidator(operation)
        return self._response_validators[key]

    def request_findings(self, request: ProxiedRequest) -> list[Verdict]:
        """What the request breaks: its parameters (path, query, declared headers) and its JSON body."""
        operation = request.operation
        tiers = self.tiers[operation.api]
        validator = self._validator(operation)
        query = parse_qsl(request.query.decode("latin-1"), keep_blank_values=True)
        headers = dict(request.headers)
        _, problems = validator.parameters(request.path_params, query, headers)
        verdicts = [self._parameter_verdict(tiers, operation, problem) for problem in problems]
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        document, body_problems = validator.body(request.body, content_type)
        if body_problems:
            body_tokens = request_body_tokens(tiers, operation.path, operation.method)
            if document is not None and body_tokens is not None:
                # The compiled validator found problems: the tier oracle says which facts they break.
                verdicts += tiers.schema_verdicts(REQUEST_BODY, body_tokens, document)
            else:
                tokens = [*tiers.operation_tokens(operation.path, operation.method), "requestBody"]
                verdicts += [tiers.node_verdict(REQUEST_BODY, tokens, problem.message) for problem in body_problems]
        return verdicts

    def _parameter_verdict(self, tiers: SpecTiers, operation: Operation, problem: Problem) -> Verdict:
        tokens = tiers.parameter_tokens(operation.path, operation.method, problem.pointer, problem.location)
        where = [*tokens, "schema"] if tokens is not None else tiers.operation_tokens(operation.path, operation.method)
        return tiers.node_verdict(REQUEST_PARAMETERS, where, shorten(problem.message))

    def exchange_findings(
        self, request: ProxiedRequest, answer: UpstreamAnswer, request_findings: Sequence[Finding]
    ) -> list[Verdict]:
        """The request's findings (as `request_findings` gave them) and the answer's — its status, content type
        and body — with the exchange written to the observations file."""
        operation = request.operation
        tiers = self.tiers[operation.api]
        asked = [finding for finding in request_findings if isinstance(finding, Verdict)]
        verdicts = [*asked, *self._response_verdicts(tiers, operation, answer)]
        if self.log is not None:
            self._observe(self.log, tiers, request, answer, verdicts)
        return verdicts

    def _response_verdicts(self, tiers: SpecTiers, operation: Operation, answer: UpstreamAnswer) -> list[Verdict]:
        plan = self._response_plan(tiers, operation, answer.status)
        if isinstance(plan, Verdict):
            return [plan]
        if plan is None:
            return []
        tokens, schema_tokens = plan
        content_type = answer.header("content-type") or ""
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            return [tiers.node_verdict(CONTENT_TYPE, tokens, shorten(content_type))]
        try:
            body = jsonio.decode(answer.content)
        except jsonio.InvalidJson:
            return [tiers.node_verdict(RESPONSE_SCHEMA, schema_tokens, "a body that is not JSON")]
        # The compiled validator (jsonschema-rs) decides whether there is anything to explain; only then does the
        # tier oracle (pure-Python jsonschema, far slower) say which facts the body breaks.
        if not self._response_validator(operation).problems(answer.status, body):
            return []
        return tiers.schema_verdicts(RESPONSE_SCHEMA, schema_tokens, body)

    def _response_plan(self, tiers: SpecTiers, operation: Operation, status: int) -> _ResponsePlan:
        """What the spec says of `status` for `operation`, worked out once per pair (walking the document took a
        third of the judge's time per exchange): a verdict for an undocumented status, None when no JSON body is
        documented, else the response's tokens and its JSON schema's."""
        key = (operation.api, operation.operation_id, status)
        if key in self._plans:
            return self._plans[key]
        path, method = operation.path, operation.method
        tokens = tiers.response_tokens(path, method, status)
        plan: _ResponsePlan
        if tokens[-1] == "responses":
            plan = tiers.node_verdict(STATUS, tokens, f"status {status}")
        else:
            content = tiers.walk([*tokens, "content"]).node
            if not isinstance(content, Mapping) or "application/json" not in content:
                plan = None
            else:
                plan = (tokens, [*tiers.walk([*tokens, "content", "application/json"]).tokens, "schema"])
        # Bounded: statuses are three-digit numbers and operations are the spec's.
        self._plans[key] = plan
        return plan

    @staticmethod
    def _observe(
        log: ObservationLog,
        tiers: SpecTiers,
        request: ProxiedRequest,
        answer: UpstreamAnswer,
        verdicts: Sequence[Verdict],
    ) -> None:
        operation = request.operation
        headers: dict[str, list[str]] = {}
        for name, value in answer.headers:
            headers.setdefault(name, []).append(value)
        try:
            body = json.loads(request.body) if request.body else None
        except (ValueError, UnicodeDecodeError):
            body = None
        parameters = {
            "path": request.path_params,
            "query": dict(parse_qsl(request.query.decode("latin-1"), keep_blank_values=True)),
            "header": {name.decode("latin-1"): "" for name, _ in request.headers},
        }
        reached = request_inferences(tiers, operation.path, operation.method, body, parameters)
        line = exchange_observation(
            tiers,
            api=operation.api,
            operation_id=operation.operation_id,
            method=operation.method,
            path=operation.path,
            status=answer.status,
            headers=headers,
            content=answer.content,
            verdicts=verdicts,
            reached={location for location, _ in reached},
            target=PROXY_TARGET,
        )
        log.write(line, _credentials(request))


def _credentials(request: ProxiedRequest) -> list[str]:
    """The client's secrets in this request (with a bearer token's bare value): redacted from what is written."""
    found = []
    for name, value in request.headers:
        if name.decode("latin-1") in SECRET_HEADERS and value:
            text = value.decode("latin-1")
            found.append(text)
            scheme, _, token = text.partition(" ")
            if token and scheme.lower() == "bearer":
                found.append(token)
    return found
