"""The result of one load run, and the few statistics the figures need."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method); NaN for no values."""
    if not values:
        return math.nan
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile out of range: {pct}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured, in the same units whichever load method produced it."""

    method: str
    connections: int
    duration_s: float
    # Responses received in full, whatever their status.
    requests: int
    # Responses with status >= 400 (wrk's definition of a status error, kept for both methods).
    http_errors: int
    # Connect/read/write failures and time-outs: requests that got no response.
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        # NaN (no responses at all) is not JSON: write null.
        for key in ("p50_ms", "p99_ms"):
            if math.isnan(data[key]):
                data[key] = None
        data["rps"] = round(self.rps, 1)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadResult:
        return cls(
            method=str(data["method"]),
            connections=int(data["connections"]),
            duration_s=float(data["duration_s"]),
            requests=int(data["requests"]),
            http_errors=int(data["http_errors"]),
            socket_errors=int(data["socket_errors"]),
            p50_ms=math.nan if data["p50_ms"] is None else float(data["p50_ms"]),
            p99_ms=math.nan if data["p99_ms"] is None else float(data["p99_ms"]),
        )
