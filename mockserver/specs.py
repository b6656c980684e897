"""Loading the three OpenAPI documents: read, check and resolve once, expose to everyone.

This module is the only place that reads `openapi/*.yaml`. It imports no web framework: the server, the
contract tests, the fixtures and the tests all take their view of the APIs from here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast

import jsonschema_rs
import yaml

API_NAMES: Final[tuple[str, ...]] = ("jourvex", "odyssey", "yofi")
HTTP_METHODS: Final[frozenset[str]] = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
INFERRED_MARK: Final = "x-journeymock-inferred"
#: At the document's root: inferred invariants (code in `mockserver/invariants/`) a vendor was seen to
#: contradict, by name, with the evidence (`journeymock drift --patch` writes them; docs/interfaces.md).
INVARIANTS_MARK: Final = "x-journeymock-invariants"
#: On an error body's `error` property: the vendor's documented message as a template (`{slug}`, `{scope}`).
MESSAGE_KEY: Final = "x-journeymock-message"

ParameterLocation = Literal["path", "query", "header", "cookie"]
JSONObject = dict[str, Any]


class SpecError(Exception):
    """A spec document that cannot be used; names the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Parameter:
    name: str
    location: ParameterLocation
    required: bool
    schema: JSONObject


@dataclass(frozen=True)
class ResponseSpec:
    status: str
    description: str
    schema: JSONObject | None
    headers: Mapping[str, JSONObject]
    examples: Mapping[str, Any]


@dataclass(frozen=True)
class SecurityRequirement:
    scheme: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Operation:
    """One operation of one API, with every schema resolved (no `$ref` left)."""

    api: str
    operation_id: str
    method: str  # upper case
    path: str  # the template as written, e.g. /api/journey/{journey_id}
    parameters: tuple[Parameter, ...]
    request_schema: JSONObject | None
    request_required: bool
    request_examples: Mapping[str, Any]
    responses: Mapping[str, ResponseSpec]
    security: tuple[SecurityRequirement, ...]
    raw: JSONObject = field(repr=False)

    @functools.cached_property
    def required_scopes(self) -> tuple[str, ...]:
        # Cached: asked on every request. (A frozen dataclass without slots keeps a cached_property.)
        return tuple(scope for requirement in self.security for scope in requirement.scopes)

    def response(self, status: int | str) -> ResponseSpec | None:
        return self.responses.get(str(status))

    def documented_message(self, status: int, **values: str) -> str | None:
        """The error message the vendor documents for `status`, filled in with `values`: the template is the
        `x-journeymock-message` of the `error` property of that response's schema (None when there is none)."""
        response = self.responses.get(str(status))
        schema = response.schema if response is not None else None
        error = (schema or {}).get("properties", {}).get("error", {})
        template = error.get(MESSAGE_KEY) if isinstance(error, Mapping) else None
        return str(template).format(**values) if template is not None else None


@dataclass(frozen=True)
class ApiSpec:
    """One loaded API document: the text as written (`document`) and the resolved view (`operations`)."""

    name: str
    path: Path
    document: JSONObject = field(repr=False)
    operations: tuple[Operation, ...] = field(repr=False)

    @property
    def title(self) -> str:
        return str(self.document["info"]["title"])

    @functools.cached_property
    def scopes(self) -> frozenset[str]:
        """Every scope an operation of this API requires."""
        return frozenset(scope for operation in self.operations for scope in operation.required_scopes)

    def operation(self, operation_id: str) -> Operation:
        for operation in self.operations:
            if operation.operation_id == operation_id:
                return operation
        raise KeyError(f"{self.name} has no operation {operation_id!r}")

    def component_schema(self, name: str) -> JSONObject:
        """A named component schema with every reference resolved."""
        schemas = self.document.get("components", {}).get("schemas", {})
        if name not in schemas:
            raise KeyError(f"{self.name} has no component schema {name!r}")
        return cast(JSONObject, _Resolver(self.document, self.path).resolve(schemas[name]))


def spec_directory() -> Path:
    """Where the documents are: `openapi/` beside the package in a checkout, inside it when installed."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir.parent / "openapi", package_dir / "openapi"):
        if (candidate / "jourvex.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"no openapi/ directory beside or inside {package_dir}")


def load_spec(name: str, directory: Path | None = None) -> ApiSpec:
    """Read, check and resolve one API's document. Raises SpecError naming the file and the problem."""
    if name not in API_NAMES:
        raise ValueError(f"unknown API {name!r}; expected one of {', '.join(API_NAMES)}")
    path = (directory or spec_directory()) / f"{name}.yaml"
    document = _read_document(path)
    _check_document(path, document)
    operations = tuple(_build_operations(name, path, document))
    _check_operations(path, document, operations)
    return ApiSpec(name=name, path=path, document=document, operations=operations)


@functools.cache
def _load_cached(names: tuple[str, ...]) -> Mapping[str, ApiSpec]:
    return {name: load_spec(name) for name in names}


def load_specs(names: Iterable[str] | None = None) -> Mapping[str, ApiSpec]:
    """The shipped documents, loaded once per process (callers must not mutate them)."""
    chosen = tuple(names) if names is not None else API_NAMES
    unknown = [name for name in chosen if name not in API_NAMES]
    if unknown:
        raise ValueError(f"unknown API {unknown[0]!r}; expected one of {', '.join(API_NAMES)}")
    ordered = tuple(name for name in API_NAMES if name in chosen)
    return _load_cached(ordered)


