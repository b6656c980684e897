"""One API under contract in one run: its schema, its checks, and the single path every request takes —
made safe for the target, sent, validated by the built-in and custom checks, and reported.
"""

from __future__ import annotations

import functools
import itertools
import re
import secrets
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Final

import jsonschema_rs
import pytest
from schemathesis.core.failures import FailureGroup

from journeymock.contracts import checks as custom
from journeymock.contracts.observations import ObservationLog
from journeymock.contracts.redaction import redact
from journeymock.contracts.report import ContractReport, render_failure
from journeymock.contracts.schemas import PARTNER_HEADER, build_schema, contract_spec
from journeymock.contracts.tiers import Judge, Verdict, strongest
from mockserver.specs import load_specs
from mockserver.vendors import PARTNER_VARIABLE, TOKEN_VARIABLES

if TYPE_CHECKING:
    from schemathesis import CheckResult, HookContext, Response
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from journeymock.contracts.checks import Case
    from journeymock.contracts.settings import ContractSettings
    from journeymock.contracts.targets import Target

#: Slugs of journeys the contract tests write begin with this, so they can be told apart (and cleaned up).
SLUG_PREFIX: Final = "contract-"
#: Written journeys go to the staging environment, never production.
WRITE_ENVIRONMENT: Final = "staging"
WRITE_OPERATIONS: Final = frozenset({"createJourney", "updateJourney"})
#: Methods that change nothing on the server (RFC 9110, section 9.2.1; QUERY is safe by its definition).
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "QUERY"})
_SLUG_PATTERN: Final = re.compile(r"^[a-z0-9-]+$")
WRITES_SKIPPED: Final = "writes need --allow-writes against a live target"


@functools.cache
def _slug_check() -> Any:
    """The spec's whole rule for a new journey's slug, of which `_SLUG_PATTERN` is one part."""
    create = load_specs(["odyssey"])["odyssey"].operation("createJourney")
    assert create.request_schema is not None
    return jsonschema_rs.validator_for(create.request_schema["properties"]["slug"])


TRANSIENT_RETRIES: Final = 3
#: Longest wait for a Retry-After, in seconds: beyond it the answer stands.
MAX_RETRY_DELAY: Final = 10.0


def retry_delay(response: Response) -> float:
    """Seconds to wait before asking again: the response's Retry-After (seconds or an HTTP date), capped."""
    value = (response.headers.get("retry-after") or [""])[0].strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_DELAY)


