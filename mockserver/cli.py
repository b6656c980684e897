"""The `journeymock` command line (fixed interface: DESIGN.md, section 3)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from contracts.cli import register as register_contracts
from contracts.drift import register as register_drift
from fixtures.cli import register as register_fixtures
from mockserver import __version__, compiled
from mockserver.cliargs import add_api_option, argument_type, selected_apis
from mockserver.clock import parse_instant
from mockserver.config import (
    ServerConfig,
    parse_latency,
    parse_probability,
    parse_rate,
    parse_token,
)
from mockserver.specs import SpecError

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _add_serve(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the mock APIs",
        description="Serve the Jourvex, Odyssey and Yofi journey APIs at their real paths on one port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default: 8000)")
    add_api_option(parser)
    parser.add_argument("--seed", type=int, default=0, help="seed of every generated journey (default: 0)")
    parser.add_argument(
        "--now",
        type=argument_type(parse_instant, "instant"),
        help="fix the clock at this ISO 8601 instant (default: the real time)",
    )
    parser.add_argument("--state", type=Path, metavar="PATH.sqlite", help="keep created journeys in this SQLite file")
    parser.add_argument(
        "--latency", type=argument_type(parse_latency, "latency"), metavar="MS|MIN-MAX", help="add latency"
    )
    parser.add_argument(
        "--error-rate",
        type=argument_type(parse_probability, "probability"),
        default=0.0,
        metavar="P",
        help="answer this fraction of requests with 503 Service Unavailable (default: 0)",
    )
    parser.add_argument(
        "--rate-limit",
        type=argument_type(parse_rate, "rate"),
        metavar="N/s",
        help="answer 429 with Retry-After beyond N requests per second per token",
    )
    parser.add_argument(
        "--token",
        action="append",
        type=argument_type(parse_token, "token"),
        default=[],
        metavar="API=VALUE[:scopes][@org]",
        help="accept only these tokens for API (repeatable); scopes comma-separated",
    )
    parser.add_argument(
        "--validate-responses", action="store_true", help="check every response against the spec (slower)"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default: 1)")
    parser.add_argument("--no-admin", action="store_true", help="do not serve the admin API under /__admin/")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="info", help="log level (default: info)")
    parser.set_defaults(run=_run_serve)


def _run_serve(arguments: argparse.Namespace) -> int:
    from mockserver.server import ServeOptions, serve

    if arguments.workers < 1:
        raise SystemExit("journeymock serve: error: --workers must be at least 1")
    config = ServerConfig(
        apis=selected_apis(arguments.api),
        seed=arguments.seed,
        now=arguments.now,
        state_path=arguments.state,
        latency=arguments.latency,
        error_rate=arguments.error_rate,
        rate_limit=arguments.rate_limit,
        tokens=tuple(arguments.token),
        validate_responses=arguments.validate_responses,
        admin=not arguments.no_admin,
    )
    logging.basicConfig(level=arguments.log_level.upper(), format="%(levelname)s: %(message)s")
    logging.getLogger("journeymock").info("journeymock %s, %s", __version__, compiled.describe())
    serve(
        config,
        ServeOptions(
            host=arguments.host, port=arguments.port, workers=arguments.workers, log_level=arguments.log_level
        ),
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="journeymock",
        description="Mock server, contract tests and fixtures for the Jourvex, Odyssey and Yofi journey APIs.",
    )
    parser.add_argument("--version", action="version", version=f"journeymock {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_serve(subparsers)
    register_contracts(subparsers)
    register_drift(subparsers)
    register_fixtures(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if not hasattr(arguments, "run"):
        parser.print_help()
        return 2
    try:
        return int(arguments.run(arguments))
    except SpecError as error:
        print(f"journeymock: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
