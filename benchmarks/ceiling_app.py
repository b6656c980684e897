"""The stack's ceiling: bare Starlette on uvicorn returning one pre-serialized journey-sized body.

Same framework, server, event loop and HTTP parser as journeymock, but no routing from a spec, no auth, no
simulation and no serialization per request — what is left is the cost of the stack itself, so journeymock's
req/s divided by this one is the share of the stack's capacity that the mock keeps.

    python -m benchmarks.ceiling_app --port 8001 --body-bytes 2200
    python -m benchmarks.ceiling_app --port 8001 --size-from 8000   # median body of a mock on port 8000
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.bodies import DEFAULT_BODY_BYTES, fixed_body, median_body_bytes
from benchmarks.procs import LOOPBACK

HEALTH = b'{"status":"ok"}'


def make_app(body: bytes) -> Starlette:
    async def journey(request: Request) -> Response:
        return Response(body, media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(HEALTH, media_type="application/json")

    return Starlette(
        routes=[
            Route("/api/journey/{journey_id}", journey),
            Route("/__admin/health", health),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ceiling_app", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, required=True)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--body-bytes", type=int, default=None)
    size.add_argument(
        "--size-from", type=int, metavar="PORT", help="use the median journey body of a mock on this port"
    )
    parser.add_argument("--token", default="jvx_test_bench", help="bearer token for --size-from")
    args = parser.parse_args(argv)
    body_bytes = args.body_bytes or DEFAULT_BODY_BYTES
    if args.size_from is not None:
        auth = {"Authorization": f"Bearer {args.token}"}
        body_bytes = median_body_bytes(args.size_from, "/api/journey/cluster_", auth) or DEFAULT_BODY_BYTES
    # No access log, like journeymock's hot path: a log line per request would halve the figure.
    uvicorn.run(make_app(fixed_body(body_bytes)), host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
