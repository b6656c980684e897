"""Edge probes: the inputs a live server tends to break on, sent within a fixed request budget.

Generated requests rarely reach them: ids several KiB long, non-ASCII and percent-encoded ids, strings at
and just past their documented length, empty and huge optional strings, a body that is not JSON. Each probe
is derived from the spec (which operations take ids, which strings have bounds, the documented example
body) and goes through the runner's one path, so every ordinary check applies to it too. On top of those,
an answer to a probe must not be a 5xx and, when it is an error, must be JSON: both documented-tier
failures (a server error is never an answer, and every document shows JSON).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from journeymock.contracts import checks as custom
from journeymock.contracts.tiers import DOCUMENTED, INFERRED, ContractViolation, Verdict, shorten

if TYPE_CHECKING:
    from schemathesis import CheckContext, Response

    from journeymock.contracts.checks import Case
    from journeymock.contracts.runner import ApiRunner

#: Most requests the probes of one API send: they must not change how long a run takes.
PROBE_BUDGET: Final = 40
#: A string "huge" enough to find a server's buffer limits, small enough for any sane body limit.
HUGE_STRING_LENGTH: Final = 64 * 1024
CHECK: Final = "edge_probes"
NOT_JSON: Final = b'{"displayName": "unterminated'
_EDGE_BASIS: Final = (
    "HTTP: a 5xx says the server failed on a request it was sent; an error must be answered in the API's own "
    "JSON shape, as every vendor document shows its answers."
)


def edge_ids() -> list[tuple[str, str]]:
    """(what it probes, the id as it goes into the URL: percent-encoded where it must be)."""
    return [
        ("an id just past 24 characters", "p" * 25),
        ("a 1 KiB id", "p" * 1024),
        ("a 4 KiB id", "p" * 4096),
        ("a non-ASCII id", quote("journée-日本-😀", safe="")),
        ("a percent-encoded slash", "a%2Fb"),
        ("a percent-encoded percent sign", quote("100%", safe="")),
        ("a percent-encoded space", "a%20b"),
        ("reserved characters", quote("a:b@c;d=e,f", safe="")),
    ]


@dataclass
class Probe:
    label: str
    case: Case
    #: For a body probe: whether the spec accepts the body, and the tier of the bound it tests.
    valid: bool | None = None
    bound: Verdict | None = None
    extra: list[custom.CheckFunction] = field(default_factory=list)


def edge_answer(label: str) -> custom.CheckFunction:
    def edge_probes(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """No 5xx to an edge-case request, and an error answered in JSON."""
        status = response.status_code
        problem: str | None = None
        if status >= 500:
            problem = f"{label}: answered {status}; a server error is never an answer"
        elif status >= 400 and custom.json_body(response) is None:
            content_type = (response.headers.get("content-type") or ["none"])[0]
            problem = f"{label}: the {status} error body is not JSON (content type {content_type})"
        if problem is None:
            return None
        observed = f"{status} {shorten(response.text[:200] if response.content else '')}"
        verdict = Verdict(
            CHECK, DOCUMENTED, f"{case.operation.method.upper()} {case.operation.path}", _EDGE_BASIS, observed
        )
        raise ContractViolation(problem, [verdict])

    return edge_probes


def bound_kept(probe: Probe) -> custom.CheckFunction:
    def edge_probes(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """A body at its documented bound is accepted, one past it refused."""
        status = response.status_code
        if status in custom.TRANSIENT_STATUSES or status >= 500 or probe.bound is None:
            return None  # a 5xx is edge_answer's to report
        if probe.valid and not 200 <= status < 300:
            problem = f"{probe.label}: a body the spec accepts answered {status}"
        elif probe.valid is False and 200 <= status < 300:
            problem = f"{probe.label}: a body the spec refuses answered {status}"
        else:
            return None
        verdict = Verdict(
            CHECK, probe.bound.tier, probe.bound.location, probe.bound.reason, f"{problem}", keyword=probe.bound.keyword
        )
        raise ContractViolation(problem, [verdict])

    return edge_probes


def id_probes(runner: ApiRunner) -> Iterator[Probe]:
    for operation in runner.judge.tiers.spec.operations:
        if operation.method != "GET":
            continue  # ids are probed where reading is safe on any target
        names = [parameter.name for parameter in operation.parameters if parameter.location == "path"]
        if not names:
            continue
        for label, value in edge_ids():
            yield Probe(label, runner.request(operation.operation_id, path_parameters=dict.fromkeys(names, value)))


def body_probes(runner: ApiRunner) -> Iterator[Probe]:
    """Bounds and sizes of the strings of each write's documented example body (writes allowed only)."""
    if not runner.settings.writes_allowed:
        return
    tiers = runner.judge.tiers
    for operation in tiers.spec.operations:
        # Creates only: an update needs a journey of the run's own, and its strings are the create's.
        if operation.method != "POST" or operation.request_schema is None:
            continue
        media = ["paths", operation.path, operation.method.lower(), "requestBody", "content", "application/json"]
        schema_tokens = [*media, "schema"]
        example = _documented_example(tiers.walk(schema_tokens[:-1]).node)
        if not isinstance(example, Mapping):
            continue
        yield Probe(
            "a body that is not JSON",
            runner.request(operation.operation_id, body=NOT_JSON),
        )
        for where, tokens, schema in _string_members(tiers, schema_tokens, example):
            for label, value, valid in _string_edges(schema):
                body = copy.deepcopy(dict(example))
                _set(body, where, value)
                walked = tiers.walk(tokens)
                keyword = "maxLength" if "maxLength" in schema else None
                bound = Verdict(
                    CHECK,
                    INFERRED if walked.reason else DOCUMENTED,
                    tiers.location([*walked.tokens, keyword] if keyword else walked.tokens),
                    walked.reason or "",
                    "",
                    keyword=keyword,
                )
                path = "/".join(str(part) for part in where)
                yield Probe(f"{path}: {label}", runner.request(operation.operation_id, body=body), valid, bound)


