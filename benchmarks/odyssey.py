"""Odyssey's stores under load: create and read throughput and latency in memory, SQLite and PostgreSQL (one
replica each), read throughput of two replicas over one PostgreSQL against one, and Jourvex reads beside them.

```
.venv/bin/python -m benchmarks.odyssey                     # 5 s per load, all three stores and the replicas
.venv/bin/python -m benchmarks.odyssey --quick --stores memory
```

Each store gets a fresh `journeymock serve --api jourvex --api odyssey` (1 worker) pinned like `benchmarks.run`
(server on the first core, load on the others). Creates: `POST /api/journeys/create`, a new slug per request.
Reads: `GET /api/journeys/{slug}` cycling over the journeys the create load made. Jourvex: `GET /api/journey/{id}`
with new ids, which touches no store, on the same server before the creates (store empty) and after them (full).
The load is always the bundled generator (wrk sends no bodies). The replica comparison runs unpinned, since two
replicas on one pinned core could not differ from one; PostgreSQL itself is never pinned, so it shares the
machine with the servers and the load.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import statistics
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from benchmarks import environment, load, targets
from benchmarks.build import add_build_option, journeymock_python
from benchmarks.loadgen import LoadSpec
from benchmarks.procs import LOOPBACK, Pinning, Server, choose_pinning, free_port, start_server, stop_server, tree_cpu_s
from benchmarks.stats import LoadResult
from mockserver.store import redact_url

STORES = ("memory", "sqlite", "postgresql")
ODYSSEY_HEADERS = (("Authorization", "Bearer odyssey-bench"),)
CREATE_PATH = "/api/journeys/create"
READ_PREFIX = "/api/journeys/"
CREATE_BODY = '{"slug":"{id}","displayName":"Benchmark journey","steps":[{"stepKey":"start","index":0}]}'
URL_ENVS = ("JOURNEYMOCK_BENCH_POSTGRES_URL", "JOURNEYMOCK_TEST_POSTGRES_URL")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def log(message: str) -> None:
    print(f"[odyssey-bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Phase:
    """One load against one server: its figures and the server's CPU per response."""

    result: LoadResult
    cpu_us_per_request: float | None

    def to_json(self) -> dict[str, Any]:
        return {**self.result.to_json(), "cpu_us_per_request": self.cpu_us_per_request}


@dataclass
class StoreResult:
    store: str
    status: str = "ok"
    problem: str | None = None
    phases: dict[str, Phase] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "status": self.status,
            "problem": self.problem,
            "phases": {name: phase.to_json() for name, phase in self.phases.items()},
        }


@dataclass
class ReplicaResult:
    status: str = "ok"
    problem: str | None = None
    journeys: int = 0
    #: Per round: summed req/s and worst p99 over the replicas' loads.
    one: list[LoadResult] = field(default_factory=list)
    two: list[list[LoadResult]] = field(default_factory=list)

    def one_rps(self) -> float:
        return statistics.median(result.rps for result in self.one) if self.one else 0.0

    def two_rps(self) -> float:
        return statistics.median(sum(result.rps for result in pair) for pair in self.two) if self.two else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "problem": self.problem,
            "journeys": self.journeys,
            "one_replica": [result.to_json() for result in self.one],
            "two_replicas": [[result.to_json() for result in pair] for pair in self.two],
            "one_rps_median": round(self.one_rps(), 1),
            "two_rps_median": round(self.two_rps(), 1),
        }


@dataclass(frozen=True)
class Settings:
    duration_s: float
    connections: int
    rounds: int
    postgres_url: str
    #: The interpreter whose journeymock serves (the wheel's, or the checkout's).
    python: Path


def serve_argv(port: int, state: str | None, python: Path) -> list[str]:
    argv = targets.journeymock_argv(python)(port)
    # The same serve command as benchmarks.run, with Odyssey beside Jourvex and the store under test.
    argv[argv.index("--api") : argv.index("--api") + 2] = ["--api", "jourvex", "--api", "odyssey"]
    return [*argv, "--log-level", "warning", *(["--state", state] if state is not None else [])]


