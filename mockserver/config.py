"""The server's settings, declared once: every option of `journeymock serve`, of the pytest plugin (options and
marker arguments) and of the JSON form that carries them to worker processes is generated from the fields below
(`mockserver.settings`). Parsers raise `ValueError`s whose message says what was expected."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import isodate

from mockserver import settings
from mockserver.clock import day_floor, format_instant, parse_instant
from mockserver.settings import setting
from mockserver.specs import API_NAMES
from mockserver.store import StateLocation, parse_state, state_text
from mockserver.vendors import TEST_NOW

#: Environment variable that hands the configuration to uvicorn worker processes.
CONFIG_ENV: Final = "JOURNEYMOCK_CONFIG"
#: Environment variable holding the admin token (needed for admin calls from non-loopback clients).
ADMIN_TOKEN_ENV: Final = "JOURNEYMOCK_ADMIN_TOKEN"
LOG_LEVELS: Final = ("critical", "error", "warning", "info", "debug")
SERVE_ONLY: Final = frozenset({"serve"})
#: What `journeymock proxy --fallback` may name: the simulation, or no fallback (a 502/504 in the API's shape).
FALLBACKS: Final = ("mock", "none")
NOWHERE: Final = frozenset[str]()


@dataclass(frozen=True)
class TokenRule:
    """One `--token API=VALUE[:scopes][@org]` entry: an explicitly allowed token."""

    api: str
    value: str
    scopes: tuple[str, ...] | None = None
    org_id: str | None = None

    def text(self) -> str:
        """The `API=VALUE[:scopes][@org]` form `parse_token` reads."""
        scopes = ":" + ",".join(self.scopes) if self.scopes is not None else ""
        org = "@" + self.org_id if self.org_id else ""
        return f"{self.api}={self.value}{scopes}{org}"


@dataclass(frozen=True)
class LatencyRange:
    low_ms: float
    high_ms: float


def parse_api(text: str) -> str:
    if text not in API_NAMES:
        raise ValueError(f"unknown API {text!r}: expected one of {', '.join(API_NAMES)}")
    return text


def parse_latency(text: str) -> LatencyRange:
    """`MS` or `MIN-MAX` in milliseconds (an `ms` suffix may follow, as `describe` prints it)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?(?:ms\s*)?", text)
    if not match:
        raise ValueError(f"latency must be MS or MIN-MAX in milliseconds (e.g. 50 or 10-200), got {text!r}")
    low = float(match.group(1))
    high = float(match.group(2)) if match.group(2) is not None else low
    if high < low:
        raise ValueError(f"latency range {text!r} has MAX below MIN")
    return LatencyRange(low, high)


def parse_rate(text: str) -> float:
    """`N/s` (or plain `N`): requests per second, greater than zero."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*s)?\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"rate must be N/s with N > 0 (e.g. 20/s), got {text!r}")
    return float(match.group(1))


def parse_number(text: str, *, what: str, low: float, high: float | None = None, whole: bool = True) -> Any:
    """A number in `[low, high]` (whole unless told otherwise); the error says what was expected."""
    try:
        value: float = int(text) if whole else float(text)
    except ValueError:
        value = math.nan
    if not (value >= low and (high is None or value <= high)):
        kind = "a whole number" if whole else "a number"
        bounds = f"from {low:g} to {high:g}" if high is not None else f"of at least {low:g}"
        raise ValueError(f"{what} must be {kind} {bounds}, got {text!r}")
    return value


def parse_probability(text: str) -> float:
    try:
        return float(parse_number(text, what="error rate", low=0.0, high=1.0, whole=False))
    except ValueError:
        raise ValueError(f"error rate must be a probability between 0 and 1, got {text!r}") from None


def parse_token(text: str) -> TokenRule:
    """`API=VALUE[:scope,scope...][@org]`, e.g. `odyssey=ci-token:journeys:read,journeys:write@org_ci`."""
    api, equals, rest = text.partition("=")
    if not equals or not rest:
        raise ValueError(f"token must be API=VALUE[:scopes][@org], got {text!r}")
    parse_api(api)
    rest, at, org = rest.partition("@")
    value, colon, scope_text = rest.partition(":")
    if not value:
        raise ValueError(f"token {text!r} has an empty VALUE")
    if at and not org:
        raise ValueError(f"token {text!r} has an empty organisation after '@'")
    scopes = tuple(s for s in re.split(r"[,\s]+", scope_text) if s) if colon else None
    return TokenRule(api=api, value=value, scopes=scopes, org_id=org or None)


def parse_seed(value: Any) -> int:
    """A whole number, as text or an int (not a bool or a float: those are mistakes, not seeds)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("expected an integer")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"expected an integer, got {value!r}") from None


