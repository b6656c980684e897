"""The schemas are as strict as the vendor documents: mutations generated from every documented example.

For every request and response example in the specs (which are the vendors' examples, see
test_vendor_examples.py), every object member at every depth is
  (a) deleted: rejected, unless the vendor document makes the member optional (OPTIONAL_MEMBERS, with the quote);
      a member listed there must be accepted when missing;
  (b) given a value of another JSON type: rejected, unless its schema is deliberately unconstrained (marked
      inferred and constraining nothing), and then accepted;
  (c) if its schema is `format: date-time`, replaced by "not-a-date": rejected.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

import pytest

from ._support import (
    Path_,
    SpecExample,
    count_members,
    deleted,
    errors,
    has_format,
    is_unconstrained,
    iter_members,
    other_type_value,
    path_label,
    path_pattern,
    quote_in_document,
    replaced,
    schemas_at,
    spec_example,
    spec_examples,
    vendor_text,
)


@dataclass(frozen=True)
class OptionalMembers:
    api: str
    operation_id: str
    where: str  # "request" or a response status
    members: tuple[str, ...]  # path patterns, `[]` for any array index
    quote: str  # from the vendor document; ` … ` separates fragments that occur in this order


STEP_ATTRIBUTES_QUOTE: Final = (
    "Each step requires stepKey,index, and optionallyname,stepType,readingLevel,fieldCount, andrequiredArtifacts."
)
STEP_OPTIONALS: Final = ("steps[].name", "steps[].stepType", "steps[].fieldCount")

# The only members a documented example shows that may be missing. Steps in responses: a step created without
# `name`, `stepType` or `fieldCount` cannot show them, so responses do not require them either.
OPTIONAL_MEMBERS: Final = (
    OptionalMembers(
        "odyssey",
        "createJourney",
        "request",
        ("sourceSystem", "allowedOrigins", "steps"),
        "Create a journey … Optional attributes … Name sourceSystem- Type … Name allowedOrigins- Type"
        " … Name steps- Type … Request curl -X POST",
    ),
    OptionalMembers("odyssey", "createJourney", "request", STEP_OPTIONALS, STEP_ATTRIBUTES_QUOTE),
    OptionalMembers("odyssey", "createJourney", "201", STEP_OPTIONALS, STEP_ATTRIBUTES_QUOTE),
    OptionalMembers("odyssey", "getJourney", "200", STEP_OPTIONALS, STEP_ATTRIBUTES_QUOTE),
    OptionalMembers("odyssey", "updateJourney", "200", ("steps[].name", "steps[].stepType"), STEP_ATTRIBUTES_QUOTE),
    OptionalMembers(
        "odyssey",
        "updateJourney",
        "request",
        ("displayName", "allowedOrigins"),
        "Update a journey … Optional attributes … Name displayName- Type … Name allowedOrigins- Type"
        " … Request curl -X PUT",
    ),
    OptionalMembers(
        "yofi",
        "getJourneyData",
        "200",
        ("data[].attributes.predictions",),
        "fields[journeys]string · enumOptional The additional fields of the journey to be returned."
        " Example: predictions",
    ),
)

DATE_TIME_LIKE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _optional(example: SpecExample, path: Path_) -> OptionalMembers | None:
    pattern = path_pattern(path)
    where = (example.api, example.operation_id, example.where)
    for entry in OPTIONAL_MEMBERS:
        if (entry.api, entry.operation_id, entry.where) == where and pattern in entry.members:
            return entry
    return None


@dataclass(frozen=True)
class Mutation:
    example: SpecExample
    kind: str  # "delete", "type" or "date-time"
    path: Path_
    instance: Any
    accept: bool  # what the schema must do with it
    reason: str

    @property
    def id(self) -> str:
        return f"{self.example.id}-{self.kind}-{path_label(self.path)}"


def mutations(example: SpecExample) -> list[Mutation]:
    found: list[Mutation] = []
    for path, value in iter_members(example.value):
        entry = _optional(example, path)
        found.append(
            Mutation(
                example,
                "delete",
                path,
                deleted(example.value, path),
                accept=entry is not None,
                reason=f"optional: {entry.quote!r}" if entry else "the vendor's example shows it",
            )
        )
        schemas = schemas_at(example.schema, example.value, path)
        free = is_unconstrained(schemas)
        found.append(
            Mutation(
                example,
                "type",
                path,
                replaced(example.value, path, other_type_value(value)),
                accept=free,
                reason="deliberately unconstrained" if free else f"the example shows a {type(value).__name__}",
            )
        )
        if isinstance(value, str) and has_format(schemas, "date-time"):
            found.append(
                Mutation(
                    example,
                    "date-time",
                    path,
                    replaced(example.value, path, "not-a-date"),
                    accept=False,
                    reason="format: date-time",
                )
            )
    return found


ALL_MUTATIONS: Final = [mutation for example in spec_examples() for mutation in mutations(example)]


@pytest.mark.parametrize("mutation", ALL_MUTATIONS, ids=lambda mutation: mutation.id)
def test_mutation(mutation: Mutation) -> None:
    found = errors(mutation.example.schema, mutation.instance)
    if mutation.accept:
        assert found == [], f"must be accepted ({mutation.reason})"
    else:
        assert found, f"must be rejected ({mutation.reason}): {json.dumps(mutation.instance)[:300]}"


@pytest.mark.parametrize("example", spec_examples(), ids=lambda example: example.id)
def test_example_itself_is_valid(example: SpecExample) -> None:
    assert errors(example.schema, example.value) == []


@pytest.mark.parametrize("example", spec_examples(), ids=lambda example: example.id)
def test_generator_covers_every_member(example: SpecExample) -> None:
    members = count_members(example.value)
    generated = [mutation for mutation in ALL_MUTATIONS if mutation.example is example]
    assert members >= 1
    assert len([m for m in generated if m.kind == "delete"]) == members
    assert len([m for m in generated if m.kind == "type"]) == members


def test_generator_produces_hundreds_of_cases() -> None:
    assert len(spec_examples()) >= 12
    assert len(ALL_MUTATIONS) >= 450
    assert len([mutation for mutation in ALL_MUTATIONS if mutation.kind == "date-time"]) >= 20
    assert len([mutation for mutation in ALL_MUTATIONS if not mutation.accept]) >= 400


@pytest.mark.parametrize("example", spec_examples(), ids=lambda example: example.id)
def test_every_member_is_declared(example: SpecExample) -> None:
    """No member of a documented example is left to `additionalProperties` by accident."""
    for path, _value in iter_members(example.value):
        assert schemas_at(example.schema, example.value, path), f"{path_label(path)} has no schema"


@pytest.mark.parametrize("example", spec_examples(), ids=lambda example: example.id)
def test_date_times_are_declared_as_date_time(example: SpecExample) -> None:
    for path, value in iter_members(example.value):
        if isinstance(value, str) and DATE_TIME_LIKE.match(value):
            schemas = schemas_at(example.schema, example.value, path)
            assert has_format(schemas, "date-time"), f"{path_label(path)} = {value!r} is not format: date-time"


@pytest.mark.parametrize("entry", OPTIONAL_MEMBERS, ids=lambda entry: f"{entry.api}-{entry.operation_id}")
def test_optional_member_quotes_are_in_the_vendor_document(entry: OptionalMembers) -> None:
    assert quote_in_document(entry.quote, vendor_text(entry.api)), entry.quote


def test_optional_member_table_has_no_stale_entries() -> None:
    used = {
        (m.example.api, m.example.operation_id, m.example.where, path_pattern(m.path))
        for m in ALL_MUTATIONS
        if m.kind == "delete" and m.accept
    }
    for entry in OPTIONAL_MEMBERS:
        for member in entry.members:
            key = (entry.api, entry.operation_id, entry.where, member)
            assert key in used, f"{key} is in no documented example"


# Named cases the schemas must reject.
NAMED_REJECTIONS: Final = [
    pytest.param("jourvex", "getJourney", "200", ("intent", "score"), "88", id="jourvex-intent.score-string"),
    pytest.param("jourvex", "getJourney", "200", ("first_seen",), "2026-05-07 09:14:22", id="jourvex-no-T-no-zone"),
    pytest.param("jourvex", "getJourney", "200", ("sessions", 0, "end"), "2026-02-30T10:00:00Z", id="jourvex-feb-30"),
    pytest.param("jourvex", "getJourney", "200", ("live", "last_event_ts"), "yesterday", id="jourvex-not-a-date"),
    pytest.param("jourvex", "getJourney", "200", ("metrics", "avg_gap_hours"), "28.4", id="jourvex-number-string"),
    pytest.param("odyssey", "createJourney", "request", ("steps", 0, "index"), "0", id="odyssey-create-index-string"),
    pytest.param("odyssey", "createJourney", "201", ("steps", 1, "index"), "1", id="odyssey-created-index-string"),
    pytest.param("odyssey", "getJourney", "200", ("steps", 0, "index"), "0", id="odyssey-get-index-string"),
    pytest.param("odyssey", "updateJourney", "200", ("steps", 0, "index"), "0", id="odyssey-updated-index-string"),
    pytest.param("odyssey", "getJourney", "200", ("createdAt",), "2024-01-15", id="odyssey-date-only"),
    pytest.param("odyssey", "createJourney", "201", ("steps", 0, "updatedAt"), "soon", id="odyssey-step-not-a-date"),
    pytest.param(
        "yofi",
        "getJourneyData",
        "200",
        ("data", 0, "attributes", "predictions", 0, "predicted_value"),
        "1",
        id="yofi-data-predicted_value-string",
    ),
    pytest.param(
        "yofi",
        "getJourneyPredictions",
        "200",
        ("data", 0, "attributes", "predicted_value"),
        "1",
        id="yofi-predictions-predicted_value-string",
    ),
    pytest.param(
        "yofi",
        "getJourneyPredictions",
        "200",
        ("data", 0, "attributes", "created_at"),
        "2025-09-10T03:45:29",
        id="yofi-date-time-without-zone",
    ),
]


@pytest.mark.parametrize(("api", "operation_id", "where", "path", "value"), NAMED_REJECTIONS)
def test_named_rejection(api: str, operation_id: str, where: str, path: Path_, value: Any) -> None:
    example = spec_example(api, operation_id, where, "documented")
    assert errors(example.schema, example.value) == []
    assert errors(example.schema, replaced(example.value, path, value)), f"{path_label(path)} = {value!r}"
