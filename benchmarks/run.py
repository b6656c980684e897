"""Measure journeymock, the stack's ceiling and Prism side by side, in one run, with one load method.

    python -m benchmarks.run [--duration 10] [--runs 3] [--connections 16]
                             [--targets ceiling,journeymock,prism-static,prism-dynamic] [--quick]

Two phases. Profile, one target at a time on a fresh process: start-up (spawn → first 200), the median body
size, RSS idle, then RSS after a fill of distinct ids. Throughput, all targets up at once: interleaved runs
(A1 B1 C1 A2 B2 C2 …) so that a drift of the shared machine hits every target alike, each run with ids never
requested before. The table goes to stdout and, with a JSON document, to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import environment, load, prism, report, targets
from benchmarks.bodies import DEFAULT_BODY_BYTES, median_body_bytes
from benchmarks.build import add_build_option, journeymock_python
from benchmarks.load import LoadError, LoadMethod
from benchmarks.loadgen import LoadSpec
from benchmarks.procs import (
    LOOPBACK,
    Pinning,
    Server,
    StartError,
    choose_pinning,
    free_port,
    start_server,
    stop_server,
    tree_cpu_s,
    tree_rss_mb,
)
from benchmarks.report import TargetResult
from benchmarks.stats import LoadResult
from benchmarks.targets import HEADERS, JOURNEY_PREFIX, Target

PROBE_PATH = f"{JOURNEY_PREFIX}startup"


@dataclass(frozen=True)
class Settings:
    duration_s: float
    runs: int
    connections: int
    latency_connections: int
    warmup_s: float
    fill_ids: int
    fill_cap_s: float
    settle_s: float


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per target (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--latency-connections", type=int, default=16, help="connections for p50/p99")
    parser.add_argument("--targets", default=",".join(targets.TARGET_NAMES), help="comma-separated")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 s, 1 run, 10k ids")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto", help="load method")
    parser.add_argument("--fill-ids", type=int, default=None, help="distinct ids before RSS (default 100k)")
    parser.add_argument("--fill-cap", type=float, default=None, help="time cap of the fill, s (default 60)")
    parser.add_argument("--body-bytes", type=int, default=None, help="ceiling body size (default: measured)")
    parser.add_argument("--prism-version", default=prism.DEFAULT_VERSION)
    parser.add_argument("--prism-max-items", type=int, default=prism.DEFAULT_MAX_ITEMS)
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and load to separate cores")
    parser.add_argument("--results-dir", type=Path, default=targets.REPO / "benchmarks" / "results")
    add_build_option(parser)
    args = parser.parse_args(argv)
    unknown = set(args.targets.split(",")) - set(targets.TARGET_NAMES)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}; known: {', '.join(targets.TARGET_NAMES)}")
    if args.runs < 1 or args.duration <= 0 or args.connections < 1:
        parser.error("--runs, --duration and --connections must be positive")
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    quick = bool(args.quick)
    return Settings(
        duration_s=2.0 if quick else args.duration,
        runs=1 if quick else args.runs,
        connections=args.connections,
        latency_connections=args.latency_connections,
        warmup_s=0.5 if quick else 2.0,
        fill_ids=args.fill_ids or (10_000 if quick else 100_000),
        fill_cap_s=args.fill_cap or (20.0 if quick else 60.0),
        settle_s=0.2 if quick else 1.0,
    )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, settings: Settings, method: LoadMethod, pinning: Pinning) -> None:
        self.settings = settings
        self.method = method
        self.pinning = pinning
        self.filler = load.python_method(pinning)

    def start(self, target: Target, result: TargetResult) -> Server | None:
        port = free_port()
        try:
            server = start_server(
                target.name,
                target.command(port),
                port=port,
                probe_path=PROBE_PATH,
                headers=dict(HEADERS),
                pinning=self.pinning,
                timeout_s=target.startup_timeout_s,
                cwd=targets.REPO,
            )
        except StartError as exc:
            result.fail(f"did not start: {exc}", detail=exc.log_tail)
            log(f"  {target.name}: {result.problem}")
            return None
        except OSError as exc:
            result.fail(f"did not start: {exc}")
            log(f"  {target.name}: {result.problem}")
            return None
        result.startup_s.append(server.startup_s)
        return server

    def spec(self, port: int, connections: int, duration_s: float, tag: str, count: int | None = None) -> LoadSpec:
        return LoadSpec(LOOPBACK, port, JOURNEY_PREFIX, HEADERS, connections, duration_s, count, tag)

    def profile(self, target: Target, result: TargetResult) -> None:
        """Fresh process: start-up, body size, RSS idle, then RSS after `fill_ids` distinct ids."""
        log(f"profile {target.name}")
        server = self.start(target, result)
        if server is None:
            return
        try:
            time.sleep(self.settings.settle_s)
            result.rss_idle_mb = tree_rss_mb(server.proc.pid)
            result.body_bytes = median_body_bytes(server.port, JOURNEY_PREFIX, dict(HEADERS))
            fill = self.spec(
                server.port, self.settings.connections, self.settings.fill_cap_s, "mem", self.settings.fill_ids
            )
            result.fill = self.filler.run(fill)
            time.sleep(self.settings.settle_s)
            result.rss_after_mb = tree_rss_mb(server.proc.pid)
            log(
                f"  start-up {server.startup_s:.2f} s, body {result.body_bytes} B, RSS {result.rss_idle_mb:.1f} → "
                f"{result.rss_after_mb:.1f} MB after {result.fill.requests:,} ids"
            )
        except (LoadError, OSError) as exc:
            result.fail(f"profile failed: {exc}")
        finally:
            stop_server(server)

    def throughput(self, chosen: list[tuple[Target, TargetResult]]) -> None:
        """All targets up at once; warm-up, then interleaved runs with ids never requested before."""
        servers: dict[str, Server] = {}
        try:
            for target, result in chosen:
                log(f"start {target.name}")
                server = self.start(target, result)
                if server is not None:
                    servers[target.name] = server
            live = [(target, result) for target, result in chosen if target.name in servers]
            for target, result in live:
                # Untimed: lets lazy imports, caches of the framework and the JIT (Prism) settle first.
                try:
                    self._load(servers[target.name], self.settings.connections, self.settings.warmup_s, "w")
                except LoadError as exc:
                    result.fail(f"warm-up failed: {exc}")
            for run in range(self.settings.runs):
                for target, result in live:
                    self._measure(target, result, servers[target.name], self.settings.connections, f"r{run}")
            if self.settings.latency_connections != self.settings.connections:
                for target, result in live:
                    conns = self.settings.latency_connections
                    self._measure(target, result, servers[target.name], conns, "lat", latency=True)
        finally:
            for server in servers.values():
                stop_server(server)

    def _load(self, server: Server, connections: int, duration_s: float, tag: str) -> LoadResult:
        return self.method.run(self.spec(server.port, connections, duration_s, tag))

    def _measure(
        self, target: Target, result: TargetResult, server: Server, conns: int, tag: str, latency: bool = False
    ) -> None:
        if result.status != "ok":
            return
        if server.proc.poll() is not None:
            result.fail(f"exited during the run with status {server.proc.returncode}", detail=server.log_tail())
            return
        cpu_before = tree_cpu_s(server.proc.pid)
        try:
            measured = self._load(server, conns, self.settings.duration_s, tag)
        except LoadError as exc:
            result.fail(str(exc))
            return
        cpu_s = tree_cpu_s(server.proc.pid) - cpu_before
        if latency:
            result.latency_runs.append(measured)
        else:
            result.runs.append(measured)
            if measured.requests:
                result.cpu_us_per_request.append(cpu_s * 1e6 / measured.requests)
        log(
            f"  {target.name} {tag}: {measured.rps:,.0f} req/s, p50 {measured.p50_ms:.2f} ms, "
            f"p99 {measured.p99_ms:.2f} ms, errors {measured.http_errors + measured.socket_errors}"
        )
        if measured.requests == 0 or measured.http_errors == measured.requests:
            result.fail(f"no successful responses in run {tag}")


def size_from_journeymock(bench: Bench, python: Path) -> int | None:
    """Median journeymock body, from a short-lived server, when the profile phase did not measure it."""
    probe = TargetResult("journeymock", "size probe")
    server = bench.start(targets.journeymock(python), probe)
    if server is None:
        return None
    try:
        return median_body_bytes(server.port, JOURNEY_PREFIX, dict(HEADERS))
    finally:
        stop_server(server)


def build_targets(args: argparse.Namespace, bench: Bench, python: Path) -> list[tuple[Target, TargetResult]]:
    """Targets in measuring order; journeymock first so that the ceiling can be sized from it."""
    wanted = set(args.targets.split(","))
    chosen: list[tuple[Target, TargetResult]] = []
    body_bytes = args.body_bytes
    if "journeymock" in wanted:
        target = targets.journeymock(python)
        result = TargetResult(target.name, target.label)
        bench.profile(target, result)
        chosen.append((target, result))
        body_bytes = body_bytes or result.body_bytes
    if "ceiling" in wanted:
        if body_bytes is None and "journeymock" not in wanted:
            body_bytes = size_from_journeymock(bench, python)
        if body_bytes is None:
            log(f"journeymock body size unknown: ceiling uses {DEFAULT_BODY_BYTES} B")
        target = targets.ceiling(body_bytes or DEFAULT_BODY_BYTES)
        chosen.insert(0, (target, TargetResult(target.name, target.label)))
    for target in targets.prism_targets(args.prism_version, args.prism_max_items, wanted):
        chosen.append((target, TargetResult(target.name, target.label)))
    for target, result in chosen:
        if target.unavailable:
            result.fail(target.unavailable, status="unavailable")
        elif target.name != "journeymock":
            bench.profile(target, result)
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    pinning = choose_pinning(not args.no_pin)
    if pinning.enabled:
        # This harness polls and reads /proc between runs: keep it off the server's core too.
        os.sched_setaffinity(0, set(pinning.load_cpus))
    method = load.choose(args.load, pinning)
    bench = Bench(settings, method, pinning)
    created = datetime.now(UTC).replace(microsecond=0)
    log(f"load: {method.name}; {pinning.describe()}")
    wanted = set(args.targets.split(","))
    # The journeymock to measure (building its wheel takes a minute): needed to serve, or to size the ceiling.
    needed = "journeymock" in wanted or ("ceiling" in wanted and args.body_bytes is None)
    python = journeymock_python(args.build) if needed else Path(sys.executable)
    if needed:
        log(f"journeymock: {environment.journeymock_build(python)}")
    chosen: list[tuple[Target, TargetResult]] = []
    try:
        chosen = build_targets(args, bench, python)
        bench.throughput([(target, result) for target, result in chosen if result.status == "ok"])
    finally:
        for target, _ in chosen:
            for path in target.scratch:
                path.unlink(missing_ok=True)
    results = [result for _, result in chosen]
    meta = {
        "created": created.isoformat(),
        "command": ["python", "-m", "benchmarks.run", *(argv if argv is not None else sys.argv[1:])],
        "settings": {
            "duration_s": settings.duration_s,
            "runs": settings.runs,
            "connections": settings.connections,
            "latency_connections": settings.latency_connections,
            "warmup_s": settings.warmup_s,
            "fill_ids": settings.fill_ids,
            "fill_cap_s": settings.fill_cap_s,
            "quick": bool(args.quick),
        },
        "environment": {
            **environment.describe(targets.REPO, python),
            "load_method": method.name,
            "pinning": pinning.describe(),
            "prism_version": args.prism_version,
            "prism_max_items": args.prism_max_items,
        },
        "ratios": report.ratios(results),
    }
    table = report.markdown(results, meta)
    print(table)
    json_path, md_path = report.write(results, meta, args.results_dir)
    log(f"wrote {json_path} and {md_path}")
    return 0 if any(result.status == "ok" and result.runs for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
