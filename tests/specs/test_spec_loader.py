"""The loader refuses broken documents with an error naming the file and the problem, and loads once."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from mockserver.specs import API_NAMES, SpecError, load_spec, load_specs, spec_directory

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    for name in API_NAMES:
        shutil.copy(spec_directory() / f"{name}.yaml", tmp_path / f"{name}.yaml")
    return tmp_path


def _edit(directory: Path, name: str, change: Edit) -> Path:
    path = directory / f"{name}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _drop_operation_id(document: dict[str, Any]) -> None:
    del document["paths"]["/api/journey/{journey_id}"]["get"]["operationId"]


def _duplicate_operation_id(document: dict[str, Any]) -> None:
    document["paths"]["/api/journeys/{slug}"]["put"]["operationId"] = "getJourney"


def _dangling_reference(document: dict[str, Any]) -> None:
    content = document["paths"]["/data-api/v3/journeys/{journey_id}"]["get"]["responses"]["200"]["content"]
    content["application/json"]["schema"] = {"$ref": "#/components/schemas/NoSuchSchema"}


def _link_to_unknown_operation(document: dict[str, Any]) -> None:
    links = document["paths"]["/api/journeys/create"]["post"]["responses"]["201"]["links"]
    links["GetJourneyBySlug"]["operationId"] = "fetchJourney"


def _openapi_3_0(document: dict[str, Any]) -> None:
    document["openapi"] = "3.0.3"


def _invalid_schema(document: dict[str, Any]) -> None:
    document["components"]["schemas"]["Metrics"]["properties"]["total_sessions"]["type"] = "whole-number"


BROKEN: Final = [
    pytest.param("jourvex", _drop_operation_id, "GET /api/journey/{journey_id} has no operationId", id="no-opid"),
    pytest.param("odyssey", _duplicate_operation_id, "operationId 'getJourney' is used twice", id="dup-opid"),
    pytest.param(
        "yofi",
        _dangling_reference,
        "reference '#/components/schemas/NoSuchSchema' points at nothing",
        id="dangling-ref",
    ),
    pytest.param(
        "odyssey",
        _link_to_unknown_operation,
        "link 'GetJourneyBySlug' names unknown operationId 'fetchJourney'",
        id="bad-link",
    ),
    pytest.param(
        "jourvex",
        _invalid_schema,
        "components.schemas.Metrics.properties.total_sessions.type is not a valid schema",
        id="bad-schema",
    ),
    pytest.param("jourvex", _openapi_3_0, "must be OpenAPI 3.1.x, found openapi: '3.0.3'", id="openapi-3.0"),
]


@pytest.mark.parametrize("name", API_NAMES)
def test_unchanged_copy_loads(spec_copy: Path, name: str) -> None:
    spec = load_spec(name, spec_copy)
    assert spec.path == spec_copy / f"{name}.yaml"
    assert spec.operations


@pytest.mark.parametrize(("name", "change", "problem"), BROKEN)
def test_broken_document_is_refused(spec_copy: Path, name: str, change: Edit, problem: str) -> None:
    path = _edit(spec_copy, name, change)
    with pytest.raises(SpecError) as caught:
        load_spec(name, spec_copy)
    assert caught.value.path == path
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_invalid_yaml_is_refused(spec_copy: Path) -> None:
    path = spec_copy / "odyssey.yaml"
    path.write_text("openapi: 3.1.0\npaths: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec("odyssey", spec_copy)
    assert caught.value.path == path
    assert str(path) in str(caught.value)
    assert "is not valid YAML" in str(caught.value)


def test_unknown_api_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="nope"):
        load_specs(["nope"])
    with pytest.raises(ValueError, match="nope"):
        load_spec("nope")


def test_documents_are_loaded_once() -> None:
    first = load_specs()
    assert load_specs() is first
    assert list(first) == list(API_NAMES)
    assert load_specs(list(reversed(API_NAMES))) is first