def parse_now(value: Any) -> datetime:
    """An instant given as a `datetime` (a marker argument) or ISO 8601 text."""
    if isinstance(value, datetime):
        return parse_instant(value.isoformat())
    if isinstance(value, str):
        return parse_instant(value)
    raise TypeError("expected an ISO 8601 instant, a datetime or 'system'")


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds (`PT2H`, `P1DT30M`, `PT0.5S`). Years and
    months are refused: how long they are depends on the date they start from."""
    try:
        duration = isodate.parse_duration(text.strip())
    except (isodate.ISO8601Error, ValueError):
        duration = None
    if not isinstance(duration, timedelta):
        raise ValueError(f"{text!r} is not an ISO 8601 duration of weeks, days and time; expected e.g. PT2H or P1DT30M")
    return duration


def canonical_apis(names: Iterable[str]) -> tuple[str, ...]:
    """The chosen APIs in their canonical order; at least one."""
    chosen = set(names)
    if not chosen:
        raise ValueError("at least one API is needed")
    return tuple(name for name in API_NAMES if name in chosen)


def coerce_latency(value: Any) -> LatencyRange:
    """Milliseconds as a marker gives them: `50`, `(10, 200)`, or a `LatencyRange`."""
    if isinstance(value, LatencyRange):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_latency(f"{value}")
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        low, high = value
        return parse_latency(f"{low}-{high}")
    raise TypeError("expected milliseconds: a number, 'MIN-MAX' or (MIN, MAX)")


def coerce_token(value: Any) -> TokenRule:
    if isinstance(value, TokenRule):
        return value
    raise TypeError("expected 'API=VALUE[:scopes][@org]' or a TokenRule")


def parse_port(text: str) -> int:
    return int(parse_number(text, what="port", low=0, high=65535))


def parse_workers(text: str) -> int:
    return int(parse_number(text, what="workers", low=1))


def parse_log_level(text: str) -> str:
    if text.lower() not in LOG_LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}, got {text!r}")
    return text.lower()


def parse_host(text: str) -> str:
    """An IP address or a host name to bind (checked here: uvicorn reports a bad one with a traceback)."""
    try:
        ipaddress.ip_address(text.strip("[]"))
        return text
    except ValueError:
        pass
    if not re.fullmatch(
        r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
        text,
    ):
        raise ValueError(f"host must be an IP address or a host name, got {text!r}")
    return text


def parse_directory(text: str) -> Path:
    """An existing directory."""
    if not text.strip() or not Path(text).is_dir():
        raise ValueError(f"{text!r} is not a directory")
    return Path(text)


def _positive_int(text: str) -> int:
    return int(parse_number(text, what="the value", low=1))


def _not_settable(_text: str) -> Any:
    raise ValueError("this setting is not given as an option")


@dataclass(frozen=True)
class ServerConfig:
    """What the mock serves and how: every setting of `journeymock serve` that reaches the app, and of the
    pytest plugin (options and marker). Declared once here; see `mockserver.settings`."""

    seed: int = setting(
        0,
        "seed of every generated journey",
        parse=parse_seed,
        coerce=parse_seed,
        metavar="N",
        always_described=True,
    )
    now: datetime | None = setting(
        None,
        "fix the clock at this ISO 8601 instant, or 'system' for the real time",
        parse=parse_instant,
        format=format_instant,
        coerce=parse_now,
        metavar="ISO8601",
        none="system",
        pytest_default=parse_instant(TEST_NOW),
        always_described=True,
    )
    epoch: datetime | None = setting(
        None,
        "the simulated world's origin, an ISO 8601 instant: journeys have their backstory before it and live on "
        "after it (default: --now when fixed, else the start time rounded down to the day)",
        parse=parse_instant,
        format=format_instant,
        coerce=parse_now,
        metavar="ISO8601",
    )
    apis: tuple[str, ...] = setting(
        API_NAMES,
        f"an API to serve ({', '.join(API_NAMES)}); repeatable",
        parse=parse_api,
        combine=canonical_apis,
        option="--api",
        metavar="NAME",
        repeatable=True,
        always_described=True,
    )
    state_path: StateLocation = setting(
        None,
        "keep created Odyssey journeys in this SQLite file (missing directories are created) or PostgreSQL "
        "database (any libpq URL); ':memory:' for memory",
        parse=parse_state,
        format=state_text,
        option="--state",
        metavar="PATH.sqlite|postgresql://URL",
        invalid_example="/proc/journeymock/state.sqlite",
        places=SERVE_ONLY,
    )
    latency: LatencyRange | None = setting(
        None,
        "add latency to every response, in milliseconds",
        parse=parse_latency,
        format=lambda latency: f"{latency.low_ms:g}-{latency.high_ms:g}ms",
        coerce=coerce_latency,
        metavar="MS|MIN-MAX",
    )
    error_rate: float = setting(
        0.0,
        "answer this fraction of requests with 503 Service Unavailable",
        parse=parse_probability,
        format=lambda rate: f"{rate:g}",
        metavar="P",
    )
    rate_limit: float | None = setting(
        None,
        "answer 429 with Retry-After beyond N requests per second per token",
        parse=parse_rate,
        format=lambda rate: f"{rate:g}/s",
        metavar="N/s",
    )
    tokens: tuple[TokenRule, ...] = setting(
        (),
        "accept only these tokens for API (repeatable); scopes comma-separated",
        parse=parse_token,
        format=lambda rule: rule.text(),
        coerce=coerce_token,
        option="--token",
        metavar="API=VALUE[:scopes][@org]",
        repeatable=True,
    )
    validate_responses: bool = setting(
        False,
        "check every response against the spec (slower; on by default in tests)",
        flag=True,
        pytest_default=True,
        pytest_option="--journeymock-no-validate",
    )
    admin: bool = setting(True, "serve the admin API under /__admin/", flag=True, places=SERVE_ONLY)
    admin_token: str | None = setting(
        None,
        "token that opens the admin API to non-loopback clients",
        parse=_not_settable,
        env=ADMIN_TOKEN_ENV,
        places=NOWHERE,
    )
    replay: Path | None = setting(
        None,
        "answer requests that match a recording of journeymock proxy --record in this directory with the recorded "
        "answer; others are simulated",
        parse=parse_directory,
        metavar="DIR",
        places=SERVE_ONLY,
        invalid_example="/proc/journeymock/no-such-recording",
    )
    journal_size: int = setting(1000, "requests the journal keeps", parse=_positive_int, places=NOWHERE)
    max_body_bytes: int = setting(1024 * 1024, "largest request body accepted", parse=_positive_int, places=NOWHERE)

    def world_epoch(self, started: datetime) -> datetime:
        """The epoch in force: `epoch`, else the fixed `now`, else `started` (the server's start) rounded down to
        the day, so that a restart on the same day shows the same world."""
        return self.epoch or self.now or day_floor(started)

    def to_json(self) -> str:
        return settings.to_json(self)

    @classmethod
    def from_json(cls, text: str) -> ServerConfig:
        return settings.from_json(cls, text)

    def replace(self, **overrides: Any) -> ServerConfig:
        """These settings with marker-style overrides (`seed=7`, `latency="10-50"`, `apis=["jourvex"]`…)."""
        return settings.replace(self, **overrides)

    def describe(self) -> str:
        return settings.describe(self)


@dataclass(frozen=True)
class ServeOptions:
    """How `journeymock serve` runs the app: where it listens and with how many processes."""

    host: str = setting("127.0.0.1", "interface to bind", parse=parse_host, metavar="HOST", places=SERVE_ONLY)
    port: int = setting(8000, "port to bind (0: any free port)", parse=parse_port, metavar="PORT", places=SERVE_ONLY)
    workers: int = setting(
        1,
        "uvicorn worker processes sharing --state",
        parse=parse_workers,
        metavar="N",
        places=SERVE_ONLY,
    )
    log_level: str = setting(
        "info",
        f"log level ({', '.join(LOG_LEVELS)})",
        parse=parse_log_level,
        metavar="LEVEL",
        places=SERVE_ONLY,
    )


def parse_fallback(text: str) -> str:
    if text not in FALLBACKS:
        raise ValueError(f"fallback must be one of {', '.join(FALLBACKS)}, got {text!r}")
    return text


def parse_timeout(text: str) -> float:
    return float(parse_number(text, what="timeout", low=0.001, whole=False))


def parse_path(text: str) -> Path:
    if not text.strip():
        raise ValueError("expected a file or directory path, got an empty one")
    return Path(text)


@dataclass(frozen=True)
class ProxySettings:
    """How `journeymock proxy` treats the exchanges it forwards to the vendors (its own options; where it listens
    is `ServeOptions`, how its fallback simulation behaves is `ServerConfig`)."""

    fallback: str = setting(
        "none",
        "when the upstream is unreachable, too slow or answers 5xx: 'mock' answers from the simulation (marked "
        "x-journeymock-source: mock), 'none' answers 502/504 in the API's error shape",
        parse=parse_fallback,
        metavar="mock|none",
        places=SERVE_ONLY,
    )
    validate_requests: bool = setting(
        False,
        "refuse a request that breaks the documented contract (400, in the API's error shape) instead of forwarding it",
        flag=True,
        places=SERVE_ONLY,
    )
    upstream_timeout: float = setting(
        10.0,
        "seconds to wait for an upstream's answer before giving up on it",
        parse=parse_timeout,
        format=lambda seconds: f"{seconds:g}",
        metavar="S",
        places=SERVE_ONLY,
        invalid_example="0",
    )
    observations: Path | None = setting(
        None,
        "append one observation line per exchange to this file (what journeymock drift reads)",
        parse=parse_path,
        metavar="PATH",
        places=SERVE_ONLY,
        invalid_example="",
    )
    record: Path | None = setting(
        None,
        "write every exchange to HAR 1.2 files in this directory, secrets replaced by stable placeholders",
        parse=parse_path,
        metavar="DIR",
        places=SERVE_ONLY,
        invalid_example="",
    )
