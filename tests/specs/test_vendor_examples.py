"""The vendor documents' own JSON examples validate against the specs, and the specs carry them verbatim."""

from __future__ import annotations

import hashlib
from typing import Final

import pytest

from mockserver.specs import API_NAMES, load_specs

from ._support import (
    SECTION_HEADINGS,
    VENDOR_DIR,
    VendorExample,
    all_vendor_examples,
    errors,
    json_objects,
    spec_example,
    vendor_examples,
    vendor_text,
)

VENDOR_DIGESTS: Final = {
    "jourvex": "4aa314d129f65604364dd422ee831341a2ebf3c997d17fc47511eaff0e8563db",
    "odyssey": "b69f981db752ec5741c68ae90936b07a4629e8c25351fc2b4414ebf69f896d24",
    "yofi": "401860117bc2156c6c4f83dc0874f4ef471daaa3ba153c15ae413729a23348a9",
}

# How many JSON request/response bodies each document shows. An extractor that finds nothing fails here.
EXPECTED_COUNTS: Final = {"jourvex": 1, "odyssey": 9, "yofi": 2}

# (api, section, role) → the spec examples it is: (operationId, "request" | status, example name).
# The document shows no statuses for successful calls; 201 for Odyssey's create is marked inferred in the spec.
VENDOR_TARGETS: Final[dict[tuple[str, str, str], tuple[tuple[str, str, str], ...]]] = {
    ("jourvex", "Response schema", "response"): (("getJourney", "200", "documented"),),
    ("odyssey", "Create a journey", "request"): (("createJourney", "request", "documented"),),
    ("odyssey", "Create a journey", "response"): (("createJourney", "201", "documented"),),
    ("odyssey", "Retrieve a journey", "response"): (("getJourney", "200", "documented"),),
    ("odyssey", "Update a journey", "request"): (("updateJourney", "request", "documented"),),
    ("odyssey", "Update a journey", "response"): (("updateJourney", "200", "documented"),),
    ("odyssey", "Common errors", "400"): (
        ("createJourney", "400", "invalidSlug"),
        ("updateJourney", "400", "invalidSlug"),
    ),
    ("odyssey", "Common errors", "403"): (
        ("createJourney", "403", "insufficientPermissions"),
        ("updateJourney", "403", "insufficientPermissions"),
    ),
    ("odyssey", "Common errors", "404"): (
        ("getJourney", "404", "journeyNotFound"),
        ("updateJourney", "404", "journeyNotFound"),
    ),
    ("odyssey", "Common errors", "409"): (("createJourney", "409", "slugAlreadyExists"),),
    ("yofi", "Get Journey Data", "response"): (("getJourneyData", "200", "documented"),),
    ("yofi", "Get Journey Predictions", "response"): (("getJourneyPredictions", "200", "documented"),),
}

MAPPED: Final = [
    pytest.param(example, target, id=f"{example.api}-{target[0]}-{target[1]}-{target[2]}")
    for example in all_vendor_examples()
    for target in VENDOR_TARGETS.get(example.key, ())
]


def test_vendor_documents_are_in_the_repository() -> None:
    assert sorted(path.name for path in VENDOR_DIR.glob("*.txt")) == [f"{api}.txt" for api in API_NAMES]
    assert (VENDOR_DIR / "README.md").is_file()


@pytest.mark.parametrize("api", API_NAMES)
def test_vendor_document_is_unedited(api: str) -> None:
    """The copies are verbatim; a new vendor version replaces the file and this digest together."""
    assert hashlib.sha256((VENDOR_DIR / f"{api}.txt").read_bytes()).hexdigest() == VENDOR_DIGESTS[api]


@pytest.mark.parametrize("api", API_NAMES)
def test_each_section_heading_occurs_once(api: str) -> None:
    lines = [line.strip() for line in vendor_text(api).splitlines()]
    for heading in SECTION_HEADINGS[api]:
        assert lines.count(heading) == 1, f"{api}: heading {heading!r} found {lines.count(heading)} times"


@pytest.mark.parametrize("api", API_NAMES)
def test_extractor_finds_every_documented_body(api: str) -> None:
    found = vendor_examples(api)
    assert len(found) == EXPECTED_COUNTS[api], [(example.section, example.role) for example in found]
    keys = [example.key for example in found]
    assert len(set(keys)) == len(keys), f"{api}: two examples under one heading and role: {keys}"
    assert set(keys) == {key for key in VENDOR_TARGETS if key[0] == api}


def test_extractor_ignores_code() -> None:
    text = 'Request\ncurl -H "Authorization: Bearer {token}" \\\n-d \'{"a": 1}\'\nheaders: {\n"b": 2\n}\n{\n"c": 3\n}'
    assert [value for _start, _end, value in json_objects(text)] == [{"a": 1}, {"c": 3}]


@pytest.mark.parametrize(("example", "target"), MAPPED)
def test_vendor_example_validates_against_the_spec(example: VendorExample, target: tuple[str, str, str]) -> None:
    operation_id, where, name = target
    spec_side = spec_example(example.api, operation_id, where, name)
    assert errors(spec_side.schema, example.value) == []


@pytest.mark.parametrize(("example", "target"), MAPPED)
def test_spec_carries_the_vendor_example_verbatim(example: VendorExample, target: tuple[str, str, str]) -> None:
    operation_id, where, name = target
    assert spec_example(example.api, operation_id, where, name).value == example.value


@pytest.mark.parametrize("status", ["400", "403", "404", "409"])
def test_odyssey_error_examples_are_the_documented_messages(status: str) -> None:
    """Every example on every Odyssey response with a documented error body is that body, word for word."""
    (documented,) = [example for example in vendor_examples("odyssey") if example.role == status]
    spec = load_specs()["odyssey"]
    shown = [
        (operation.operation_id, name, value)
        for operation in spec.operations
        if (response := operation.response(status)) is not None
        for name, value in response.examples.items()
    ]
    assert shown, f"no Odyssey operation shows the documented {status} body"
    for operation_id, name, value in shown:
        assert value == documented.value, f"{operation_id} {status} example {name!r}"
    for operation in spec.operations:
        response = operation.response(status)
        if response is not None:
            assert response.schema is not None
            assert errors(response.schema, documented.value) == [], f"{operation.operation_id} {status}"
