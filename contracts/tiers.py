"""Two tiers of verdict, read from the specs: is a violated fact the vendor's word, or journeymock's guess?

Every check result is tied to what produced it: a schema node and keyword, a status, a header, a parameter
or an invariant. It is *inferred* when that node, or one enclosing it (following `$ref`s as the validator
does), carries `x-journeymock-inferred`, and *documented* otherwise. Invariants and the custom checks declare
their tier beside their code. Against a live vendor an inferred violation is reported as "inference
contradicted" and does not fail the run unless inferences are strict; a documented one always fails.

An inferred invariant a vendor was seen to contradict is *settled* in the spec, not in code: the document's
root `x-journeymock-invariants` names it with the evidence (`journeymock drift --patch` writes it). Against a
live vendor a settled invariant's findings are informational; against the mock, which implements the
invariant, they still fail. A documented invariant is never settled, whatever the spec records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver.specs import INFERRED_MARK, INVARIANTS_MARK, ApiSpec

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

Tier = Literal["documented", "inferred"]
DOCUMENTED: Final = "documented"
INFERRED: Final = "inferred"
_SPEC_URI: Final = "urn:journeymock:spec"
#: Longest rendering of an observed value in a verdict.
OBSERVED_LIMIT: Final = 120


@dataclass(frozen=True)
class Verdict:
    """One violated fact: which check saw it, its tier, where it is stated and what was observed."""

    check: str
    tier: Tier
    #: `openapi/<api>.yaml#/json/pointer` of the violated node, or the invariant's `module:function`.
    location: str
    #: Inferred: the inference's stated reason. Documented: the vendor sentence, when one is declared.
    reason: str
    observed: str
    #: The JSON Schema keyword violated (`pattern`, `type`...), when a schema produced the verdict.
    keyword: str | None = None
    #: Where in the response body (a JSON pointer), when the verdict is about a body.
    instance_path: str | None = None
    #: The value that broke a schema keyword, whole when it is a scalar (drift widens keywords to it).
    value: Any = None
    #: Where the spec records this invariant's contradiction (`x-journeymock-invariants`), when it does and
    #: the target is a vendor: the verdict is then informational, neither a warning nor a failure.
    settled: str | None = None

    @property
    def inferred(self) -> bool:
        return self.tier == INFERRED

    def describe(self) -> str:
        """The warning printed for a contradicted inference (or the failure line of a documented fact)."""
        where = f" at {self.instance_path}" if self.instance_path else ""
        head = "inference contradicted" if self.inferred else "documented fact violated"
        lines = [f"{head} [{self.check}]: observed {self.observed}{where}", f"  spec: {self.location}"]
        if self.reason:
            lines.append(f"  {'inference' if self.inferred else 'source'}: {' '.join(self.reason.split())}")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        found = {
            "check": self.check,
            "tier": self.tier,
            "location": self.location,
            "reason": " ".join(self.reason.split()),
            "observed": self.observed,
            "keyword": self.keyword,
            "instance_path": self.instance_path,
            "value": self.value,
        }
        return found if self.settled is None else {**found, "settled": self.settled}


def shorten(value: Any, limit: int = OBSERVED_LIMIT) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(tokens: Sequence[str | int]) -> str:
    return "/" + "/".join(escape(str(token)) for token in tokens)


@dataclass(frozen=True)
class SettledInvariant:
    """An inferred invariant the spec records as contradicted by a vendor (`x-journeymock-invariants`)."""

    name: str
    #: The invariant's code, as its verdicts name it: `mockserver/invariants/<api>.py:<name>`.
    code: str
    #: The checks whose findings the recorded evidence covers (the contract suite's `semantic_invariants`).
    checks: frozenset[str]
    #: Where the record is: `openapi/<api>.yaml#/x-journeymock-invariants/<name>`.
    location: str


def invariant_code(api: str, name: str) -> str:
    """Where an invariant of `api` is stated, as its verdicts and the spec's records name it."""
    return f"mockserver/invariants/{api}.py:{name}"