@dataclass
class ApiRunner:
    api: str
    settings: ContractSettings
    target: Target
    report: ContractReport
    schema: OpenApiSchema = field(init=False)
    response_checks: list[custom.CheckFunction] = field(init=False)
    #: Check names of the failures of the last validation (by failure identity), for the failure report.
    _last_names: dict[int, str] = field(init=False, default_factory=dict)
    #: The verdicts behind each failure of the last validation (by failure identity).
    _last_verdicts: dict[int, list[Verdict]] = field(init=False, default_factory=dict)
    #: Warnings given while the checks of the current exchange ran.
    _warned: list[Verdict] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.schema = build_schema(self.api, self.settings, self.target)
        self.schema.hooks.register_hook_with_name(self._after_validate, "after_validate")
        self.judge = Judge(contract_spec(self.api, self.settings), custom.CHECK_TIERS)
        self.observations = (
            ObservationLog(self.settings.options.observations, self.settings.secrets(), self.settings.target)
            if self.settings.options.observations is not None
            else None
        )
        #: Inferred facts fail against the mock (in-process, or served: it implements them) and with
        #: --strict-inferences; against anything else a contradicted inference is a warning.
        self.inferences_fail = (
            not self.settings.live
            or self.settings.options.strict_inferences
            or self.target.implements_inferences(self.api)
        )
        #: What the spec settles (x-journeymock-invariants) holds for vendors only: the mock, in-process or
        #: served, implements every invariant it states and is held to them, --spec-dir or not.
        implements = not self.settings.live or self.target.implements_inferences(self.api)
        self.response_checks = custom.response_checks(
            custom.CheckOptions(
                api=self.api,
                inferences_fail=self.inferences_fail,
                lenient=self.settings.invariants_are_warnings,
                now=self.target.now,
                warn=self._warn,
                settled={} if implements else self.judge.tiers.settled_invariants(),
                note=self._note,
            )
        )
        # Unique per run against anything that keeps state between runs, reproducible against the fresh mock.
        self._nonce = secrets.token_hex(3) if self.settings.live else f"{self.settings.seed % 0xFFFFFF:06x}"
        self._counter = itertools.count(1)

    # The one path of a request.

    def call_and_validate(
        self, case: Case, extra_checks: Sequence[custom.CheckFunction] = (), *, collect: bool = False
    ) -> Response:
        """Send and check one request. Violations raise, or with `collect` are recorded and the run goes on."""
        __tracebackhide__ = True
        self.make_safe(case)
        response = case.call()
        for _ in range(TRANSIENT_RETRIES):
            # 429 and 503 are documented answers, but they say "not now", not "no": ask again, as a client
            # would, so that a server shedding load is not reported for what it would have answered.
            if response.status_code not in custom.TRANSIENT_STATUSES:
                break
            time.sleep(retry_delay(response))
            response = case.call()
        self.validate(case, response, extra_checks, collect=collect)
        return response

    def validate(
        self,
        case: Case,
        response: Response,
        extra_checks: Sequence[custom.CheckFunction] = (),
        *,
        collect: bool = False,
    ) -> None:
        __tracebackhide__ = True
        try:
            case.validate_response(response, additional_checks=[*self.response_checks, *extra_checks])
        except FailureGroup as caught:
            failing = [failure for failure in caught.exceptions if not self._demoted(failure)]
            for failure in caught.exceptions:
                if self._demoted(failure):
                    for verdict in self._verdicts_of(failure, case, response):
                        self._report_warning(case, response, verdict)
            if not failing:
                return
            group = FailureGroup(failing, caught.message)
            rendered = self._render(case, response, group)
            if not collect:
                raise FailureGroup(list(group.exceptions), rendered) from None
            kinds = {
                (case.operation.label, self._last_names.get(id(failure), ""), failure.code, failure.title)
                for failure in group.exceptions
            }
            self.report.record_violation(kinds, rendered)

    def request(
        self,
        operation_id: str,
        *,
        path_parameters: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Case:
        """A hand-made request with this run's credentials (generated ones get them from the config)."""
        operation = self.schema.find_operation_by_id(operation_id)
        credentials = self.settings.credentials[self.api]
        headers = {"Authorization": f"Bearer {credentials.token}"}
        if credentials.partner_id is not None and operation.get_parameter(PARTNER_HEADER, "header") is not None:
            headers[PARTNER_HEADER] = credentials.partner_id
        arguments: dict[str, Any] = {
            "path_parameters": dict(path_parameters or {}),
            "query": dict(query or {}),
            "headers": headers,
        }
        if body is not None:
            arguments["body"] = body
            arguments["media_type"] = "application/json"
        case: Case = operation.Case(**arguments)
        # Made safe now, not when sent: a caller comparing what comes back with what was sent must see the
        # body that is actually sent.
        self.make_safe(case)
        return case

    # Safety on targets that keep what is written.

    def is_write(self, case: Case) -> bool:
        return custom.operation_id(case) in WRITE_OPERATIONS

    def skip_if_writes_blocked(self, case: Case | None = None, checks: Sequence[str] = ("writes",)) -> None:
        if (case is None or self.is_write(case)) and not self.settings.writes_allowed:
            for check in checks:
                self.report.record_skip(self.api, check, WRITES_SKIPPED)
            pytest.skip(WRITES_SKIPPED)

    def skip(self, checks: Sequence[str], reason: str) -> None:
        """Every check the skipped test would have run is listed as skipped, with the reason."""
        for check in checks:
            self.report.record_skip(self.api, check, reason)
        pytest.skip(reason)

    def fresh_slug(self) -> str:
        return f"{SLUG_PREFIX}{self._nonce}-{next(self._counter)}"

    def make_safe(self, case: Case) -> None:
        """What is written is the contract tests' own: fresh `contract-` slugs, the staging environment (on a
        live target), and no write-method request to a resource that is not a `contract-` one.

        Idempotent. Changes keep a request's validity: a slug that breaks the pattern still breaks it with the
        prefix, an empty one (invalid) is left alone, an invalid environment is left for the server to refuse.
        """
        operation = custom.operation_id(case)
        unsafe_method = case.method.upper() not in SAFE_METHODS
        if operation in WRITE_OPERATIONS and not self.settings.writes_allowed:
            # Never reached from the suite (write tests skip first); a guard for any future caller.
            raise RuntimeError(WRITES_SKIPPED)
        if operation == "updateJourney" or (unsafe_method and self.settings.live):
            # Includes the unsupported-method probes (a DELETE to a journey's URL): were the server to honour
            # one, it must hit a resource of the tests' own.
            for name, value in list((case.path_parameters or {}).items()):
                if isinstance(value, str) and value and not value.startswith(SLUG_PREFIX):
                    case.path_parameters[name] = f"{SLUG_PREFIX}{value}"
        if operation not in WRITE_OPERATIONS or not isinstance(case.body, dict):
            return
        if operation == "createJourney":
            slug = case.body.get("slug")
            if isinstance(slug, str) and slug and not slug.startswith(SLUG_PREFIX):
                valid = bool(_SLUG_PATTERN.match(slug))
                if valid and not _slug_check().is_valid(slug):
                    # Refused by a rule the prefix would mend (the reserved slug `create`): breaking the
                    # pattern too keeps the request invalid, and the write within `contract-` slugs.
                    case.body["slug"] = f"{SLUG_PREFIX}{slug}_"
                else:
                    case.body["slug"] = self.fresh_slug() if valid else f"{SLUG_PREFIX}{slug}"
        if not self.settings.live:
            return  # the in-process mock keeps nothing: production journeys are tested there too
        environment = case.body.get("environment", None if operation == "updateJourney" else "production")
        if environment in ("production", WRITE_ENVIRONMENT):
            case.body["environment"] = WRITE_ENVIRONMENT

    # Reporting.

    # Verdicts: which failures break documented facts, which only contradict inferences.

    def _after_validate(self, context: HookContext, case: Case, response: Response, results: list[CheckResult]) -> None:
        self._last_names = {id(result.failure): result.name for result in results if result.failure is not None}
        self._last_verdicts = {
            id(result.failure): self.judge.classify(result.name, result.failure, case, response)
            for result in results
            if result.failure is not None
        }
        demoted = {
            id(result.failure) for result in results if result.failure is not None and self._demoted(result.failure)
        }
        self.report.record_results(self.api, case, response, results, demoted=demoted)
        if self.observations is not None:
            verdicts = [*self._warned, *(verdict for found in self._last_verdicts.values() for verdict in found)]
            self.observations.record(self.api, self.judge, case, response, verdicts)
        self._warned = []

    def _verdicts_of(self, failure: Any, case: Case, response: Response) -> list[Verdict]:
        known = self._last_verdicts.get(id(failure))
        if known is not None:
            return known
        return self.judge.classify(self._last_names.get(id(failure), "unknown check"), failure, case, response)

    def _demoted(self, failure: Any) -> bool:
        """A failure that only contradicts inferences is a warning, unless inferences must hold here."""
        if self.inferences_fail:
            return False
        verdicts = self._last_verdicts.get(id(failure))
        return bool(verdicts) and strongest(verdicts or []) == "inferred"

    def _warn(self, case: Case, response: Response, verdict: Verdict) -> None:
        """A check's warning while it runs: part of this exchange's verdicts, and of the report."""
        self._warned.append(verdict)
        self._report_warning(case, response, verdict)

    def _note(self, case: Case, response: Response, verdict: Verdict) -> None:
        """A settled invariant's finding: part of this exchange's verdicts (drift's evidence), counted in the
        report as informational, neither a warning nor a failure."""
        self._warned.append(verdict)
        self.report.record_settled(self.api, verdict.location, verdict.settled or "")

    def _report_warning(self, case: Case, response: Response, verdict: Verdict) -> None:
        text = redact(verdict.describe(), self.settings.secrets())
        self.report.record_warning(
            self.api, verdict.check, case, text, self._curl(case, response), about=verdict.location
        )

    def _curl(self, case: Case, response: Response) -> str:
        """A curl line that reproduces the request: this run's credentials appear as the variables they come
        from (`-H "Authorization: Bearer $JOURVEX_API_KEY"`), any other value as it was sent."""
        sent = {str(name): str(value) for name, value in response.request.headers.items()}
        curl = case.as_curl_command(headers=sent, verify=response.verify)
        credentials = self.settings.credentials[self.api]
        placeholders = {
            "Authorization": (f"Bearer {credentials.token}", f"Bearer ${TOKEN_VARIABLES[self.api]}"),
            PARTNER_HEADER: (credentials.partner_id, f"${PARTNER_VARIABLE}"),
        }
        for header, (secret, placeholder) in placeholders.items():
            value = next((value for name, value in sent.items() if name.lower() == header.lower()), None)
            if value is None:
                continue
            # The placeholder in double quotes, so the shell fills it in; anything else quoted as it was sent.
            shown = f'"{header}: {placeholder}"' if value == secret else shlex.quote(f"{header}: {value}")
            masked = re.compile(r"-H '" + re.escape(header) + r": \[Filtered\]'", re.IGNORECASE)
            curl = masked.sub(f"-H {shown}".replace("\\", "\\\\"), curl)
        return redact(curl, self.settings.secrets())

    def _render(self, case: Case, response: Response, group: FailureGroup) -> str:
        text = render_failure(
            api=self.api,
            case=case,
            response=response,
            group=group,
            names=self._last_names,
            curl=self._curl(case, response),
            replay=self.report.replay_command(),
            seed=self.settings.seed,
        )
        return redact(text, self.settings.secrets())
