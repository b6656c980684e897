"""Each spec is a valid OpenAPI 3.1 document and follows the project's conventions (docs/interfaces.md)."""

from __future__ import annotations

import copy
import importlib
import json
from typing import Any, Final
from urllib.parse import urlsplit

import pytest
from openapi_spec_validator import validate

from mockserver.specs import API_NAMES, INFERRED_MARK, INVARIANTS_MARK, ApiSpec, Operation, load_specs

from ._support import REPO_ROOT, lookup, pointer_text, spec_example, vendor_examples, vendor_text, walk

# The production host each vendor document names.
VENDOR_HOSTS: Final = {
    "jourvex": "api.jourvex.com",
    "odyssey": "odysseylabs.ai",
    "yofi": "server.telemetry.services.yofi.ai",
}
WRITE_SCOPE: Final = "journeys:write"


def _spec(api: str) -> ApiSpec:
    return load_specs()[api]


OPERATIONS: Final = [
    pytest.param(operation, id=f"{api}-{operation.operation_id}")
    for api, spec in load_specs().items()
    for operation in spec.operations
]


def _headers(operation: Operation, status: str) -> dict[str, dict[str, Any]]:
    response = operation.response(status)
    assert response is not None, f"{operation.operation_id} does not document {status}"
    return {name.lower(): header for name, header in response.headers.items()}


@pytest.mark.parametrize("api", API_NAMES)
def test_openapi_spec_validator_accepts(api: str) -> None:
    validate(copy.deepcopy(_spec(api).document))


@pytest.mark.parametrize("api", API_NAMES)
def test_settled_invariants_are_inferred_ones_with_their_evidence(api: str) -> None:
    """`x-journeymock-invariants` (written by `journeymock drift --patch`) records only invariants the code
    declares inferred, each with its code, its inference and the evidence that contradicted it: a documented
    invariant cannot be settled in the spec."""
    records = _spec(api).document.get(INVARIANTS_MARK, {})
    assert isinstance(records, dict)
    declared = importlib.import_module(f"mockserver.invariants.{api}").SUITE.tiers()
    for name, record in records.items():
        assert declared.get(name, ("documented", ""))[0] == "inferred", f"{api}: {name} is no inferred invariant"
        assert record["code"] == f"mockserver/invariants/{api}.py:{name}"
        assert record["state"] == "contradicted" and str(record["inference"]).strip()
        evidence = record["evidence"]
        assert isinstance(evidence["contradictions"], int) and evidence["contradictions"] > 0
        assert isinstance(evidence["first_seen"], str) and evidence["first_seen"] <= evidence["last_seen"]
        assert evidence["checks"] and all(isinstance(check, str) for check in evidence["checks"])
        assert all(isinstance(value, str) for value in evidence["observed"])


@pytest.mark.parametrize("api", API_NAMES)
def test_source_is_the_vendor_document_in_the_repository(api: str) -> None:
    source = _spec(api).document["info"]["x-journeymock-source"]
    assert source == f"docs/vendor/{api}.txt"
    assert (REPO_ROOT / source).is_file()


@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_is_described(operation: Operation) -> None:
    for key in ("operationId", "summary", "description"):
        value = operation.raw.get(key)
        assert isinstance(value, str) and value.strip(), f"{operation.operation_id} has no {key}"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_documents_401_404_429(operation: Operation) -> None:
    assert {"401", "404", "429"} <= set(operation.responses)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_401_says_www_authenticate_and_429_says_retry_after(operation: Operation) -> None:
    authenticate = _headers(operation, "401").get("www-authenticate")
    assert authenticate is not None and authenticate.get("schema", {}).get("type") == "string"
    retry_after = _headers(operation, "429").get("retry-after")
    assert retry_after is not None and retry_after.get("schema", {}).get("type") == "integer"


@pytest.mark.parametrize("operation_id", ["createJourney", "updateJourney"])
def test_odyssey_writes_need_the_write_scope(operation_id: str) -> None:
    assert WRITE_SCOPE in vendor_text("odyssey")
    operation = _spec("odyssey").operation(operation_id)
    assert WRITE_SCOPE in operation.required_scopes
    assert "403" in operation.responses


def test_odyssey_retrieval_needs_no_write_scope() -> None:
    assert WRITE_SCOPE not in _spec("odyssey").operation("getJourney").required_scopes


def test_odyssey_create_links_to_get_and_update_by_slug() -> None:
    spec = _spec("odyssey")
    links = spec.operation("createJourney").raw["responses"]["201"]["links"]
    targets = {link["operationId"]: link["parameters"] for link in links.values()}
    assert targets == {
        "getJourney": {"slug": "$response.body#/slug"},
        "updateJourney": {"slug": "$response.body#/slug"},
    }
    for target in targets:
        assert any(parameter.name == "slug" for parameter in spec.operation(target).parameters)
    created = spec_example("odyssey", "createJourney", "201", "documented").value
    assert created["slug"] == "small-business-grant"


