"""The proxy benchmark measures both paths: every request answered, figures for each, the difference reported."""

from __future__ import annotations

import math

import pytest

from benchmarks.proxy import measure


@pytest.mark.slow
def test_the_proxy_benchmark_measures_both_paths():
    report = measure(connections=2, duration_s=1.0)
    for path in ("direct", "proxied"):
        result = report[path]
        assert isinstance(result, dict)
        assert result["requests"] > 0
        assert result["http_errors"] == 0 and result["socket_errors"] == 0
        assert result["p50_ms"] > 0 and result["p99_ms"] >= result["p50_ms"]
    added = report["added_p50_ms"]
    assert isinstance(added, float) and not math.isnan(added)
