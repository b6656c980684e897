"""The server's settings: one immutable object, parsed from the command line or from the environment of a
worker process. Parsing errors are `ValueError`s whose message says what was expected."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from mockserver.clock import format_instant, parse_instant
from mockserver.specs import API_NAMES
from mockserver.store import StateLocation, parse_state, state_text

#: Environment variable that hands the configuration to uvicorn worker processes.
CONFIG_ENV = "JOURNEYMOCK_CONFIG"
#: Environment variable holding the admin token (needed for admin calls from non-loopback clients).
ADMIN_TOKEN_ENV = "JOURNEYMOCK_ADMIN_TOKEN"


@dataclass(frozen=True)
class TokenRule:
    """One `--token API=VALUE[:scopes][@org]` entry: an explicitly allowed token."""

    api: str
    value: str
    scopes: tuple[str, ...] | None = None
    org_id: str | None = None


@dataclass(frozen=True)
class LatencyRange:
    low_ms: float
    high_ms: float


@dataclass(frozen=True)
class ServerConfig:
    apis: tuple[str, ...] = API_NAMES
    seed: int = 0
    now: datetime | None = None
    #: `--state`: None (memory), a SQLite file, or a PostgreSQL database (`DatabaseUrl`).
    state_path: StateLocation = None
    latency: LatencyRange | None = None
    error_rate: float = 0.0
    rate_limit: float | None = None
    tokens: tuple[TokenRule, ...] = ()
    validate_responses: bool = False
    admin: bool = True
    admin_token: str | None = None
    journal_size: int = 1000
    max_body_bytes: int = 1024 * 1024
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        data["now"] = format_instant(self.now) if self.now else None
        data["state_path"] = state_text(self.state_path)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> ServerConfig:
        data = json.loads(text)
        return cls(
            apis=tuple(data["apis"]),
            seed=int(data["seed"]),
            now=parse_instant(data["now"]) if data["now"] else None,
            state_path=parse_state(data["state_path"]) if data["state_path"] else None,
            latency=LatencyRange(**data["latency"]) if data["latency"] else None,
            error_rate=float(data["error_rate"]),
            rate_limit=data["rate_limit"],
            tokens=tuple(
                TokenRule(
                    api=rule["api"],
                    value=rule["value"],
                    scopes=tuple(rule["scopes"]) if rule["scopes"] is not None else None,
                    org_id=rule["org_id"],
                )
                for rule in data["tokens"]
            ),
            validate_responses=bool(data["validate_responses"]),
            admin=bool(data["admin"]),
            admin_token=data["admin_token"],
            journal_size=int(data["journal_size"]),
            max_body_bytes=int(data["max_body_bytes"]),
            extra=dict(data["extra"]),
        )


def parse_api(text: str) -> str:
    if text not in API_NAMES:
        raise ValueError(f"unknown API {text!r}: expected one of {', '.join(API_NAMES)}")
    return text


def parse_latency(text: str) -> LatencyRange:
    """`MS` or `MIN-MAX` in milliseconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?", text)
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


def parse_probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"error rate must be a probability between 0 and 1, got {text!r}")
    return value


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
