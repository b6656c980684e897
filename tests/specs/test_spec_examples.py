"""Every `example` and `examples` written anywhere in a spec validates against the schema it sits beside.

The documents are walked, not listed: request bodies, responses, parameters, headers and schema-level examples
are all found the same way. Schema references are resolved through the loader (`ApiSpec.component_schema`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import pytest

from mockserver.specs import API_NAMES, ApiSpec, load_specs

from ._support import errors, lookup, pointer_text, spec_examples, walk

SCHEMA_PREFIX: Final = "#/components/schemas/"

# At least this many examples are written in each document (parameters included), so an empty walk fails.
MINIMUM_FOUND: Final = {"jourvex": 2, "odyssey": 10, "yofi": 5}


@dataclass(frozen=True)
class WrittenExample:
    api: str
    pointer: str  # where the example is written
    value: Any
    schema: dict[str, Any]  # resolved

    @property
    def id(self) -> str:
        return f"{self.api}:{self.pointer.removeprefix('#/')}"


def resolve_schema(spec: ApiSpec, node: Any) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            reference = node["$ref"]
            assert reference.startswith(SCHEMA_PREFIX), f"unexpected schema reference {reference!r}"
            target = spec.component_schema(reference.removeprefix(SCHEMA_PREFIX))
            siblings = {key: resolve_schema(spec, value) for key, value in node.items() if key != "$ref"}
            return {**target, **siblings}
        return {key: resolve_schema(spec, value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve_schema(spec, item) for item in node]
    return node


def _carriers(document: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    for pointer, node in walk(document):
        if not isinstance(node, dict) or not ({"example", "examples"} & node.keys()):
            continue
        if pointer and pointer[-1] in ("properties", "patternProperties"):
            continue  # a property that happens to be called "example"
        if any(token.startswith("x-") for token in pointer):
            continue
        yield pointer, node


def written_examples(api: str) -> list[WrittenExample]:
    spec = load_specs()[api]
    document = spec.document
    found: list[WrittenExample] = []
    for pointer, node in _carriers(document):
        where = pointer_text(pointer)
        if "schema" in node:  # a media type, parameter or header object
            schema = resolve_schema(spec, node["schema"])
            if "example" in node:
                found.append(WrittenExample(api, f"{where}/example", node["example"], schema))
            for name, example in node.get("examples", {}).items():
                if isinstance(example.get("$ref"), str):
                    example = lookup(document, example["$ref"])
                assert "value" in example, f"{where}/examples/{name} has no inline value"
                found.append(WrittenExample(api, f"{where}/examples/{name}", example["value"], schema))
        else:  # a schema object with its own examples
            schema = resolve_schema(spec, node)
            if "example" in node:
                found.append(WrittenExample(api, f"{where}/example", node["example"], schema))
            examples = node.get("examples", [])
            assert isinstance(examples, list), f"{where}/examples must be a list in a schema"
            found += [
                WrittenExample(api, f"{where}/examples/{index}", value, schema) for index, value in enumerate(examples)
            ]
    return found


ALL_WRITTEN: Final = [example for api in API_NAMES for example in written_examples(api)]


@pytest.mark.parametrize("example", ALL_WRITTEN, ids=lambda example: example.id)
def test_written_example_validates(example: WrittenExample) -> None:
    assert errors(example.schema, example.value) == []


@pytest.mark.parametrize("api", API_NAMES)
def test_walk_finds_every_example(api: str) -> None:
    found = [example for example in ALL_WRITTEN if example.api == api]
    assert len(found) >= MINIMUM_FOUND[api], [example.pointer for example in found]
    assert any("/parameters/" in example.pointer for example in found), "no parameter example found"
    # Every example the loader exposes on an operation was found by the walk.
    walked = {json.dumps(example.value, sort_keys=True) for example in found}
    for exposed in spec_examples():
        if exposed.api == api:
            assert json.dumps(exposed.value, sort_keys=True) in walked, exposed.id


def test_walk_sees_examples_nested_in_schemas() -> None:
    document = {
        "paths": {},
        "components": {
            "schemas": {"Thing": {"type": "object", "properties": {"example": {"type": "string", "examples": ["a"]}}}}
        },
    }
    assert [pointer_text(pointer) for pointer, _node in _carriers(document)] == [
        "#/components/schemas/Thing/properties/example"
    ]
