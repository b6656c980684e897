"""Shared helpers for the spec tests: the vendor documents, their JSON examples, and schema walking."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator

from mockserver.specs import API_NAMES, INFERRED_MARK, ApiSpec, load_specs

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
VENDOR_DIR: Final = REPO_ROOT / "docs" / "vendor"

# The headings that open each part of a vendor document; an example belongs to the last one before it.
SECTION_HEADINGS: Final[dict[str, tuple[str, ...]]] = {
    "jourvex": ("Making a request", "Response schema", "Full workflow example"),
    "odyssey": ("The journey model", "Create a journey", "Retrieve a journey", "Update a journey", "Common errors"),
    "yofi": ("Get Journey Data", "Get Journey Predictions"),
}

# Keywords that describe a schema without constraining the instance.
ANNOTATION_KEYWORDS: Final = frozenset(
    {"description", "title", "default", "example", "examples", "deprecated", "readOnly", "writeOnly", "$comment"}
)

Path_ = tuple[str | int, ...]


def vendor_text(api: str) -> str:
    return (VENDOR_DIR / f"{api}.txt").read_text(encoding="utf-8")


def normalize_space(text: str) -> str:
    return " ".join(text.split())


def quote_in_document(quote: str, text: str) -> bool:
    """Whether every ` … `-separated fragment of the quote occurs in the text, in order (whitespace-insensitive)."""
    haystack = normalize_space(text)
    position = 0
    for fragment in quote.split(" … "):
        found = haystack.find(normalize_space(fragment), position)
        if found < 0:
            return False
        position = found + len(fragment)
    return True


# ---------------------------------------------------------------------------------------------------------------
# JSON examples in the vendor documents


@dataclass(frozen=True)
class VendorExample:
    api: str
    section: str  # the heading the example sits under
    role: str  # "request", "response", or the status of a documented error ("404")
    offset: int  # where the JSON starts in the document
    value: Any

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.api, self.section, self.role)


def _opens_example(text: str, start: int) -> bool:
    """An example body starts a line of its own, or is the `-d '...'` body of a curl command."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    return not before.strip() or re.search(r"-d\s+'$", before) is not None


def json_objects(text: str) -> Iterator[tuple[int, int, Any]]:
    """Every non-empty JSON object that opens an example in free text, as (start, end, value), outermost only.

    Tries a JSON decode at every `{` that starts a line or a curl `-d '` body; code (`{token}`, `function() {`)
    fails to decode, and objects inside code (`headers: {...}` in a `fetch` call) do not open a line.
    """
    decoder = json.JSONDecoder()
    position = 0
    while (start := text.find("{", position)) >= 0:
        if not _opens_example(text, start):
            position = start + 1
            continue
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        if isinstance(value, dict) and value:
            yield start, end, value
            position = end
        else:
            position = start + 1


def _section(api: str, text: str, offset: int) -> str:
    best, best_at = "", -1
    for heading in SECTION_HEADINGS[api]:
        for match in re.finditer(rf"^{re.escape(heading)}[ \t]*$", text, re.MULTILINE):
            if best_at < match.start() < offset:
                best, best_at = heading, match.start()
    return best


def _role(text: str, offset: int) -> str:
    before = text[:offset]
    if re.search(r"-d\s+'$", before):  # the body of a curl request
        return "request"
    lines = [line for line in before.splitlines() if line.strip()]
    status = re.search(r"\((\d{3})\)\s*$", lines[-1]) if lines else None
    return status.group(1) if status else "response"


@functools.cache
def vendor_examples(api: str) -> tuple[VendorExample, ...]:
    text = vendor_text(api)
    return tuple(
        VendorExample(api, _section(api, text, start), _role(text, start), start, value)
        for start, _end, value in json_objects(text)
    )


def all_vendor_examples() -> tuple[VendorExample, ...]:
    return tuple(example for api in API_NAMES for example in vendor_examples(api))


# ---------------------------------------------------------------------------------------------------------------
# Documented examples in the specs (through the loader)


@dataclass(frozen=True)
class SpecExample:
    api: str
    operation_id: str
    where: str  # "request" or a response status
    name: str
    value: Any
    schema: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.api}-{self.operation_id}-{self.where}-{self.name}"


def specs() -> dict[str, ApiSpec]:
    return dict(load_specs())


@functools.cache
def spec_examples() -> tuple[SpecExample, ...]:
    """Every named request and response example of every operation, with the schema it documents."""
    found: list[SpecExample] = []
    for api, spec in load_specs().items():
        for operation in spec.operations:
            for name, value in operation.request_examples.items():
                assert operation.request_schema is not None, f"{api} {operation.operation_id}: example, no schema"
                found.append(SpecExample(api, operation.operation_id, "request", name, value, operation.request_schema))
            for status, response in operation.responses.items():
                for name, value in response.examples.items():
                    assert response.schema is not None, f"{api} {operation.operation_id} {status}: no schema"
                    found.append(SpecExample(api, operation.operation_id, status, name, value, response.schema))
    return tuple(found)


