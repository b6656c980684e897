"""Request and response validation, compiled once per operation from the spec.

Requests: path, query and header parameters (coerced from text by their schema's type) and JSON bodies.
Problems are data (`Problem`), worded for people: `steps[0].index: "x" is not of type "integer"`. A schema may
carry `x-journeymock-invalid-message` with the vendor's own wording for its failure (Odyssey's slug rule).

Responses: every documented status with a JSON schema gets a compiled validator (jsonschema-rs, ~0.1 ms for a
journey body: cheap enough to run per request when `--validate-responses` is on, and always in tests).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, final

import jsonschema_rs

from mockserver import jsonio
from mockserver.errors import QUOTED_PREFIX_LENGTH, quoted
from mockserver.specs import JSONObject, Operation, Parameter

INVALID_MESSAGE_KEY = "x-journeymock-invalid-message"
JSON_MEDIA_TYPES = ("application/json",)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request or response."""

    location: str  # path, query, header, body, response
    pointer: str  # steps[0].index, or the parameter's name
    message: str

    def __str__(self) -> str:
        return f"{self.pointer}: {self.message}" if self.pointer else self.message


@final
@dataclass(init=False)
class ParsedParameters:
    path: Mapping[str, Any]
    query: Mapping[str, Any]
    headers: Mapping[str, Any]

    # An `__init__` of its own: a native class in the compiled build (see `mockserver.exchange`).
    def __init__(self, *, path: Mapping[str, Any], query: Mapping[str, Any], headers: Mapping[str, Any]) -> None:
        self.path = path
        self.query = query
        self.headers = headers