def _documented_example(media: Any) -> Any:
    examples = media.get("examples") if isinstance(media, Mapping) else None
    if isinstance(examples, Mapping):
        for example in examples.values():
            if isinstance(example, Mapping) and "value" in example:
                return example["value"]
    return media.get("example") if isinstance(media, Mapping) else None


def _string_members(
    tiers: Any, tokens: list[str], instance: Any, where: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], list[str], Mapping[str, Any]]]:
    """Each free-text string of the example (no enum, pattern or format), with its schema and location."""
    walked = tiers.walk(tokens)
    node = walked.node
    here = list(walked.tokens)
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and "properties" not in node:
        yield from _string_members(tiers, [*here, "$ref"], instance, where)
        return
    if not isinstance(node, Mapping):
        return
    if isinstance(instance, Mapping):
        properties = node.get("properties") or {}
        for name in properties:
            member = tiers.walk([*here, "properties", name])
            schema = member.node
            while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and "type" not in schema:
                member = tiers.walk([*member.tokens, "$ref"])
                schema = member.node
            if not isinstance(schema, Mapping):
                continue
            if schema.get("type") == "string" and not {"enum", "const", "pattern", "format"} & set(schema):
                yield (*where, name), list(member.tokens), schema
            elif name in instance:
                yield from _string_members(tiers, [*here, "properties", name], instance[name], (*where, name))
    elif isinstance(instance, list) and instance and "items" in node:
        yield from _string_members(tiers, [*here, "items"], instance[0], (*where, 0))


def _string_edges(schema: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """(label, value, whether the spec accepts it) at the string's bounds, or empty and huge when unbounded."""
    maximum = schema.get("maxLength")
    minimum = int(schema.get("minLength", 0))
    edges: list[tuple[str, str, bool]] = []
    if minimum == 0:
        edges.append(("empty", "", True))
    else:
        edges.append((f"{minimum - 1} characters (minLength {minimum})", "m" * (minimum - 1), False))
    if isinstance(maximum, int):
        edges.append((f"{maximum} characters (maxLength)", "m" * maximum, True))
        edges.append((f"{maximum + 1} characters (maxLength + 1)", "m" * (maximum + 1), False))
    else:
        edges.append((f"{HUGE_STRING_LENGTH} characters", "m" * HUGE_STRING_LENGTH, True))
    return edges


def _set(body: Any, where: tuple[str | int, ...], value: Any) -> None:
    node = body
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value


def run_edge_probes(runner: ApiRunner) -> int:
    """Send the API's probes (at most PROBE_BUDGET); returns how many were sent."""
    sent = 0
    for probe in [*id_probes(runner), *body_probes(runner)][:PROBE_BUDGET]:
        checks = [edge_answer(probe.label)]
        if probe.valid is not None:
            checks.append(bound_kept(probe))
        runner.call_and_validate(probe.case, checks, collect=True)
        sent += 1
    return sent
