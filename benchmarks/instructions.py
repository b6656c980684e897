"""Instructions per request, counted by valgrind: the ceiling ratio without the machine's noise.

Requests per second on a shared machine drift by tens of percent from one run to the next, even for the same
build. The number of CPU instructions a server executes per request does not: `valgrind --tool=callgrind`
counts them exactly, whatever else the machine is doing. This runs journeymock and the bare Starlette ceiling
app under callgrind, sends each the same sequential requests for distinct journey ids from one keep-alive
client, and reports instructions per request — the difference between a short and a long run divided by the
difference in requests, so start-up and shutdown cancel out — and their ratio. Under valgrind a server runs
~50 times slower, so this takes a couple of minutes.

    python -m benchmarks.instructions                     # 1,000 and 3,000 requests per target
    python -m benchmarks.instructions --requests 500 1500

It is a proxy, not the real thing: it counts work, not time (cache misses, the event loop waiting on the
network and the kernel's part are invisible to it), so its ratio runs a few points above the req/s ratio of
`benchmarks.run` (the README shows both for one build).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks import environment, targets
from benchmarks.bodies import DEFAULT_BODY_BYTES, median_body_bytes
from benchmarks.build import add_build_option, journeymock_python
from benchmarks.procs import LOOPBACK, Pinning, StartError, free_port, start_server, stop_server

_COLLECTED = re.compile(r"Collected : (\d+)")
# Under valgrind start-up takes tens of seconds.
_STARTUP_TIMEOUT_S = 300.0
_NO_PINNING = Pinning((), (), "none")


class InstructionCountError(Exception):
    """valgrind is missing, or a run did not report its count."""


@dataclass(frozen=True)
class Run:
    requests: int
    instructions: int
    body_bytes: int | None


@dataclass(frozen=True)
class Count:
    target: str
    short: Run
    long: Run

    @property
    def per_request(self) -> float:
        return (self.long.instructions - self.short.instructions) / (self.long.requests - self.short.requests)


def _send(port: int, count: int, run: str) -> None:
    """`count` sequential GETs for distinct ids on one keep-alive connection; every answer must be 200."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
    headers = dict(targets.HEADERS)
    try:
        for n in range(count):
            connection.request("GET", f"{targets.JOURNEY_PREFIX}{run}n{n}", headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise InstructionCountError(f"request {n} answered {response.status}")
    finally:
        connection.close()


def count_instructions(name: str, argv_for_port: Callable[[int], list[str]], requests: int, run: str) -> Run:
    """Serve `requests` requests (after the start-up probe and a body-size sample) under callgrind."""
    port = free_port()
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv_for_port(port)]
    # Hash randomisation changes dict layouts, and so the count, by a little; fixed, runs repeat exactly.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    server = start_server(
        name,
        command,
        port=port,
        probe_path=f"{targets.JOURNEY_PREFIX}startup",
        headers=dict(targets.HEADERS),
        pinning=_NO_PINNING,
        timeout_s=_STARTUP_TIMEOUT_S,
        env=env,
        cwd=targets.REPO,
    )
    try:
        body_bytes = median_body_bytes(port, targets.JOURNEY_PREFIX, dict(targets.HEADERS))
        _send(port, requests, run)
        server.proc.send_signal(signal.SIGINT)  # a clean exit, so that valgrind reports its total
        server.proc.wait(timeout=120)
        log = server.log_path.read_text(errors="replace")
    finally:
        stop_server(server)
    found = _COLLECTED.search(log)
    if found is None:
        raise InstructionCountError(f"{name}: valgrind reported no count; last lines:\n{log[-800:]}")
    return Run(requests, int(found.group(1)), body_bytes)


def measure(name: str, argv_for_port: Callable[[int], list[str]], requests: tuple[int, int]) -> Count:
    short, long = (count_instructions(name, argv_for_port, count, f"i{index}") for index, count in enumerate(requests))
    return Count(name, short, long)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--requests", type=int, nargs=2, default=(1000, 3000), metavar=("SHORT", "LONG"), help="requests per run"
    )
    add_build_option(parser)
    args = parser.parse_args(argv)
    short, long = args.requests
    if not 0 <= short < long:
        parser.error("--requests SHORT LONG needs 0 <= SHORT < LONG")
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    python = journeymock_python(args.build)
    try:
        mock = measure("journeymock", targets.journeymock_argv(python), (short, long))
        body = mock.long.body_bytes or DEFAULT_BODY_BYTES
        ceiling = measure("ceiling", targets.ceiling(body).command, (short, long))
    except (InstructionCountError, StartError) as error:
        print(f"benchmarks.instructions: {error}", file=sys.stderr)
        return 1
    print(f"Instructions per request (callgrind; {short:,} and {long:,} requests, distinct ids, body {body} B)")
    print(f"journeymock build: {environment.journeymock_build(python)}")
    print()
    print("| target | instructions/request |")
    print("|---|---:|")
    for count in (ceiling, mock):
        print(f"| {count.target} | {count.per_request:,.0f} |")
    print()
    print(f"journeymock/ceiling by instructions: {ceiling.per_request / mock.per_request:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