@pytest.mark.parametrize("api", API_NAMES)
def test_servers_are_the_vendor_host_and_loopback(api: str) -> None:
    assert VENDOR_HOSTS[api] in vendor_text(api)
    urls = [urlsplit(server["url"]) for server in _spec(api).document["servers"]]
    assert any(url.scheme == "https" and url.hostname == VENDOR_HOSTS[api] for url in urls), urls
    assert any(url.hostname == "127.0.0.1" for url in urls), urls


@pytest.mark.parametrize("api", API_NAMES)
def test_inferred_marks_explain_themselves(api: str) -> None:
    marks = [
        (pointer, node[INFERRED_MARK])
        for pointer, node in walk(_spec(api).document)
        if isinstance(node, dict) and INFERRED_MARK in node
    ]
    assert marks, f"{api} marks nothing as inferred"
    for pointer, value in marks:
        assert isinstance(value, str) and len(value.strip()) >= 10, f"{pointer_text(pointer)}: {value!r}"


def _reachable_references(document: dict[str, Any]) -> set[str]:
    """Every `$ref` target reachable from outside `components`, plus the security schemes in use."""
    pending = [node for key, node in document.items() if key != "components"]
    reached: set[str] = set()
    while pending:
        for _pointer, node in walk(pending.pop()):
            if isinstance(node, dict):
                reference = node.get("$ref")
                if isinstance(reference, str) and reference not in reached:
                    reached.add(reference)
                    pending.append(lookup(document, reference))
    requirements = list(document.get("security", []))
    for path_item in document["paths"].values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                requirements += operation.get("security", [])
    reached |= {f"#/components/securitySchemes/{name}" for requirement in requirements for name in requirement}
    return reached


@pytest.mark.parametrize("api", API_NAMES)
def test_every_inferred_mark_is_reachable(api: str) -> None:
    document = _spec(api).document
    reached = _reachable_references(document)
    for pointer, node in walk(document):
        if isinstance(node, dict) and INFERRED_MARK in node and pointer[:1] == ("components",):
            where = pointer_text(pointer)
            assert any(where == target or where.startswith(f"{target}/") for target in reached), (
                f"{where} is marked inferred but nothing uses it"
            )


@pytest.mark.parametrize("operation", OPERATIONS)
def test_response_objects_allow_additional_properties(operation: Operation) -> None:
    for status, response in operation.responses.items():
        for pointer, node in walk(response.schema or {}):
            if isinstance(node, dict):
                for keyword in ("additionalProperties", "unevaluatedProperties"):
                    assert node.get(keyword) is not False, f"{status} {pointer_text(pointer)}: {keyword}: false"


def test_odyssey_error_schemas_accept_exactly_the_documented_errors() -> None:
    """The documented error bodies are the strings the specs' 400/403/404/409 examples carry."""
    documented = {
        example.role: example.value["error"] for example in vendor_examples("odyssey") if example.role.isdigit()
    }
    assert set(documented) >= {"400", "403", "404", "409"}
    spec = _spec("odyssey")
    for status in ("400", "403", "404", "409"):
        messages = {
            value["error"]
            for operation in spec.operations
            if (response := operation.response(status)) is not None
            for value in response.examples.values()
        }
        assert messages == {documented[status]}, status


def test_documented_message_templates_give_the_documents_examples():
    # The mock and the contract checks word Odyssey's documented errors from these templates: each, filled in
    # with the example's values, is exactly the example the vendor document shows, and matches the schema.
    import re

    from mockserver.specs import MESSAGE_KEY

    document = _spec("odyssey").document
    schemas = document["components"]["schemas"]
    responses = document["components"]["responses"]
    seen = 0
    for response in responses.values():
        schema_ref = response["content"]["application/json"]["schema"].get("$ref", "")
        error = schemas.get(schema_ref.rsplit("/", 1)[-1], {}).get("properties", {}).get("error", {})
        template = error.get(MESSAGE_KEY)
        if template is None:
            continue
        for example in response["content"]["application/json"]["examples"].values():
            text = example["value"]["error"]
            values = {
                name: re.fullmatch(re.escape(template).replace(re.escape("{" + name + "}"), "(.*)"), text).group(1)
                for name in re.findall(r"{(\w+)}", template)
            }
            assert template.format(**values) == text
            assert json.dumps(text) in vendor_text("odyssey")  # the document shows the JSON string
            if "const" in error:
                assert error["const"] == text
            else:
                assert re.search(error["pattern"], text)
            seen += 1
    assert seen == 3
