"""Per-request control through `Prefer` (RFC 7240) and Prism's `__name` query fallbacks.

Supported: `code=<status>`, `example=<name>`, `dynamic=true|false`, `seed=<int>`, `archetype=<name>` and
`latency=<ms>`, comma-combinable in one header. Unknown preference names are ignored, as RFC 7240 asks;
a known preference with a value the operation cannot honour is a `PreferenceError` that says what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mockserver.errors import ApiError, quoted
from mockserver.specs import Operation

PREFERENCE_NAMES = ("code", "example", "dynamic", "seed", "archetype", "latency")
QUERY_FALLBACK_PREFIX = "__"


@dataclass(frozen=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool = True
    seed: int | None = None
    archetype: str | None = None
    latency_ms: float | None = None


NO_PREFERENCES = Preferences()


class PreferenceError(ApiError):
    """A `Prefer` value the mock cannot honour (answered 400 in the API's error style)."""

    def __init__(self, message: str) -> None:
        super().__init__(status=400, message=message, control=True)


def split_control_query(query: Iterable[tuple[str, str]]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Separate `__code=…`-style control parameters from the API's own query parameters."""
    own: list[tuple[str, str]] = []
    control: dict[str, str] = {}
    for key, value in query:
        name = key[len(QUERY_FALLBACK_PREFIX) :] if key.startswith(QUERY_FALLBACK_PREFIX) else None
        if name in PREFERENCE_NAMES:
            control[name] = value
        else:
            own.append((key, value))
    return own, control


def parse_prefer_header(header: str | None) -> dict[str, str]:
    """`Prefer: code=404, seed=7` → {"code": "404", "seed": "7"}; only the preference names we support."""
    found: dict[str, str] = {}
    if not header:
        return found
    for item in header.split(","):
        # RFC 7240 allows `; params` after a preference: they never matter here.
        token = item.split(";", 1)[0].strip()
        name, _, value = token.partition("=")
        name = name.strip().lower()
        if name in PREFERENCE_NAMES:
            found[name] = value.strip().strip('"')
    return found


def resolve_preferences(raw: Mapping[str, str], operation: Operation, archetypes: tuple[str, ...]) -> Preferences:
    """Check raw preference values against what this operation can do; `archetypes` are the kinds of journey
    its API can simulate (none for an API whose journeys are what clients create)."""
    if not raw:
        return NO_PREFERENCES
    code = _parse_code(raw["code"], operation) if "code" in raw else None
    example = _parse_example(raw["example"], operation) if "example" in raw else None
    dynamic = _parse_bool("dynamic", raw["dynamic"]) if "dynamic" in raw else True
    seed = _parse_int("seed", raw["seed"]) if "seed" in raw else None
    archetype = _parse_archetype(raw["archetype"], operation, archetypes) if "archetype" in raw else None
    latency = _parse_latency(raw["latency"]) if "latency" in raw else None
    return Preferences(code=code, example=example, dynamic=dynamic, seed=seed, archetype=archetype, latency_ms=latency)


def _parse_code(text: str, operation: Operation) -> int:
    documented = sorted(status for status in operation.responses if status.isdigit())
    if text not in documented:
        raise PreferenceError(
            f"Prefer code={quoted(text)} is not documented for {operation.operation_id}; "
            f"use one of {', '.join(documented)}"
        )
    return int(text)


def _parse_example(name: str, operation: Operation) -> str:
    names = sorted({example for response in operation.responses.values() for example in response.examples})
    if name not in names:
        available = ", ".join(names) if names else "none"
        raise PreferenceError(
            f"Prefer example={quoted(name)} is not an example of {operation.operation_id}; available: {available}"
        )
    return name


def _parse_archetype(name: str, operation: Operation, archetypes: tuple[str, ...]) -> str:
    if name in archetypes:
        return name
    if not archetypes:
        # Accepting it would change nothing: the client's own create request is the whole journey.
        raise PreferenceError(
            f"Prefer archetype={quoted(name)} is not supported: {operation.api} journeys are the ones you create, "
            "so there are no archetypes to choose"
        )
    raise PreferenceError(f"Prefer archetype={quoted(name)} is not supported; use one of {', '.join(archetypes)}")


def _parse_bool(name: str, text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise PreferenceError(f"Prefer {name}={quoted(text)} must be true or false")
    return lowered == "true"


def _parse_int(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise PreferenceError(f"Prefer {name}={quoted(text)} must be an integer") from None


def _parse_latency(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 60_000:
        raise PreferenceError(f"Prefer latency={quoted(text)} must be milliseconds between 0 and 60000")
    return value