def spec_example(api: str, operation_id: str, where: str, name: str) -> SpecExample:
    for example in spec_examples():
        if (example.api, example.operation_id, example.where, example.name) == (api, operation_id, where, name):
            return example
    raise KeyError((api, operation_id, where, name))


# ---------------------------------------------------------------------------------------------------------------
# Schemas and instances


@functools.cache
def _validator_for(schema_json: str) -> Draft202012Validator:
    schema = json.loads(schema_json)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return _validator_for(json.dumps(schema, sort_keys=True))


def errors(schema: dict[str, Any], instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator(schema).iter_errors(instance)
    ]


def iter_members(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every object member at every depth (also inside arrays), parents before children."""
    if isinstance(value, dict):
        for key, member in value.items():
            yield (*path, key), member
            yield from iter_members(member, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_members(item, (*path, index))


def path_pattern(path: Path_) -> str:
    """`("steps", 0, "name")` → `steps[].name`."""
    text = ""
    for part in path:
        text += "[]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def path_label(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def get_at(value: Any, path: Path_) -> Any:
    for part in path:
        value = value[part]
    return value


def deleted(value: Any, path: Path_) -> Any:
    result = copy.deepcopy(value)
    del get_at(result, path[:-1])[path[-1]]
    return result


def replaced(value: Any, path: Path_, new: Any) -> Any:
    result = copy.deepcopy(value)
    get_at(result, path[:-1])[path[-1]] = new
    return result


def other_type_value(value: Any) -> Any:
    """A value of a different JSON type: strings become 123, everything else becomes "text"."""
    return 123 if isinstance(value, str) else "text"


def _applicable(schema: dict[str, Any], instance: Any) -> list[dict[str, Any]]:
    """The schema and the subschemas that apply in place: all of allOf, the accepting branches of oneOf/anyOf."""
    found = [schema]
    for sub in schema.get("allOf", []):
        found += _applicable(sub, instance)
    for keyword in ("oneOf", "anyOf"):
        for sub in schema.get(keyword, []):
            if validator(sub).is_valid(instance):
                found += _applicable(sub, instance)
    return found


def _child_schemas(schema: dict[str, Any], parent: Any, key: str | int) -> list[dict[str, Any]]:
    if isinstance(key, int):
        prefix = schema.get("prefixItems", [])
        if key < len(prefix):
            return [prefix[key]]
        items = schema.get("items")
        return [items] if isinstance(items, dict) else []
    properties = schema.get("properties", {})
    if key in properties:
        return [properties[key]]
    matched = [sub for pattern, sub in schema.get("patternProperties", {}).items() if re.search(pattern, key)]
    if matched:
        return matched
    additional = schema.get("additionalProperties")
    return [additional] if isinstance(additional, dict) else []


def schemas_at(schema: dict[str, Any], instance: Any, path: Path_) -> list[dict[str, Any]]:
    """Every (resolved) schema that describes the value at `path` of a valid `instance`."""
    current = _applicable(schema, instance)
    value = instance
    for part in path:
        children: list[dict[str, Any]] = []
        for sub in current:
            children += _child_schemas(sub, value, part)
        value = value[part]
        current = [found for child in children for found in _applicable(child, value)]
    return current


def is_unconstrained(schemas: list[dict[str, Any]]) -> bool:
    """Deliberately unconstrained: marked inferred, and nothing but annotations in any describing schema."""
    constraining = [
        key for schema in schemas for key in schema if key not in ANNOTATION_KEYWORDS and not key.startswith("x-")
    ]
    return bool(schemas) and not constraining and any(INFERRED_MARK in schema for schema in schemas)


def has_format(schemas: list[dict[str, Any]], name: str) -> bool:
    return any(schema.get("format") == name for schema in schemas)


def count_members(value: Any) -> int:
    """Object members at every depth, counted by the JSON decoder (independently of `iter_members`)."""
    count = 0

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal count
        count += len(pairs)
        return dict(pairs)

    json.loads(json.dumps(value), object_pairs_hook=hook)
    return count


def walk(node: Any, pointer: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every node of a document with its JSON pointer (as a tuple of tokens)."""
    yield pointer, node
    if isinstance(node, dict):
        for key, child in node.items():
            yield from walk(child, (*pointer, str(key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from walk(child, (*pointer, str(index)))


def pointer_text(pointer: tuple[str, ...]) -> str:
    return "#/" + "/".join(token.replace("~", "~0").replace("/", "~1") for token in pointer)


def lookup(document: Any, reference: str) -> Any:
    assert reference.startswith("#/"), reference
    node = document
    for token in reference[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node
