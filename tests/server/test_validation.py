"""Request validation details that the served APIs do not show on their own."""

from __future__ import annotations

import pytest

from mockserver.specs import Parameter
from mockserver.validation import Problem, _ParameterCheck, join_messages


@pytest.mark.parametrize(
    ("schema", "checked"),
    [
        ({"type": "string", "minLength": 1}, False),
        ({"type": "string", "description": "an id", "example": "x", "x-journeymock-inferred": "..."}, False),
        ({"type": "string", "minLength": 2}, True),
        ({"type": "string", "pattern": "^[a-z]+$"}, True),
        ({"type": "string", "maxLength": 64}, True),
        ({"type": "integer"}, True),
        ({"minLength": 1}, True),
    ],
)
def test_a_path_schema_is_checked_unless_any_segment_satisfies_it(schema: dict[str, object], checked: bool) -> None:
    assert _ParameterCheck(Parameter("id", "path", True, schema)).checks_value is checked


def test_query_and_header_parameters_are_always_checked() -> None:
    # Unlike a path segment, a query or header value may be empty.
    for location in ("query", "header"):
        check = _ParameterCheck(Parameter("id", location, False, {"type": "string", "minLength": 1}))
        assert check.checks_value
        assert not check.check.is_valid("")


def test_messages_are_joined_once_each() -> None:
    problems = [Problem("body", "slug", "bad"), Problem("body", "slug", "bad"), Problem("body", "name", "long")]
    assert join_messages(str(problem) for problem in problems) == "slug: bad; name: long"
