"""What `journeymock proxy` adds to a request: client → upstream against client → proxy → upstream, on loopback.

The upstream is the mock serving Jourvex (a fixed clock, so every answer is computed the same way); the proxy
forwards to it with its judge on. The bundled load generator keeps N connections busy against each in turn, and
the report is each path's p50/p99 and the difference. Each server gets its own process; on a machine with few
cores the load generator, the proxy and the upstream compete, which the figures include.

With `--record` the proxy also records every exchange (`journeymock proxy --record` into a temporary directory,
removed afterwards), and the report says how many entries the recording holds.

`python -m benchmarks.proxy [--connections 16] [--duration 10] [--record]` prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.loadgen import LoadSpec, run_load
from benchmarks.procs import Server, choose_pinning, free_port, start_server, stop_server
from mockserver.vendors import TEST_HEADERS, TEST_NOW

JOURNEY_PREFIX = "/api/journey/cluster_bench_"


def _serve(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "mockserver.cli", *arguments, "--now", TEST_NOW, "--log-level", "warning"]


def measure(connections: int, duration_s: float, *, record: bool = False) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="journeymock-bench-record-") as scratch:
        recording = Path(scratch) if record else None
        report = _measure(connections, duration_s, recording)
        if recording is not None:
            report["recorded_entries"] = _recorded_entries(recording)
        return report


def _recorded_entries(directory: Path) -> int:
    """Entries in the recording, read once the proxy has stopped (and its writer has written everything)."""
    return sum(len(json.loads(path.read_text(encoding="utf-8"))["log"]["entries"]) for path in directory.rglob("*.har"))


def _measure(connections: int, duration_s: float, recording: Path | None) -> dict[str, object]:
    pinning = choose_pinning(enabled=False)
    headers = dict(TEST_HEADERS["jourvex"])
    upstream_port, proxy_port = free_port(), free_port()
    environment = {**os.environ, "JOURVEX_BASE_URL": f"http://127.0.0.1:{upstream_port}"}

    def start(command: str, port: int) -> Server:
        argv = _serve(command, "--api", "jourvex", "--port", str(port))
        if command == "proxy" and recording is not None:
            argv += ["--record", str(recording)]
        probe = JOURNEY_PREFIX + "probe"
        return start_server(
            command, argv, port=port, probe_path=probe, headers=headers, pinning=pinning, timeout_s=60, env=environment
        )

    upstream = start("serve", upstream_port)
    try:
        proxy = start("proxy", proxy_port)
        try:
            results = {}
            for name, port in (("direct", upstream_port), ("proxied", proxy_port)):
                spec = LoadSpec(
                    host="127.0.0.1",
                    port=port,
                    path_prefix=JOURNEY_PREFIX,
                    headers=tuple(headers.items()),
                    connections=connections,
                    duration_s=duration_s,
                    id_tag=name[0],
                )
                results[name] = run_load(spec)
        finally:
            stop_server(proxy)
    finally:
        stop_server(upstream)
    direct, proxied = results["direct"], results["proxied"]
    return {
        "recording": recording is not None,
        "connections": connections,
        "duration_s": duration_s,
        "direct": direct.to_json(),
        "proxied": proxied.to_json(),
        "added_p50_ms": round(proxied.p50_ms - direct.p50_ms, 3),
        "added_p99_ms": round(proxied.p99_ms - direct.p99_ms, 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--record", action="store_true", help="the proxy records every exchange (HAR)")
    arguments = parser.parse_args(argv)
    print(json.dumps(measure(arguments.connections, arguments.duration, record=arguments.record), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