def start(name: str, state: str | None, pinning: Pinning, python: Path) -> Server:
    return start_server(
        name,
        serve_argv(port := free_port(), state, python),
        port=port,
        probe_path=f"{targets.JOURNEY_PREFIX}startup",
        headers=dict(targets.HEADERS),
        pinning=pinning,
        timeout_s=60.0,
    )


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new database on the server `admin_url` names, dropped afterwards."""
    name = f"journeymock_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def state_for(store: str, settings: Settings) -> Iterator[str | None]:
    if store == "memory":
        yield None
    elif store == "sqlite":
        with tempfile.TemporaryDirectory(prefix="jm-bench-sqlite-") as folder:
            yield str(Path(folder) / "state.sqlite")
    else:
        with fresh_database(settings.postgres_url) as url:
            yield url


def creates(port: int, connections: int, duration_s: float, tag: str, count: int | None = None) -> LoadSpec:
    return LoadSpec(
        LOOPBACK,
        port,
        CREATE_PATH,
        ODYSSEY_HEADERS,
        connections,
        duration_s,
        max_requests=count,
        id_tag=tag,
        method="POST",
        body_template=CREATE_BODY,
    )


def reads(port: int, connections: int, duration_s: float, tag: str, journeys: int) -> LoadSpec:
    return LoadSpec(
        LOOPBACK, port, READ_PREFIX, ODYSSEY_HEADERS, connections, duration_s, id_tag=tag, id_cycle=journeys
    )


def jourvex_reads(port: int, connections: int, duration_s: float, tag: str) -> LoadSpec:
    return LoadSpec(LOOPBACK, port, targets.JOURNEY_PREFIX, targets.HEADERS, connections, duration_s, id_tag=tag)


def measured(method: load.LoadMethod, server: Server, spec: LoadSpec) -> Phase:
    before = tree_cpu_s(server.proc.pid)
    result = method.run(spec)
    spent = tree_cpu_s(server.proc.pid) - before
    per_request = round(spent / result.requests * 1e6, 1) if result.requests else None
    return Phase(result, per_request)


@contextlib.contextmanager
def running(name: str, state: str | None, pinning: Pinning, python: Path) -> Iterator[Server]:
    server = start(name, state, pinning, python)
    try:
        yield server
    finally:
        stop_server(server)


@contextlib.contextmanager
def failure_recorded(outcome: StoreResult | ReplicaResult, name: str) -> Iterator[None]:
    """A store or server that fails is reported with the reason, and the other measurements go on."""
    try:
        yield
    except (OSError, RuntimeError, psycopg.Error, load.LoadError) as error:
        outcome.status, outcome.problem = "failed", f"{type(error).__name__}: {error}"
        log(f"{name}: {outcome.problem}")


def one_replica(store: str, settings: Settings, method: load.LoadMethod, pinning: Pinning) -> StoreResult:
    outcome = StoreResult(store)
    with (
        failure_recorded(outcome, store),
        state_for(store, settings) as state,
        running(f"odyssey-{store}", state, pinning, settings.python) as server,
    ):
        port, connections, duration = server.port, settings.connections, settings.duration_s
        method.run(creates(port, connections, min(1.0, duration), "w", count=300))  # warm-up
        # Jourvex before and after the store fills: its reads must not depend on what the store holds.
        outcome.phases["jourvex-empty"] = measured(method, server, jourvex_reads(port, connections, duration, "e"))
        made = measured(method, server, creates(port, connections, duration, "c"))
        outcome.phases["create"] = made
        if made.result.http_errors or made.result.socket_errors:
            raise RuntimeError(f"creates failed: {made.result.to_json()}")
        outcome.phases["read"] = measured(method, server, reads(port, connections, duration, "c", made.result.requests))
        outcome.phases["jourvex"] = measured(method, server, jourvex_reads(port, connections, duration, "j"))
    return outcome


def replicas(settings: Settings) -> ReplicaResult:
    """Reads through one replica and through two over one PostgreSQL, alternating, unpinned."""
    unpinned = Pinning((), (), "none")
    method = load.python_method(unpinned)
    outcome = ReplicaResult()
    duration, connections = settings.duration_s, settings.connections
    with (
        failure_recorded(outcome, "replicas"),
        fresh_database(settings.postgres_url) as url,
        running("odyssey-replica-a", url, unpinned, settings.python) as first,
        running("odyssey-replica-b", url, unpinned, settings.python) as second,
        concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool,
    ):
        fill = method.run(creates(first.port, connections, 60.0, "r", count=5000))
        outcome.journeys = fill.requests - fill.http_errors
        if fill.http_errors or fill.socket_errors:
            raise RuntimeError(f"the fill failed: {fill.to_json()}")
        half = max(1, connections // 2)
        for _ in range(settings.rounds):
            outcome.one.append(method.run(reads(first.port, connections, duration, "r", outcome.journeys)))
            pair = [
                pool.submit(method.run, reads(server.port, half, duration, "r", outcome.journeys))
                for server in (first, second)
            ]
            outcome.two.append([future.result() for future in pair])
    return outcome


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:.2f}"  # NaN: no responses


def markdown(stores: list[StoreResult], pair: ReplicaResult | None, meta: dict[str, Any]) -> str:
    env = meta["environment"]
    lines = [
        f"Odyssey stores, {meta['created']} — {env['journeymock_build']}; {env['pinning']}; load: python generator, "
        f"{meta['settings']['connections']} connections, {meta['settings']['duration_s']:g} s per load",
        "",
        "| store | creates/s | create p50 / p99 ms | CPU µs/create | reads/s | read p50 / p99 ms | CPU µs/read "
        "| Jourvex reads/s (CPU µs/read), store empty → full | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for outcome in stores:
        if outcome.status != "ok":
            lines.append(f"| {outcome.store} | {outcome.status}: {outcome.problem} |  |  |  |  |  |  |  |")
            continue
        made, read, empty, jourvex = (outcome.phases[name] for name in ("create", "read", "jourvex-empty", "jourvex"))
        errors = sum(phase.result.http_errors + phase.result.socket_errors for phase in outcome.phases.values())
        lines.append(
            f"| {outcome.store} | {made.result.rps:,.0f} | {_ms(made.result.p50_ms)} / {_ms(made.result.p99_ms)} "
            f"| {made.cpu_us_per_request} | {read.result.rps:,.0f} | {_ms(read.result.p50_ms)} / "
            f"{_ms(read.result.p99_ms)} | {read.cpu_us_per_request} "
            f"| {empty.result.rps:,.0f} ({empty.cpu_us_per_request}) → {jourvex.result.rps:,.0f} "
            f"({jourvex.cpu_us_per_request}) | {errors} |"
        )
    if pair is not None:
        lines += ["", "| PostgreSQL reads, unpinned | req/s (median of rounds) | rounds | p99 ms (worst) | errors |"]
        lines.append("|---|---:|---|---:|---:|")
        if pair.status != "ok":
            lines.append(f"| {pair.status}: {pair.problem} |  |  |  |  |")
        else:
            one_errors = sum(result.http_errors + result.socket_errors for result in pair.one)
            two_errors = sum(result.http_errors + result.socket_errors for p in pair.two for result in p)
            lines.append(
                f"| one replica | {pair.one_rps():,.0f} | {', '.join(f'{r.rps:,.0f}' for r in pair.one)} "
                f"| {max(r.p99_ms for r in pair.one):.2f} | {one_errors} |"
            )
            lines.append(
                f"| two replicas | {pair.two_rps():,.0f} | "
                f"{', '.join(f'{sum(r.rps for r in p):,.0f}' for p in pair.two)} "
                f"| {max(r.p99_ms for p in pair.two for r in p):.2f} | {two_errors} |"
            )
            ratio = pair.two_rps() / pair.one_rps() if pair.one_rps() else float("nan")
            lines += ["", f"Two replicas / one: {ratio:.2f} times ({pair.journeys:,} journeys read in a cycle)."]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.odyssey", description=__doc__.split("\n")[0])
    parser.add_argument("--stores", default=",".join(STORES), help=f"comma-separated, of {', '.join(STORES)}")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load (default 5)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the replica comparison (default 2)")
    parser.add_argument("--no-replicas", action="store_true", help="skip the two-replica comparison")
    parser.add_argument("--postgres-url", help=f"a server to create databases on (default: ${URL_ENVS[0]}, …)")
    parser.add_argument("--quick", action="store_true", help="1 s loads, one round")
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--results-dir", type=Path, default=targets.REPO / "benchmarks" / "results")
    add_build_option(parser)
    args = parser.parse_args(argv)
    unknown = set(args.stores.split(",")) - set(STORES)
    if unknown:
        parser.error(f"unknown stores: {', '.join(sorted(unknown))}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    postgres_url = args.postgres_url or next(
        (os.environ[name] for name in URL_ENVS if os.environ.get(name)), DEFAULT_POSTGRES_URL
    )
    settings = Settings(
        duration_s=1.0 if args.quick else args.duration,
        connections=args.connections,
        rounds=1 if args.quick else args.rounds,
        postgres_url=postgres_url,
        python=journeymock_python(args.build),
    )
    pinning = choose_pinning(not args.no_pin)
    if pinning.enabled:
        os.sched_setaffinity(0, set(pinning.load_cpus))
    method = load.python_method(pinning)
    created = datetime.now(UTC).replace(microsecond=0)
    wanted = [store for store in STORES if store in args.stores.split(",")]
    stores = []
    for store in wanted:
        log(f"{store}: creates, reads, Jourvex reads")
        stores.append(one_replica(store, settings, method, pinning))
    pair = None
    if "postgresql" in wanted and not args.no_replicas:
        log("PostgreSQL: reads through one replica and through two")
        pair = replicas(settings)
    meta: dict[str, Any] = {
        "created": created.isoformat(),
        "command": ["python", "-m", "benchmarks.odyssey", *(argv if argv is not None else sys.argv[1:])],
        "settings": {
            **asdict(settings),
            "postgres_url": redact_url(settings.postgres_url),
            "python": str(settings.python),
        },
        "environment": {
            **environment.describe(targets.REPO, settings.python),
            "pinning": pinning.describe(),
            "load_method": "python",
        },
    }
    table = markdown(stores, pair, meta)
    print(table)
    document = {
        **meta,
        "stores": [outcome.to_json() for outcome in stores],
        "replicas": pair.to_json() if pair else None,
    }
    folder: Path = args.results_dir
    folder.mkdir(parents=True, exist_ok=True)
    stamp = created.strftime("%Y%m%d-%H%M%S")
    for suffix, content in ((".json", json.dumps(document, indent=2) + "\n"), (".md", table)):
        for name in (f"odyssey-{stamp}{suffix}", f"odyssey-latest{suffix}"):
            (folder / name).write_text(content)
    log(f"wrote {folder / f'odyssey-{stamp}.json'} and .md")
    ok = [outcome for outcome in stores if outcome.status == "ok"]
    return 0 if ok and (pair is None or pair.status == "ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
