"""How invariant checks are declared and run: small registered functions over a JSON body.

A check reads a body as an API returned it and yields one sentence per problem, naming the field. Checks
never raise for a body of the wrong shape: a missing or mistyped field is the schema's to report, so a
check whose inputs are not there is skipped rather than reported twice.

Each check says whether it rests on a journeymock convention (a threshold, a wording, an ordering the
vendor does not document) and whether it needs the clock; `strict=False` skips the former (for live
vendors, which only promise what they document) and `now=None` the latter (a vendor's clock is its own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mockserver.clock import as_utc, parse_instant

__all__ = ["CheckSuite", "Context", "instant", "number", "seconds_between"]

# What reading a malformed body raises; any of these means "the schema will say what is wrong".
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, ZeroDivisionError)


@dataclass(frozen=True)
class Context:
    now: datetime | None
    strict: bool
    journey_id: str | None = None


Check = Callable[[Mapping[str, Any], Context], Iterable[str]]


@dataclass(frozen=True)
class _Registered:
    name: str
    function: Check
    convention: bool
    needs_clock: bool


@dataclass
class CheckSuite:
    """An ordered set of checks for one kind of body."""

    name: str
    _checks: list[_Registered] = field(default_factory=list)

    def check(self, *, convention: bool = False, clock: bool = False) -> Callable[[Check], Check]:
        def register(function: Check) -> Check:
            self._checks.append(_Registered(function.__name__, function, convention, clock))
            return function

        return register

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(check.name for check in self._checks)

    def run(self, body: Mapping[str, Any], context: Context) -> list[str]:
        if not isinstance(body, Mapping):
            return [f"the {self.name} body is not a JSON object"]
        problems: list[str] = []
        for check in self._checks:
            if (check.convention and not context.strict) or (check.needs_clock and context.now is None):
                continue
            try:
                problems.extend(check.function(body, context))
            except _SHAPE_ERRORS:
                continue
        return problems


def instant(value: Any) -> datetime:
    """A date-time field as an aware datetime; ValueError/TypeError for anything else."""
    if not isinstance(value, str):
        raise TypeError(f"not a date-time string: {value!r}")
    return parse_instant(value)


def number(value: Any) -> float:
    """A JSON number (booleans are not numbers here); TypeError for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    return value


def seconds_between(earlier: datetime, later: datetime) -> float:
    return (as_utc(later) - as_utc(earlier)) / timedelta(seconds=1)


#: Integers a double holds exactly.
EXACT_INTEGERS = 2**53


def same_numbers(value: Any) -> Any:
    """Numbers as JSON means them, so comparing what was sent with what came back does not flag a server
    for writing a number another way: `150.0` sent may come back `150`, and an integer beyond 2**53 may come
    back as the nearest double (RFC 8259 §6 warns that many implementations keep numbers as doubles)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= EXACT_INTEGERS:
        return float(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < EXACT_INTEGERS:
        return int(value)
    if isinstance(value, Mapping):
        return {key: same_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(same_numbers(item) for item in value)
    return value
