"""The route table, compiled once from the specs' paths.

Matching follows Starlette's idea of NONE / PARTIAL / FULL: a path that matches a template but not with this
method is a PARTIAL match (405 with `Allow`), a path no template matches is NONE (404). As OpenAPI asks,
concrete paths are matched before templated ones: `/api/journeys/create` is the create resource (POST only),
never the journey with slug `create`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote_to_bytes

from mockserver.specs import ApiSpec, Operation

_PLACEHOLDER = re.compile(r"{([^}/]+)}")


@dataclass(frozen=True)
class Route:
    api: str
    template: str
    pattern: re.Pattern[str]
    operations: Mapping[str, Operation]  # by upper-case method
    literal_segments: int


class RouteMatch(NamedTuple):
    route: Route
    operation: Operation
    path_params: Mapping[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    api: str
    allowed: tuple[str, ...]


@dataclass(frozen=True)
class NoRoute:
    path: str
    reason: str = ""


def compile_template(template: str) -> re.Pattern[str]:
    """`/api/journey/{journey_id}` → a regex with one named group per parameter; a parameter is one segment."""
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        parts.append(f"(?P<{_group_name(match.group(1))}>[^/]+)")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts) + r"\Z")


def _group_name(parameter: str) -> str:
    # Parameter names may hold characters a regex group cannot; the table maps them back.
    return "p_" + re.sub(r"\W", "_", parameter)


class RouteTable:
    def __init__(self, specs: Iterable[ApiSpec]) -> None:
        by_template: dict[tuple[str, str], dict[str, Operation]] = {}
        for spec in specs:
            for operation in spec.operations:
                by_template.setdefault((spec.name, operation.path), {})[operation.method] = operation
        routes = [
            Route(
                api=api,
                template=template,
                pattern=compile_template(template),
                operations=operations,
                literal_segments=sum(1 for part in template.split("/") if part and "{" not in part),
            )
            for (api, template), operations in by_template.items()
        ]
        self._check_unique(routes)
        self.routes: tuple[Route, ...] = tuple(sorted(routes, key=lambda route: -route.literal_segments))
        self._names: dict[str, dict[str, str]] = {
            route.template: {_group_name(name): name for name in _PLACEHOLDER.findall(route.template)}
            for route in self.routes
        }

    @staticmethod
    def _check_unique(routes: list[Route]) -> None:
        seen: dict[str, str] = {}
        for route in routes:
            if route.template in seen:
                raise ValueError(f"path {route.template} is declared by both {seen[route.template]} and {route.api}")
            seen[route.template] = route.api

    def match(self, method: str, raw_path: str) -> RouteMatch | MethodNotAllowed | NoRoute:
        """Match the path as sent, still percent-encoded (bytes as latin-1 text).

        Segments are split before decoding, so `%2F` stays inside its segment (`/api/journeys%2Fcreate` is no
        route); each parameter is then decoded as strict UTF-8, and one that is not names nothing (404),
        rather than being folded into U+FFFD and colliding with another id.
        """
        # OpenAPI: concrete paths are matched before templated ones, and the first path that matches is the
        # resource — a method it lacks is 405, never a fall-through to a templated neighbour.
        for route in self.routes:
            found = route.pattern.match(raw_path)
            if found is None:
                continue
            operation = route.operations.get(method)
            if operation is None:
                return MethodNotAllowed(api=route.api, allowed=tuple(sorted(route.operations)))
            names = self._names[route.template]
            params: dict[str, str] = {}
            for group, value in found.groupdict().items():
                decoded = decode_segment(value)
                if decoded is None:
                    return NoRoute(path=raw_path, reason="the path is not valid percent-encoded UTF-8")
                params[names[group]] = decoded
            return RouteMatch(route=route, operation=operation, path_params=params)
        return NoRoute(path=raw_path)


def decode_segment(raw: str) -> str | None:
    """A path segment as text: percent-decoded strict UTF-8, or None when its bytes are not UTF-8."""
    if "%" not in raw and raw.isascii():
        return raw
    try:
        return unquote_to_bytes(raw.encode("latin-1")).decode("utf-8")
    except UnicodeDecodeError:
        return None
