"""The proxy benchmark measures both paths: every request answered, figures for each, the difference reported."""

from __future__ import annotations

import math

import pytest

from benchmarks.proxy import measure


@pytest.mark.slow
def test_the_proxy_benchmark_measures_both_paths():
    report = measure(connections=2, duration_s=0.5, rounds=2)
    for path in ("direct", "proxied"):
        result = report[path]
        assert isinstance(result, dict)
        assert result["requests"] > 0
        assert result["http_errors"] == 0 and result["socket_errors"] == 0
        assert result["p50_ms"] > 0 and result["p99_ms"] >= result["p50_ms"]
        assert result["serve_cpu_us_per_request"] > 0
    assert report["proxied"]["proxy_cpu_us_per_request"] > 0
    # Alternating rounds: direct, proxied, direct, proxied.
    assert [(run["path"], run["round"]) for run in report["runs"]] == [
        ("direct", 1),
        ("proxied", 1),
        ("direct", 2),
        ("proxied", 2),
    ]
    added = report["added_p50_ms"]
    assert isinstance(added, float) and not math.isnan(added)
    assert report["recording"] is False and "recorded_entries" not in report


@pytest.mark.slow
def test_the_proxy_benchmark_with_recording_keeps_every_exchange():
    report = measure(connections=2, duration_s=1.0, record=True)
    proxied = report["proxied"]
    assert isinstance(proxied, dict) and proxied["http_errors"] == 0
    # Every exchange the load made is in the recording once the proxy has shut down (plus the start-up probes).
    recorded = report["recorded_entries"]
    assert isinstance(recorded, int) and recorded >= proxied["requests"] > 0