def format_pointer(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class SchemaCheck:
    """One compiled schema, reporting `Problem`s."""

    def __init__(self, schema: JSONObject, location: str, prefix: str = "") -> None:
        self._schema = schema
        self._validator = jsonschema_rs.validator_for(schema, validate_formats=True)
        self._location = location
        self._prefix = prefix
        # The compiled validator's own method: asked on every request, so no Python call in between.
        self.is_valid: Callable[[Any], bool] = self._validator.is_valid

    def problems(self, instance: Any) -> list[Problem]:
        if self._validator.is_valid(instance):
            return []
        found = []
        for error in self._validator.iter_errors(instance):
            pointer = format_pointer(error.instance_path)
            if self._prefix:
                pointer = f"{self._prefix}.{pointer}" if pointer else self._prefix
            found.append(Problem(self._location, pointer, self._message(error)))
        return found

    def _message(self, error: Any) -> str:
        # The subschema that failed is the schema path without its final keyword.
        node: Any = self._schema
        for part in list(error.schema_path)[:-1]:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if isinstance(node, dict) and isinstance(node.get(INVALID_MESSAGE_KEY), str):
            return str(node[INVALID_MESSAGE_KEY])
        return _with_short_instance(str(error.message), error.instance)


#: The longest message a failed schema keyword may produce once its quoted value is shortened.
_MESSAGE_LIMIT = 300


def _with_short_instance(message: str, instance: Any) -> str:
    """jsonschema-rs begins most messages with the offending value as JSON, whole: keep a short prefix of it."""
    rendered = json.dumps(instance, ensure_ascii=False, separators=(",", ":"))
    if len(rendered) > QUOTED_PREFIX_LENGTH + 2 and message.startswith(rendered):
        if isinstance(instance, str):
            head = f"{json.dumps(instance[:QUOTED_PREFIX_LENGTH], ensure_ascii=False)}… ({len(instance)} characters)"
        else:
            head = f"{rendered[:QUOTED_PREFIX_LENGTH]}… ({len(rendered)} characters of JSON)"
        message = head + message[len(rendered) :]
    # Any other message that quotes a value somewhere else is cut rather than echoed whole.
    return message if len(message) <= _MESSAGE_LIMIT else message[:_MESSAGE_LIMIT] + "…"


def join_messages(messages: Iterable[str]) -> str:
    """Messages joined with "; ", each once: several failed keywords of one schema (an empty slug fails both
    `minLength` and `pattern`) can carry the same vendor wording, which is worth saying once."""
    return "; ".join(dict.fromkeys(messages))


class _ParameterCheck:
    def __init__(self, parameter: Parameter) -> None:
        self.parameter = parameter
        self.schema_type = parameter.schema.get("type")
        self.check = SchemaCheck(parameter.schema, parameter.location, parameter.name)
        #: Parameters arrive as text; only these types need converting.
        self.converts = self.schema_type in ("boolean", "integer", "number")
        #: The router only ever yields a non-empty segment, so a path parameter whose schema asks for no more
        #: than that needs no schema check.
        self.checks_value = not (parameter.location == "path" and _asks_only_nonempty_text(parameter.schema))

    def coerce(self, text: str) -> tuple[Any, Problem | None]:
        """Parameters arrive as text; the schema's type says what they mean."""
        kind = self.schema_type
        try:
            if kind == "boolean":
                if text not in ("true", "false"):
                    raise ValueError
                return text == "true", None
            if kind == "integer":
                return int(text), None
            if kind == "number":
                return float(text), None
        except ValueError:
            return text, Problem(self.parameter.location, self.parameter.name, f"{quoted(text)} is not a valid {kind}")
        return text, None


#: Keywords that describe a schema without constraining values.
_ANNOTATIONS = frozenset({"title", "description", "example", "examples", "default", "deprecated", "$comment"})


def _asks_only_nonempty_text(schema: JSONObject) -> bool:
    """Whether every non-empty string satisfies `schema`: `type: string`, at most `minLength: 1`, and
    annotations (including `x-` extensions)."""
    for keyword, value in schema.items():
        if keyword == "type":
            if value != "string":
                return False
        elif keyword == "minLength":
            if not isinstance(value, int) or value > 1:
                return False
        elif keyword not in _ANNOTATIONS and not keyword.startswith("x-"):
            return False
    return schema.get("type") == "string"


class RequestValidator:
    """Checks one operation's parameters and body."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        checks = [_ParameterCheck(parameter) for parameter in operation.parameters]
        # Split by location once: every request walks these lists.
        self._path_checks = [check for check in checks if check.parameter.location == "path"]
        self._query_checks = [check for check in checks if check.parameter.location == "query"]
        self._header_checks = [check for check in checks if check.parameter.location == "header"]
        # Header parameters by name, as ASGI names them (lower-case bytes).
        self._header_keys = {
            check.parameter.name: check.parameter.name.lower().encode("latin-1") for check in self._header_checks
        }
        self._body_check = (
            SchemaCheck(operation.request_schema, "body") if operation.request_schema is not None else None
        )
        self.expects_body = self._body_check is not None

    def parameters(
        self,
        path_params: Mapping[str, str],
        query: Iterable[tuple[str, str]],
        headers: Mapping[bytes, bytes],
    ) -> tuple[ParsedParameters, list[Problem]]:
        """`headers` as ASGI gives them (lower-case names, bytes); values are read as latin-1 text."""
        problems: list[Problem] = []
        path = self._parse(self._path_checks, path_params.get, problems)
        parsed_query: dict[str, Any] = {}
        if self._query_checks:
            query_values: dict[str, list[str]] = {}
            for key, value in query:
                query_values.setdefault(key, []).append(value)
            repeated = [check for check in self._query_checks if len(query_values.get(check.parameter.name, ())) > 1]
            for check in repeated:
                name = check.parameter.name
                problems.append(Problem("query", name, f"query parameter {name} is given more than once"))
            single = [check for check in self._query_checks if check not in repeated]
            parsed_query = self._parse(single, lambda name: query_values.get(name, [None])[0], problems)
        header: dict[str, Any] = {}
        if self._header_checks:
            keys = self._header_keys
            header = self._parse(self._header_checks, lambda name: header_text(headers, keys[name]), problems)
        return ParsedParameters(path=path, query=parsed_query, headers=header), problems

    @staticmethod
    def _parse(
        checks: Sequence[_ParameterCheck], raw_value: Callable[[str], str | None], problems: list[Problem]
    ) -> dict[str, Any]:
        """The values of `checks`' parameters that are present and valid; a problem for each of the others."""
        parsed: dict[str, Any] = {}
        for check in checks:
            parameter = check.parameter
            raw = raw_value(parameter.name)
            if raw is None:
                if parameter.required:
                    problems.append(
                        Problem(
                            parameter.location,
                            parameter.name,
                            f"required {parameter.location} parameter {parameter.name} is missing",
                        )
                    )
                continue
            value: Any = raw
            if check.converts:
                value, problem = check.coerce(raw)
                if problem is not None:
                    problems.append(problem)
                    continue
            if check.checks_value and not check.check.is_valid(value):
                problems.extend(check.check.problems(value))
                continue
            parsed[parameter.name] = value
        return parsed

    def body(self, raw: bytes, content_type: str | None) -> tuple[Any, list[Problem]]:
        """Parse and check a JSON body. An operation without a request body ignores whatever was sent."""
        if self._body_check is None:
            return None, []
        if not raw:
            if self.operation.request_required:
                return None, [Problem("body", "", "a JSON request body is required")]
            return None, []
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if media_type not in JSON_MEDIA_TYPES and not media_type.endswith("+json"):
            shown = media_type or "none"
            return None, [Problem("body", "", f"the body must be sent as application/json (Content-Type was {shown})")]
        try:
            document = jsonio.decode(raw)
        except jsonio.InvalidJson:
            return None, [Problem("body", "", "the body is not valid JSON (or not UTF-8)")]
        return document, self._body_check.problems(document)


def header_text(headers: Mapping[bytes, bytes], name: bytes) -> str | None:
    """A request header's value as text (HTTP header bytes read as latin-1), or None when it was not sent."""
    value = headers.get(name)
    return value.decode("latin-1") if value is not None else None


class ResponseValidator:
    """Checks the mock's own answers against the operation's documented responses."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        self._checks = {
            status: SchemaCheck(response.schema, "response")
            for status, response in operation.responses.items()
            if response.schema is not None
        }

    def problems(self, status: int, body: Any) -> list[Problem]:
        key = str(status)
        if key not in self.operation.responses:
            documented = ", ".join(self.operation.responses)
            return [Problem("response", "", f"status {status} is not documented (documented: {documented})")]
        check = self._checks.get(key)
        return check.problems(body) if check is not None else []
