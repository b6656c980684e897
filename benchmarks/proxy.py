"""What `journeymock proxy` adds to a request: client → upstream against client → proxy → upstream, on loopback.

The upstream is the mock serving Jourvex (a fixed clock, so every answer is computed the same way); the proxy
forwards to it with its judge on. The bundled load generator keeps N connections busy against each path in turn,
`--rounds` times, alternating (direct, proxied, direct, proxied, …) so that a shared machine's drift hits both
paths alike. Each path's figures are the medians over its rounds; the added p50/p99 is the median of the rounds'
differences (proxied minus the direct run just before it). Each server gets its own process; on a machine with
few cores the load generator, the proxy and the upstream compete, which the figures include. The server CPU per
request (user + system, from /proc) is the steadiest figure: it does not depend on how busy the machine was.

With `--record` the proxy also records every exchange (`journeymock proxy --record` into a temporary directory,
removed afterwards), and the report says how many entries the recording holds once the proxy has shut down.

The servers run the build `--build` names, as `benchmarks.run` does: the wheel users install (compiled where
possible; the default) or the checkout's plain Python.

`python -m benchmarks.proxy [--connections 16] [--duration 10] [--rounds 3] [--record] [--build wheel|checkout]`
prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.build import add_build_option, journeymock_python
from benchmarks.loadgen import LoadSpec, run_load
from benchmarks.procs import Server, choose_pinning, free_port, start_server, stop_server, tree_cpu_s
from benchmarks.stats import LoadResult, median
from benchmarks.targets import journeymock_entry
from mockserver.vendors import TEST_HEADERS, TEST_NOW

JOURNEY_PREFIX = "/api/journey/cluster_bench_"


def measure(
    connections: int,
    duration_s: float,
    *,
    rounds: int = 1,
    record: bool = False,
    python: Path = Path(sys.executable),
) -> dict[str, object]:
    """`python`: the interpreter whose journeymock serves both paths (this one by default)."""
    with tempfile.TemporaryDirectory(prefix="journeymock-bench-record-") as scratch:
        recording = Path(scratch) if record else None
        report = _measure(connections, duration_s, rounds, recording, journeymock_entry(python))
        if recording is not None:
            report["recorded_entries"] = _recorded_entries(recording)
        return report


def _recorded_entries(directory: Path) -> int:
    """Entries in the recording, read once the proxy has stopped (and its writer has written everything)."""
    return sum(len(json.loads(path.read_text(encoding="utf-8"))["log"]["entries"]) for path in directory.rglob("*.har"))


def _measure(
    connections: int, duration_s: float, rounds: int, recording: Path | None, entry: Sequence[str]
) -> dict[str, object]:
    pinning = choose_pinning(enabled=False)
    headers = dict(TEST_HEADERS["jourvex"])
    upstream_port, proxy_port = free_port(), free_port()
    environment = {**os.environ, "JOURVEX_BASE_URL": f"http://127.0.0.1:{upstream_port}"}

    def start(command: str, port: int) -> Server:
        argv = [*entry, command, "--api", "jourvex", "--port", str(port), "--now", TEST_NOW, "--log-level", "warning"]
        if command == "proxy" and recording is not None:
            argv += ["--record", str(recording)]
        probe = JOURNEY_PREFIX + "probe"
        return start_server(
            command, argv, port=port, probe_path=probe, headers=headers, pinning=pinning, timeout_s=60, env=environment
        )

    runs: list[dict[str, Any]] = []
    upstream = start("serve", upstream_port)
    try:
        proxy = start("proxy", proxy_port)
        try:
            for round_number in range(rounds):
                for name, port in (("direct", upstream_port), ("proxied", proxy_port)):
                    spec = LoadSpec(
                        host="127.0.0.1",
                        port=port,
                        path_prefix=JOURNEY_PREFIX,
                        headers=tuple(headers.items()),
                        connections=connections,
                        duration_s=duration_s,
                        id_tag=f"{name[0]}{round_number}",
                    )
                    cpu_before = {server.name: tree_cpu_s(server.proc.pid) for server in (upstream, proxy)}
                    result = run_load(spec)
                    cpu = {
                        server.name: tree_cpu_s(server.proc.pid) - cpu_before[server.name]
                        for server in (upstream, proxy)
                    }
                    runs.append({"path": name, "round": round_number + 1, "result": result, "cpu_s": cpu})
        finally:
            stop_server(proxy)
    finally:
        stop_server(upstream)
    direct = [run for run in runs if run["path"] == "direct"]
    proxied = [run for run in runs if run["path"] == "proxied"]
    return {
        "recording": recording is not None,
        "connections": connections,
        "duration_s": duration_s,
        "rounds": rounds,
        "direct": _summary(direct, ("serve",)),
        "proxied": _summary(proxied, ("proxy", "serve")),
        "added_p50_ms": _added(direct, proxied, "p50_ms"),
        "added_p99_ms": _added(direct, proxied, "p99_ms"),
        "runs": [{"path": run["path"], "round": run["round"], **run["result"].to_json()} for run in runs],
    }


def _added(direct: Sequence[dict[str, Any]], proxied: Sequence[dict[str, Any]], figure: str) -> float:
    """The median over rounds of proxied minus direct (each proxied run against the direct run just before it)."""
    pairs = zip(direct, proxied, strict=True)
    return round(median([getattr(p["result"], figure) - getattr(d["result"], figure) for d, p in pairs]), 3)


def _summary(runs: Sequence[dict[str, Any]], servers: Sequence[str]) -> dict[str, object]:
    """One path over its rounds: request and error totals, medians of the rest, server CPU per request."""
    results: list[LoadResult] = [run["result"] for run in runs]
    requests = sum(result.requests for result in results)
    summary: dict[str, object] = {
        "method": results[0].method,
        "requests": requests,
        "http_errors": sum(result.http_errors for result in results),
        "socket_errors": sum(result.socket_errors for result in results),
        "rps": round(median([result.rps for result in results]), 1),
        "p50_ms": round(median([result.p50_ms for result in results]), 3),
        "p99_ms": round(median([result.p99_ms for result in results]), 3),
    }
    for server in servers:
        used = sum(run["cpu_s"][server] for run in runs)
        summary[f"{server}_cpu_us_per_request"] = round(used * 1e6 / requests, 1) if requests else None
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="direct and proxied runs, alternating")
    parser.add_argument("--record", action="store_true", help="the proxy records every exchange (HAR)")
    add_build_option(parser)
    arguments = parser.parse_args(argv)
    if arguments.rounds < 1:
        parser.error("--rounds must be at least 1")
    python = journeymock_python(arguments.build, log=lambda text: print(text, file=sys.stderr))
    report = measure(
        arguments.connections, arguments.duration, rounds=arguments.rounds, record=arguments.record, python=python
    )
    report["build"] = arguments.build
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