def _read_document(path: Path) -> JSONObject:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError(path, f"cannot be read ({error.strerror or error})") from error
    try:
        # The C loader is ten times faster and start-up time is a promise; the pure one is the fallback.
        document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise SpecError(path, f"is not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise SpecError(path, "is not an OpenAPI document (top level is not a mapping)")
    return document


def _check_document(path: Path, document: JSONObject) -> None:
    version = str(document.get("openapi", ""))
    if not re.fullmatch(r"3\.1\.\d+", version):
        raise SpecError(path, f"must be OpenAPI 3.1.x, found openapi: {version or '(missing)'!r}")
    for key in ("info", "paths"):
        if not isinstance(document.get(key), dict):
            raise SpecError(path, f"has no {key!r} mapping")
    schemas = document.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        # Checked as written: each schema once, a broken one named itself rather than through its users.
        try:
            jsonschema_rs.meta.validate(schema)
        except jsonschema_rs.ValidationError as error:
            where = "".join(f".{part}" for part in error.instance_path)
            raise SpecError(path, f"components.schemas.{name}{where} is not a valid schema: {error.message}") from error


class _Resolver:
    """Inlines local `$ref`s. Our documents have no recursive schemas, so inlining terminates; a cycle is an error."""

    def __init__(self, document: JSONObject, path: Path) -> None:
        self._document = document
        self._path = path

    def lookup(self, reference: str) -> Any:
        if not reference.startswith("#/"):
            raise SpecError(self._path, f"only local references are supported, found {reference!r}")
        node: Any = self._document
        for token in reference[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or token not in node:
                raise SpecError(self._path, f"reference {reference!r} points at nothing")
            node = node[token]
        return node

    def resolve(self, node: Any, seen: tuple[str, ...] = ()) -> Any:
        if isinstance(node, dict):
            if "$ref" in node and isinstance(node["$ref"], str):
                reference = node["$ref"]
                if reference in seen:
                    raise SpecError(self._path, f"reference cycle through {reference!r}")
                target = self.resolve(self.lookup(reference), (*seen, reference))
                siblings = {key: value for key, value in node.items() if key != "$ref"}
                if not siblings:
                    return target
                if not isinstance(target, dict):
                    raise SpecError(self._path, f"{reference!r} has sibling keys but is not an object")
                # OpenAPI 3.1 lets a $ref carry siblings (description, default...): they refine the target.
                return {**target, **self.resolve(siblings, seen)}
            return {key: self.resolve(value, seen) for key, value in node.items()}
        if isinstance(node, list):
            return [self.resolve(item, seen) for item in node]
        return node


def _iter_raw_operations(document: JSONObject) -> Iterator[tuple[str, str, JSONObject, JSONObject]]:
    for path_template, path_item in document["paths"].items():
        for method, raw in path_item.items():
            if method in HTTP_METHODS:
                yield path_template, method, path_item, raw


def _build_operations(api: str, path: Path, document: JSONObject) -> Iterator[Operation]:
    resolver = _Resolver(document, path)
    default_security = document.get("security", [])
    for path_template, method, path_item, raw in _iter_raw_operations(document):
        where = f"{method.upper()} {path_template}"
        operation_id = raw.get("operationId")
        if not isinstance(operation_id, str) or not operation_id:
            raise SpecError(path, f"{where} has no operationId")
        merged: dict[tuple[str, str], JSONObject] = {}
        for parameter in [*path_item.get("parameters", []), *raw.get("parameters", [])]:
            resolved = resolver.resolve(parameter)
            merged[(resolved["name"], resolved["in"])] = resolved
        parameters = tuple(
            Parameter(
                name=item["name"],
                location=item["in"],
                required=bool(item.get("required", item["in"] == "path")),
                schema=item.get("schema", {}),
            )
            for item in merged.values()
        )
        for placeholder in re.findall(r"{([^}]+)}", path_template):
            if (placeholder, "path") not in merged:
                raise SpecError(path, f"{where}: path parameter {placeholder!r} is not declared")
        body = resolver.resolve(raw.get("requestBody", {}))
        body_media = body.get("content", {}).get("application/json", {})
        responses: dict[str, ResponseSpec] = {}
        for status, response in raw.get("responses", {}).items():
            resolved_response = resolver.resolve(response)
            media = resolved_response.get("content", {}).get("application/json", {})
            responses[str(status)] = ResponseSpec(
                status=str(status),
                description=resolved_response.get("description", ""),
                schema=media.get("schema"),
                headers=resolved_response.get("headers", {}),
                examples={name: example.get("value") for name, example in media.get("examples", {}).items()},
            )
        security = tuple(
            SecurityRequirement(scheme=scheme, scopes=tuple(scopes))
            for requirement in raw.get("security", default_security) or []
            for scheme, scopes in requirement.items()
        )
        yield Operation(
            api=api,
            operation_id=operation_id,
            method=method.upper(),
            path=path_template,
            parameters=parameters,
            request_schema=body_media.get("schema"),
            request_required=bool(body.get("required", False)),
            request_examples={name: example.get("value") for name, example in body_media.get("examples", {}).items()},
            responses=responses,
            security=security,
            raw=raw,
        )


def _check_operations(path: Path, document: JSONObject, operations: tuple[Operation, ...]) -> None:
    seen: set[str] = set()
    for operation in operations:
        if operation.operation_id in seen:
            raise SpecError(path, f"operationId {operation.operation_id!r} is used twice")
        seen.add(operation.operation_id)
    schemes = document.get("components", {}).get("securitySchemes", {})
    for operation in operations:
        for requirement in operation.security:
            if requirement.scheme not in schemes:
                raise SpecError(path, f"{operation.operation_id}: unknown security scheme {requirement.scheme!r}")
        for status, response in operation.raw.get("responses", {}).items():
            for link_name, link in response.get("links", {}).items():
                target = link.get("operationId")
                if target is not None and target not in seen:
                    raise SpecError(
                        path,
                        f"{operation.operation_id} response {status} link {link_name!r} "
                        f"names unknown operationId {target!r}",
                    )
