"""The route table, compiled once from the specs' paths.

Matching follows Starlette's idea of NONE / PARTIAL / FULL: a path that matches a template but not with this
method is a PARTIAL match (405 with `Allow`), a path no template matches is NONE (404). As OpenAPI asks,
concrete paths are matched before templated ones: `/api/journeys/create` is the create resource (POST only),
never the journey with slug `create`.

What a route leads to is the caller's choice (`T`): the pipeline routes straight to its prepared endpoints,
so a request needs no second lookup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar
from urllib.parse import unquote_to_bytes

T = TypeVar("T")

_PLACEHOLDER = re.compile(r"{([^}/]+)}")


@dataclass(frozen=True, slots=True)
class Route(Generic[T]):
    api: str
    template: str
    pattern: re.Pattern[str]
    endpoints: Mapping[str, T]  # by upper-case method
    literal_segments: int
    #: The template up to its first parameter; every path it matches starts with this.
    prefix: str
    #: For a template whose only parameter is its last segment (`/api/journey/{journey_id}`): that
    #: parameter's name. Such a path matches without the regex: prefix, then one non-empty segment.
    tail_parameter: str | None


class RouteMatch(NamedTuple, Generic[T]):
    route: Route[T]
    endpoint: T
    path_params: Mapping[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    api: str
    allowed: tuple[str, ...]


@dataclass(frozen=True)
class NoRoute:
    path: str
    reason: str = ""


_NOT_UTF8 = "the path is not valid percent-encoded UTF-8"


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


def _tail_parameter(template: str) -> str | None:
    names = _PLACEHOLDER.findall(template)
    if len(names) == 1 and template.endswith("/{" + names[0] + "}"):
        return str(names[0])
    return None


class RouteTable(Generic[T]):
    """Routes `(method, path)` to the endpoint registered for that template and method."""

    def __init__(self, entries: Iterable[tuple[str, str, str, T]]) -> None:
        """`entries`: `(api, path template, upper-case method, endpoint)`, one per operation."""
        by_template: dict[tuple[str, str], dict[str, T]] = {}
        for api, template, method, endpoint in entries:
            by_template.setdefault((api, template), {})[method] = endpoint
        routes = [
            Route(
                api=api,
                template=template,
                pattern=compile_template(template),
                endpoints=endpoints,
                literal_segments=sum(1 for part in template.split("/") if part and "{" not in part),
                prefix=template.split("{", 1)[0],
                tail_parameter=_tail_parameter(template),
            )
            for (api, template), endpoints in by_template.items()
        ]
        self._check_unique(routes)
        self.routes: tuple[Route[T], ...] = tuple(sorted(routes, key=lambda route: -route.literal_segments))
        # A concrete path has every segment literal, so it outranks any template that matches the same path:
        # looking it up first is the OpenAPI order, at the cost of one dict lookup.
        self._concrete = {route.template: route for route in self.routes if "{" not in route.template}
        self._templated = tuple(route for route in self.routes if "{" in route.template)
        self._names: dict[str, dict[str, str]] = {
            route.template: {_group_name(name): name for name in _PLACEHOLDER.findall(route.template)}
            for route in self.routes
        }

    @staticmethod
    def _check_unique(routes: list[Route[T]]) -> None:
        seen: dict[str, str] = {}
        for route in routes:
            if route.template in seen:
                raise ValueError(f"path {route.template} is declared by both {seen[route.template]} and {route.api}")
            seen[route.template] = route.api

    def match(self, method: str, raw_path: str) -> RouteMatch[T] | MethodNotAllowed | NoRoute:
        """Match the path as sent, still percent-encoded (bytes as latin-1 text).

        Segments are split before decoding, so `%2F` stays inside its segment (`/api/journeys%2Fcreate` is no
        route); each parameter is then decoded as strict UTF-8, and one that is not names nothing (404),
        rather than being folded into U+FFFD and colliding with another id.
        """
        concrete = self._concrete.get(raw_path)
        if concrete is not None:
            return self._resolve(concrete, method, {}, raw_path)
        # OpenAPI: the first path that matches is the resource — a method it lacks is 405, never a
        # fall-through to a templated neighbour.
        for route in self._templated:
            if not raw_path.startswith(route.prefix):
                continue
            name = route.tail_parameter
            if name is not None:
                value = raw_path[len(route.prefix) :]
                if not value or "/" in value:
                    continue
                return self._resolve(route, method, {name: value}, raw_path)
            found = route.pattern.match(raw_path)
            if found is not None:
                names = self._names[route.template]
                raw = {names[group]: value for group, value in found.groupdict().items()}
                return self._resolve(route, method, raw, raw_path)
        return NoRoute(path=raw_path)

    @staticmethod
    def _resolve(
        route: Route[T], method: str, raw_params: dict[str, str], raw_path: str
    ) -> RouteMatch[T] | MethodNotAllowed | NoRoute:
        endpoint = route.endpoints.get(method)
        if endpoint is None:
            return MethodNotAllowed(api=route.api, allowed=tuple(sorted(route.endpoints)))
        for name, raw in raw_params.items():
            if "%" in raw or not raw.isascii():
                decoded = decode_segment(raw)
                if decoded is None:
                    return NoRoute(path=raw_path, reason=_NOT_UTF8)
                raw_params[name] = decoded
        return RouteMatch(route, endpoint, raw_params)


def decode_segment(raw: str) -> str | None:
    """A path segment as text: percent-decoded strict UTF-8, or None when its bytes are not UTF-8."""
    if "%" not in raw and raw.isascii():
        return raw
    try:
        return unquote_to_bytes(raw.encode("latin-1")).decode("utf-8")
    except UnicodeDecodeError:
        return None