@dataclass(frozen=True)
class Walk:
    """Where a path through the document ended, and the innermost inference met on the way."""

    tokens: tuple[str, ...]
    reason: str | None
    node: Any


class SpecTiers:
    """One API's document as the tier oracle: walk to a node, validate against a node, name locations."""

    def __init__(self, spec: ApiSpec, file_name: str | None = None) -> None:
        self.spec = spec
        self.document = spec.document
        self.file_name = file_name or f"openapi/{spec.path.name}"
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
        self._walks: dict[tuple[str, ...], Walk] = {}

    def location(self, tokens: Sequence[str | int]) -> str:
        return f"{self.file_name}#{pointer(tokens)}"

    def settled_invariants(self) -> dict[str, SettledInvariant]:
        """The invariants this spec records as contradicted, by code location. A record that does not name its
        invariant's code, or no check its evidence covers, settles nothing: a gap here must never soften a
        failure."""
        records = self.document.get(INVARIANTS_MARK)
        settled: dict[str, SettledInvariant] = {}
        for name, record in (records if isinstance(records, Mapping) else {}).items():
            if not isinstance(record, Mapping) or record.get("code") != invariant_code(self.spec.name, str(name)):
                continue
            evidence = record.get("evidence")
            checks = evidence.get("checks") if isinstance(evidence, Mapping) else None
            if not isinstance(checks, list) or not checks:
                continue
            location = self.location([INVARIANTS_MARK, str(name)])
            settled[str(record["code"])] = SettledInvariant(
                str(name), str(record["code"]), frozenset(str(check) for check in checks), location
            )
        return settled

    def walk(self, tokens: Sequence[str | int], start: Sequence[str] = ()) -> Walk:
        """Follow `tokens` from `start` (a pointer into the document), resolving `$ref` as a validator does:
        explicitly (a `$ref` token) or implicitly (a token the referring object does not have)."""
        key = (*start, *(str(token) for token in tokens))
        walked = self._walks.get(key)
        if walked is None:
            # The document never changes under a SpecTiers: the same path always ends the same way.
            walked = self._walks[key] = self._walk(key)
        return walked

    def _walk(self, path: tuple[str, ...]) -> Walk:
        node: Any = self.document
        here: list[str] = []
        reason: str | None = None
        for token in path:
            if token == "$ref" and isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
                node, here = self._resolve(node["$ref"])
            else:
                while isinstance(node, Mapping) and str(token) not in node and isinstance(node.get("$ref"), str):
                    reason = self._mark(node, reason)
                    node, here = self._resolve(node["$ref"])
                    reason = self._mark(node, reason)
                if isinstance(node, list) and str(token).isdigit() and int(token) < len(node):
                    node = node[int(token)]
                elif isinstance(node, Mapping) and str(token) in node:
                    node = node[str(token)]
                else:
                    break
                here.append(str(token))
            reason = self._mark(node, reason)
        return Walk(tuple(here), reason, node)

    def _mark(self, node: Any, reason: str | None) -> str | None:
        if isinstance(node, Mapping) and isinstance(node.get(INFERRED_MARK), str):
            return str(node[INFERRED_MARK])
        return reason

    def _resolve(self, reference: str) -> tuple[Any, list[str]]:
        tokens = [part.replace("~1", "/").replace("~0", "~") for part in reference.removeprefix("#/").split("/")]
        node: Any = self.document
        for token in tokens:
            node = node[token]
        return node, tokens

    # Where an operation's parts are.

    def operation_tokens(self, path: str, method: str) -> list[str]:
        return ["paths", path, method.lower()]

    def response_tokens(self, path: str, method: str, status: int) -> list[str]:
        responses = self.walk([*self.operation_tokens(path, method), "responses"]).node
        keys = responses if isinstance(responses, Mapping) else {}
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in keys:
                return [*self.operation_tokens(path, method), "responses", key]
        return [*self.operation_tokens(path, method), "responses"]

    def parameter_tokens(self, path: str, method: str, name: str, location: str) -> list[str] | None:
        for owner in (self.operation_tokens(path, method), ["paths", path]):
            parameters = self.walk([*owner, "parameters"]).node
            for index, _ in enumerate(parameters if isinstance(parameters, list) else []):
                resolved = self.walk([*owner, "parameters", index]).node
                if isinstance(resolved, Mapping) and resolved.get("name") == name and resolved.get("in") == location:
                    return [*owner, "parameters", str(index)]
        return None

    # Verdicts.

    def node_verdict(self, check: str, tokens: Sequence[str | int], observed: str) -> Verdict:
        walked = self.walk(tokens)
        return Verdict(
            check=check,
            tier=INFERRED if walked.reason is not None else DOCUMENTED,
            location=self.location(walked.tokens),
            reason=walked.reason or "",
            observed=observed,
        )

    def schema_verdicts(self, check: str, schema_tokens: Sequence[str], instance: Any) -> list[Verdict]:
        """Every error of `instance` against the schema at `schema_tokens`, each with its tier."""
        return [
            self._error_verdict(check, schema_tokens, error) for error in self.schema_errors(schema_tokens, instance)
        ]

    def schema_errors(self, schema_tokens: Sequence[str], instance: Any) -> Iterator[ValidationError]:
        reference = f"{_SPEC_URI}#{pointer(schema_tokens)}"
        validator = Draft202012Validator(
            {"$ref": reference}, registry=self._registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        return validator.iter_errors(instance)

    def _error_verdict(self, check: str, schema_tokens: Sequence[str], error: ValidationError) -> Verdict:
        # The validator's path leaves out the `$ref`s it followed: the walk resolves them where a keyword is
        # not found in the referring object.
        path = list(error.absolute_schema_path)
        walked = self.walk([str(token) for token in path], start=schema_tokens)
        instance_path = pointer([str(token) for token in error.absolute_path]) if error.absolute_path else ""
        keyword = str(path[-1]) if path else None
        return Verdict(
            check=check,
            tier=INFERRED if walked.reason is not None else DOCUMENTED,
            location=self.location(walked.tokens),
            reason=walked.reason or "",
            observed=shorten(error.instance),
            keyword=keyword,
            instance_path=instance_path or "/",
            value=error.instance if _is_scalar(error.instance) else None,
        )

    def visited_inferences(self, schema_tokens: Sequence[str], instance: Any) -> list[tuple[str, str]]:
        """The inferred nodes an instance that the schema accepts reaches: (location, reason) pairs."""
        found: dict[str, str] = {}
        self._visit(list(schema_tokens), instance, found, depth=0)
        return sorted(found.items())

    def _visit(self, tokens: list[str], instance: Any, found: dict[str, str], depth: int) -> None:
        if depth > 32:
            return
        walked = self.walk(tokens)
        node = walked.node
        if not isinstance(node, Mapping):
            return
        if isinstance(node.get(INFERRED_MARK), str):
            found[self.location(walked.tokens)] = str(node[INFERRED_MARK])
        here = list(walked.tokens)
        if isinstance(node.get("$ref"), str):
            self._visit([*here, "$ref"], instance, found, depth + 1)
        for combinator in ("allOf", "anyOf", "oneOf"):
            for index, _ in enumerate(node.get(combinator) or []):
                branch = [*here, combinator, str(index)]
                if combinator == "allOf" or not any(self.schema_errors(branch, instance)):
                    self._visit(branch, instance, found, depth + 1)
        if isinstance(instance, Mapping):
            properties = node.get("properties") or {}
            for name, value in instance.items():
                if name in properties:
                    self._visit([*here, "properties", str(name)], value, found, depth + 1)
        if isinstance(instance, list) and isinstance(node.get("items"), Mapping):
            for value in instance:
                self._visit([*here, "items"], value, found, depth + 1)


#: Longest string kept whole as a verdict's value.
VALUE_LIMIT: Final = 2000


def _is_scalar(value: Any) -> bool:
    return (
        value is None or isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= VALUE_LIMIT)
    )


