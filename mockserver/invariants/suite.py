"""How invariant checks are declared and run: small registered functions over a JSON body.

A check reads a body as an API returned it and yields one sentence per problem, naming the field. Checks
never raise for a body of the wrong shape: a missing or mistyped field is the schema's to report, so a
check whose inputs are not there is skipped rather than reported twice.

Each check declares its tier beside its code: `documented=` quotes the sentence of the vendor document
(`docs/vendor/<api>.txt`) that backs it, `inferred=` says why journeymock assumes it where the document is
silent (a threshold, a wording, an ordering). The contract runner reports an inferred check a live vendor
breaks as "inference contradicted", not as a failure. `convention=True` marks an inferred check that rests
on a journeymock convention (a threshold, a wording, an ordering); `strict=False` skips those, and
`now=None` the checks that need the clock (a vendor's clock is its own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from mockserver.clock import as_utc, parse_instant

__all__ = ["CheckSuite", "Context", "Finding", "Tier", "instant", "number", "seconds_between"]

Tier = Literal["documented", "inferred"]
#: The reason an inferred check gives when it was declared with `convention=True` only.
CONVENTION_REASON: Final = "a journeymock convention the vendor document does not state"

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
    tier: Tier
    #: The vendor document's sentence (documented) or the inference's reason (inferred).
    basis: str
    #: A journeymock convention (a threshold, a wording): skipped by `strict=False`. Always inferred.
    convention: bool
    needs_clock: bool


@dataclass(frozen=True)
class Finding:
    """One problem a check found, with the check's tier and what the tier rests on."""

    check: str
    tier: Tier
    basis: str
    message: str


@dataclass
class CheckSuite:
    """An ordered set of checks for one kind of body."""

    name: str
    _checks: list[_Registered] = field(default_factory=list)

    def check(
        self,
        *,
        documented: str | None = None,
        inferred: str | None = None,
        convention: bool = False,
        clock: bool = False,
    ) -> Callable[[Check], Check]:
        """Register a check: `documented` quotes the vendor sentence behind it, `inferred` gives the reason
        journeymock assumes it (`convention=True` alone: inferred, with a generic reason)."""
        if documented is not None and (inferred is not None or convention):
            raise ValueError("a check is documented or inferred, not both")
        tier: Tier = "inferred" if inferred is not None or convention else "documented"
        basis = inferred or (CONVENTION_REASON if convention else documented or "")

        def register(function: Check) -> Check:
            self._checks.append(_Registered(function.__name__, function, tier, basis, convention, clock))
            return function

        return register

    def tiers(self) -> dict[str, tuple[Tier, str]]:
        """Each check's tier and the sentence or reason it rests on, by name."""
        return {check.name: (check.tier, check.basis) for check in self._checks}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(check.name for check in self._checks)

    def run(self, body: Mapping[str, Any], context: Context) -> list[str]:
        return [finding.message for finding in self.findings(body, context)]

    def findings(self, body: Mapping[str, Any], context: Context) -> list[Finding]:
        """Every problem with the tier of the check that found it."""
        if not isinstance(body, Mapping):
            return [Finding("body", "documented", "", f"the {self.name} body is not a JSON object")]
        found: list[Finding] = []
        for check in self._checks:
            if (check.convention and not context.strict) or (check.needs_clock and context.now is None):
                continue
            try:
                found.extend(
                    Finding(check.name, check.tier, check.basis, text) for text in check.function(body, context)
                )
            except _SHAPE_ERRORS:
                continue
        return found


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
