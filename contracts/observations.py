"""Observations: one JSON line per exchange of a contract run, the evidence `journeymock drift` reads.

A line says which operation was asked, what came back (status, content type, the headers' names and, for
the headers the spec declares, their values) and the facts of the body that matter to the spec, per JSON
pointer (array positions written `*`): the types seen, whether null was seen, string lengths, the string's
format, values of enums and of strings the spec constrains with a pattern or constant, and undocumented
properties. Every verdict of the exchange is there with its tier.

Nothing from the request is written but its operation, and no free text of a response but the values the
spec itself constrains; every line goes through the run's redaction: a credential never reaches the file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from journeymock.contracts.redaction import redact
from journeymock.contracts.tiers import Judge, SpecTiers, Verdict, pointer
from mockserver.specs import INFERRED_MARK

if TYPE_CHECKING:
    from schemathesis import Response

    from journeymock.contracts.checks import Case

#: Keywords under which a response string's value is the spec's business (error messages, constants).
VALUE_KEYWORDS: Final = frozenset({"pattern", "const", "enum"})
#: Longest string value written; longer ones are cut (their length is still recorded exactly).
VALUE_LIMIT: Final = 200
MAX_DEPTH: Final = 24
FORMAT_VERSION: Final = 1
METHOD_NOT_ALLOWED: Final = 405


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class ShapeFacts:
    """The spec-relevant facts of one body, by JSON pointer, found by walking it along its schema."""

    def __init__(self, tiers: SpecTiers) -> None:
        self.tiers = tiers
        self.facts: dict[str, dict[str, Any]] = {}
        #: Locations of the inferred nodes the body reached.
        self.reached: set[str] = set()

    def walk(self, tokens: list[str], instance: Any, where: tuple[str, ...] = (), depth: int = 0) -> None:
        walked = self.tiers.walk(tokens)
        node = walked.node if isinstance(walked.node, Mapping) else {}
        here = list(walked.tokens)
        if isinstance(node.get(INFERRED_MARK), str):
            self.reached.add(self.tiers.location(here))
        if isinstance(node.get("$ref"), str) and depth < MAX_DEPTH:
            self.walk([*here, "$ref"], instance, where, depth + 1)
            return
        fact = self.facts.setdefault(pointer(where) if where else "/", {"schema": self.tiers.location(here)})
        kind = json_type(instance)
        fact.setdefault("types", [])
        if kind not in fact["types"]:
            fact["types"].append(kind)
        if instance is None:
            fact["null"] = True
        if isinstance(instance, str):
            low, high = fact.get("length", [len(instance), len(instance)])
            fact["length"] = [min(low, len(instance)), max(high, len(instance))]
            if "format" in node:
                fact["format"] = node["format"]
            if VALUE_KEYWORDS & set(node):
                values = fact.setdefault("values", [])
                if instance[:VALUE_LIMIT] not in values:
                    values.append(instance[:VALUE_LIMIT])
        elif "enum" in node and instance not in fact.setdefault("values", []):
            fact["values"].append(instance)
        if depth >= MAX_DEPTH:
            return
        branches = [
            [*here, combinator, str(index)]
            for combinator in ("allOf", "anyOf", "oneOf")
            for index, _ in enumerate(node.get(combinator) or [])
        ]
        if isinstance(instance, Mapping):
            declared: set[str] = set()
            for branch in [here, *branches]:
                declared |= set(self._properties(branch))
            for name, value in instance.items():
                owner = next((branch for branch in [here, *branches] if name in self._properties(branch)), None)
                if owner is not None:
                    self.walk([*owner, "properties", name], value, (*where, str(name)), depth + 1)
            extra = sorted(str(name) for name in instance if name not in declared)
            if extra and declared:
                fact["extra"] = sorted(set(fact.get("extra", [])) | set(extra))
        elif isinstance(instance, list):
            owner = next((branch for branch in [here, *branches] if "items" in self._node(branch)), None)
            if owner is not None:
                for value in instance:
                    self.walk([*owner, "items"], value, (*where, "*"), depth + 1)

    def _node(self, tokens: list[str]) -> Mapping[str, Any]:
        node = self.tiers.walk(tokens).node
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and "properties" not in node:
            tokens = [*self.tiers.walk(tokens).tokens, "$ref"]
            node = self.tiers.walk(tokens).node
        return node if isinstance(node, Mapping) else {}

    def _properties(self, tokens: list[str]) -> Mapping[str, Any]:
        properties = self._node(tokens).get("properties")
        return properties if isinstance(properties, Mapping) else {}


class ObservationLog:
    """Appends one line per exchange to a file (thread-safe); every line is redacted before it is written."""

    def __init__(self, path: Path, secrets: Sequence[str], target: str) -> None:
        self.path = path
        self.secrets = tuple(secrets)
        self.target = target
        self._lock = threading.Lock()

    def record(self, api: str, judge: Judge, case: Case, response: Response, verdicts: Iterable[Verdict]) -> None:
        self.write(observation(api, judge, case, response, verdicts, target=self.target))

    def write(self, line: Mapping[str, Any], secrets: Iterable[str] = ()) -> None:
        """Append one observation, redacted of the log's secrets and of `secrets` (an exchange's own)."""
        text = redact(json.dumps(line, ensure_ascii=False, sort_keys=True), (*self.secrets, *secrets))
        with self._lock, self.path.open("a", encoding="utf-8") as file:
            file.write(text + "\n")


def observation(
    api: str, judge: Judge, case: Case, response: Response, verdicts: Iterable[Verdict], *, target: str
) -> dict[str, Any]:
    operation = case.operation
    line = exchange_observation(
        judge.tiers,
        api=api,
        operation_id=str(operation.definition.raw.get("operationId", "")),
        method=operation.method,
        path=operation.path,
        status=response.status_code,
        headers=response.headers or {},
        content=response.content or b"",
        verdicts=verdicts,
        reached={location for location, _ in judge.request_inferences(case)},
        target=target,
    )
    if case.method.upper() != operation.method.upper():
        # An unsupported-method probe (an OPTIONS or a DELETE to the operation's URL): its documented answer
        # is the 405 that `unsupported_method` requires (RFC 9110, section 15.5.6), not one of the operation's.
        line["method_sent"] = case.method.upper()
        line["documented_status"] = response.status_code == METHOD_NOT_ALLOWED
    return line


def exchange_observation(
    tiers: SpecTiers,
    *,
    api: str,
    operation_id: str,
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, Sequence[str]],
    content: bytes,
    verdicts: Iterable[Verdict],
    reached: set[str],
    target: str,
) -> dict[str, Any]:
    """The observation line of one exchange, from any source: a contract run's case or a proxied request.
    `headers` maps lower-case names to their values; `reached` holds the inferred nodes the request reached."""
    method = method.lower()
    content_type = (headers.get("content-type") or [""])[0]
    response_tokens = tiers.response_tokens(path, method, status)
    line: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "target": target,
        "api": api,
        "operationId": operation_id,
        "method": method.upper(),
        "path": path,
        "status": status,
        "documented_status": response_tokens[-1] != "responses",
        "content_type": content_type,
        "headers": _headers(tiers, response_tokens, headers),
        "verdicts": [verdict.as_json() for verdict in verdicts],
    }
    reached = set(reached)
    walked = tiers.walk(response_tokens)
    if walked.reason is not None and response_tokens[-1] != "responses":
        reached.add(tiers.location(_marked_prefix(tiers, response_tokens)))
    body, body_reached = _body_facts(tiers, response_tokens, content)
    line["body"] = body
    line["inferences_reached"] = sorted(reached | body_reached)
    return line


def _marked_prefix(tiers: SpecTiers, tokens: list[str]) -> tuple[str, ...]:
    """The innermost node on the way to `tokens` that carries the inference."""
    for end in range(len(tokens), 0, -1):
        walked = tiers.walk(tokens[:end])
        if isinstance(walked.node, Mapping) and isinstance(walked.node.get(INFERRED_MARK), str):
            return walked.tokens
    return tiers.walk(tokens).tokens


def _headers(
    tiers: SpecTiers, response_tokens: list[str], response_headers: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """Each header's name; a value only where the spec declares the header (never a free-form value)."""
    declared_node = tiers.walk([*response_tokens, "headers"]).node
    declared = {str(name).lower() for name in (declared_node if isinstance(declared_node, Mapping) else {})}
    headers: dict[str, Any] = {}
    for name, values in response_headers.items():
        lowered = name.lower()
        if lowered in ("set-cookie", "authorization", "cookie"):
            headers[lowered] = {"declared": False, "length": len(values[0]) if values else 0}
            continue
        entry: dict[str, Any] = {"declared": lowered in declared or lowered in ("content-type", "content-length")}
        if lowered in declared or lowered in ("allow", "content-type"):
            entry["value"] = values[0][:VALUE_LIMIT] if values else ""
        headers[lowered] = entry
    return headers


def _body_facts(tiers: SpecTiers, response_tokens: list[str], content: bytes) -> tuple[dict[str, Any] | None, set[str]]:
    if not content:
        return None, set()
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return {"json": False}, set()
    content = tiers.walk([*response_tokens, "content"]).node
    if not isinstance(content, Mapping) or "application/json" not in content:
        return {"json": True, "pointers": {}}, set()
    media = tiers.walk([*response_tokens, "content", "application/json"])
    facts = ShapeFacts(tiers)
    facts.walk([*media.tokens, "schema"], body)
    return {"json": True, "pointers": facts.facts}, facts.reached


def read_observations(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Every observation line of the files, oldest first within each; a malformed line is a ValueError."""
    lines: list[dict[str, Any]] = []
    for path in paths:
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not text.strip():
                continue
            try:
                line = json.loads(text)
            except ValueError as error:
                raise ValueError(f"{path}:{number}: not a JSON line ({error})") from None
            if not isinstance(line, dict) or "api" not in line or "verdicts" not in line:
                raise ValueError(f"{path}:{number}: not an observation (no api or verdicts)")
            lines.append(line)
    return lines
