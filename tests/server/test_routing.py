"""The route table: OpenAPI's matching order, and the prefix matcher agreeing with the templates' regexes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mockserver.routing import MethodNotAllowed, NoRoute, RouteMatch, RouteTable, compile_template, decode_segment
from mockserver.specs import load_specs

TEMPLATES = [
    (spec.name, operation.path, operation.method, operation.operation_id)
    for spec in load_specs(("jourvex", "odyssey", "yofi")).values()
    for operation in spec.operations
]
TABLE: RouteTable[str] = RouteTable(TEMPLATES)


def reference_match(method: str, raw_path: str) -> tuple[str, str | None, dict[str, str] | None]:
    """The definition the table implements: templates with more literal segments first, each as its regex."""
    by_template: dict[str, dict[str, str]] = {}
    for _api, template, verb, operation_id in TEMPLATES:
        by_template.setdefault(template, {})[verb] = operation_id
    ordered = sorted(by_template, key=lambda t: -sum(1 for part in t.split("/") if part and "{" not in part))
    for template in ordered:
        found = compile_template(template).match(raw_path)
        if found is None:
            continue
        operation_id = by_template[template].get(method)
        if operation_id is None:
            return ("405", None, None)
        params = {}
        for group, value in found.groupdict().items():
            decoded = decode_segment(value)
            if decoded is None:
                return ("404", None, None)
            params[group] = decoded
        return ("200", operation_id, params)
    return ("404", None, None)


def outcome(method: str, raw_path: str) -> tuple[str, str | None, dict[str, str] | None]:
    match = TABLE.match(method, raw_path)
    if isinstance(match, RouteMatch):
        # The reference knows regex group names (p_<name>); compare values in order.
        return ("200", match.endpoint, {f"p_{name}": value for name, value in match.path_params.items()})
    if isinstance(match, MethodNotAllowed):
        return ("405", None, None)
    assert isinstance(match, NoRoute)
    return ("404", None, None)


SEGMENTS = st.sampled_from(["journey", "create", "predictions", "", "a%2Fb", "%ff", "%C3%A9", "x y", "..", "id_1"])


@st.composite
def paths(draw: st.DrawFn) -> str:
    """Near-misses of the documented paths: placeholders filled, segments appended, dropped or swapped."""
    template = draw(st.sampled_from([path for _api, path, _method, _operation in TEMPLATES]))
    parts = [draw(SEGMENTS) if part.startswith("{") else part for part in template.split("/")]
    edit = draw(st.sampled_from(["none", "append", "drop", "swap"]))
    if edit == "append":
        parts.extend(draw(st.lists(SEGMENTS, min_size=1, max_size=2)))
    elif edit == "drop":
        del parts[draw(st.integers(1, len(parts) - 1))]
    elif edit == "swap":
        parts[draw(st.integers(1, len(parts) - 1))] = draw(SEGMENTS)
    return "/".join(parts)


PATHS = st.one_of(paths(), st.text(alphabet="/apijourneycrt%2F-v3", max_size=40))


@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]), raw_path=PATHS)
def test_the_table_agrees_with_the_templates_regexes(method: str, raw_path: str) -> None:
    assert outcome(method, raw_path) == reference_match(method, raw_path)


def test_concrete_paths_outrank_templates_and_parameters_are_decoded() -> None:
    assert outcome("POST", "/api/journeys/create") == ("200", "createJourney", {})
    assert isinstance(TABLE.match("GET", "/api/journeys/create"), MethodNotAllowed)
    match = TABLE.match("GET", "/data-api/v3/journeys/caf%C3%A9/predictions")
    assert isinstance(match, RouteMatch)
    assert match.path_params == {"journey_id": "café"}
    assert isinstance(TABLE.match("GET", "/api/journey/"), NoRoute)
    assert isinstance(TABLE.match("GET", "/api/journey/a/b"), NoRoute)
    undecodable = TABLE.match("GET", "/api/journey/%ff")
    assert isinstance(undecodable, NoRoute)
    assert "UTF-8" in undecodable.reason