def strongest(verdicts: Sequence[Verdict]) -> Tier:
    """A failure is inferred only when every fact it violates is an inference."""
    return INFERRED if verdicts and all(verdict.inferred for verdict in verdicts) else DOCUMENTED


class ContractViolation(AssertionError):
    """A custom check's failure that knows the verdicts behind it (schemathesis keeps the exception)."""

    def __init__(self, message: str, verdicts: Sequence[Verdict]) -> None:
        super().__init__(message)
        self.verdicts = tuple(verdicts)


#: Checks whose every failure breaks a documented fact, whatever the spec node: a 5xx is never acceptable,
#: and an undocumented status, ignored credentials or a missing required header are departures from what
#: the document shows.
ALWAYS_DOCUMENTED: Final = frozenset(
    {
        "not_a_server_error",
        "status_code_conformance",
        "ignored_auth",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "max_response_time",
    }
)


class Judge:
    """Ties each failure of a check to the fact it violates, and that fact to its tier."""

    def __init__(self, spec: ApiSpec, declared: Mapping[str, tuple[Tier, str]]) -> None:
        self.tiers = SpecTiers(spec)
        #: Custom checks' own tiers: name -> (tier, vendor sentence or reason).
        self.declared = declared

    def classify(self, check: str, failure: Any, case: Any, response: Any) -> list[Verdict]:
        """The verdicts behind one failure. A failure that cannot be tied to a fact stays documented: a gap
        here must never soften a failure into a warning."""
        try:
            return self._classify(check, failure, case, response)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            where = f"{case.operation.method.upper()} {case.operation.path}"
            return [Verdict(check, DOCUMENTED, where, f"not tied to a spec node ({type(error).__name__})", check)]

    def _classify(self, check: str, failure: Any, case: Any, response: Any) -> list[Verdict]:
        exception = getattr(failure, "exception", None)
        if isinstance(exception, ContractViolation):
            return list(exception.verdicts)
        title = str(getattr(failure, "title", "") or check)
        path, method = case.operation.path, case.operation.method
        if check in self.declared:
            tier, basis = self.declared[check]
            return [Verdict(check, tier, f"contracts/checks.py:{check}", basis, shorten(title))]
        if check == "response_schema_conformance":
            return self._body_verdicts(check, path, method, response, title)
        if check == "content_type_conformance":
            content_type = response.headers.get("content-type", [""])[0] if response.headers else ""
            tokens = self.tiers.response_tokens(path, method, response.status_code)
            return [self.tiers.node_verdict(check, tokens, shorten(content_type))]
        if check == "response_headers_conformance":
            return self._header_verdicts(check, path, method, response, failure, title)
        if check == "negative_data_rejection":
            return self._negative_verdicts(check, case, title)
        if check == "positive_data_acceptance":
            return self._positive_verdicts(check, case, response)
        tokens = self.tiers.operation_tokens(path, method)
        return [Verdict(check, DOCUMENTED, self.tiers.location(tokens), "", f"{response.status_code}: {title}")]

    def _body_verdicts(self, check: str, path: str, method: str, response: Any, title: str) -> list[Verdict]:
        tokens = self.tiers.response_tokens(path, method, response.status_code)
        fallback = [Verdict(check, DOCUMENTED, self.tiers.location(tokens), "", shorten(title))]
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError, TypeError):
            return fallback
        content = self.tiers.walk([*tokens, "content"]).node
        if not isinstance(content, Mapping) or not content:
            return fallback
        media = "application/json" if "application/json" in content else next(iter(content))
        verdicts = self.tiers.schema_verdicts(
            check, [*self.tiers.walk([*tokens, "content", media]).tokens, "schema"], body
        )
        return verdicts or fallback

    def _header_verdicts(
        self, check: str, path: str, method: str, response: Any, failure: Any, title: str
    ) -> list[Verdict]:
        tokens = self.tiers.response_tokens(path, method, response.status_code)
        declared = self.tiers.walk([*tokens, "headers"]).node
        names = {str(name).lower(): str(name) for name in (declared if isinstance(declared, Mapping) else {})}
        missing = [str(name).lower() for name in getattr(failure, "missing_headers", None) or []]
        chosen = [names[name] for name in missing if name in names] or list(names.values())
        verdicts = [
            self.tiers.node_verdict(check, [*tokens, "headers", name], f"missing or invalid {name}") for name in chosen
        ]
        return verdicts or [Verdict(check, DOCUMENTED, self.tiers.location(tokens), "", shorten(title))]

    def _negative_verdicts(self, check: str, case: Any, title: str) -> list[Verdict]:
        path, method = case.operation.path, case.operation.method
        data = getattr(getattr(case.meta, "phase", None), "data", None)
        location = getattr(data, "parameter_location", None)
        parameter = getattr(data, "parameter", None)
        location = getattr(location, "value", location)
        if location in ("path", "query", "header", "cookie") and parameter:
            tokens = self.tiers.parameter_tokens(path, method, str(parameter), str(location))
            if tokens is not None:
                return [self.tiers.node_verdict(check, [*tokens, "schema"], f"{location} {parameter} accepted")]
        body_tokens = self._body_schema_tokens(path, method)
        if body_tokens is not None and case.body is not None and not isinstance(case.body, bytes | str):
            verdicts = self.tiers.schema_verdicts(check, body_tokens, case.body)
            if verdicts:
                return verdicts
        tokens = self.tiers.operation_tokens(path, method)
        return [Verdict(check, DOCUMENTED, self.tiers.location(tokens), "", shorten(title))]

    def _positive_verdicts(self, check: str, case: Any, response: Any) -> list[Verdict]:
        observed = f"a valid request answered {response.status_code}"
        reached = self.request_inferences(case)
        # A refusal that names a member is about that member: blame only the inferences it names.
        text = response.text if response.content else ""
        named = [(location, reason) for location, reason in reached if location.rsplit("/", 1)[-1] in text]
        reached = named or reached
        if not reached:
            tokens = self.tiers.operation_tokens(case.operation.path, case.operation.method)
            return [Verdict(check, DOCUMENTED, self.tiers.location(tokens), "", observed)]
        return [Verdict(check, INFERRED, location, reason, observed) for location, reason in dict(reached).items()]

    def request_inferences(self, case: Any) -> list[tuple[str, str]]:
        """The inferred nodes a request reaches (its JSON body, its parameters): (location, reason) pairs."""
        parameters = {"path": case.path_parameters, "query": case.query, "header": case.headers}
        return request_inferences(self.tiers, case.operation.path, case.operation.method, case.body, parameters)

    def _body_schema_tokens(self, path: str, method: str) -> list[str] | None:
        return request_body_tokens(self.tiers, path, method)


def request_body_tokens(tiers: SpecTiers, path: str, method: str) -> list[str] | None:
    """Where an operation's JSON request body schema is, None when it takes none."""
    content_tokens = [*tiers.operation_tokens(path, method), "requestBody", "content"]
    walked = tiers.walk(content_tokens)
    if not isinstance(walked.node, Mapping) or "application/json" not in walked.node:
        return None
    return [*walked.tokens, "application/json", "schema"]


def request_inferences(
    tiers: SpecTiers, path: str, method: str, body: Any, parameters: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The inferred nodes a request reaches — its JSON body, and the parameters it sends (names by location:
    `path`, `query`, `header`) — as (location, reason) pairs."""
    reached: list[tuple[str, str]] = []
    body_tokens = request_body_tokens(tiers, path, method)
    if body_tokens is not None and body is not None and not isinstance(body, bytes | str):
        reached += tiers.visited_inferences(body_tokens, body)
    for location, values in parameters.items():
        for name in values or {}:
            tokens = tiers.parameter_tokens(path, method, str(name), location)
            if tokens is not None:
                walked = tiers.walk([*tokens, "schema"])
                if walked.reason is not None:
                    reached.append((tiers.location(walked.tokens), walked.reason))
    return reached
