"""The `journeymock` command line (fixed interface: docs/interfaces.md)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from journeymock.contracts.cli import register as register_contracts
from journeymock.contracts.drift import register as register_drift
from journeymock.fixtures.cli import register as register_fixtures
from mockserver import __version__, compiled, settings
from mockserver.cliargs import CommandParser, Subparsers, UsageError, command_subparsers
from mockserver.config import ServeOptions, ServerConfig
from mockserver.specs import SpecError
from mockserver.store import StoreError


def _add_serve(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the mock APIs",
        description="Serve the Jourvex, Odyssey and Yofi journey APIs at their real paths on one port.",
    )
    settings.add_options(parser, ServeOptions)
    settings.add_options(parser, ServerConfig)
    parser.set_defaults(run=_run_serve)


def _run_serve(arguments: argparse.Namespace) -> int:
    from mockserver.server import serve

    options = settings.from_arguments(ServeOptions, arguments)
    config = settings.from_arguments(ServerConfig, arguments)
    # Settled once, here: every worker process shows the same world, even one started after midnight.
    config = dataclasses.replace(config, epoch=config.world_epoch(datetime.now(UTC)))
    logging.basicConfig(level=options.log_level.upper(), format="%(levelname)s: %(message)s")
    logging.getLogger("journeymock").info("journeymock %s, %s", __version__, compiled.describe())
    serve(config, options)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="journeymock",
        description="Mock server, contract tests and fixtures for the Jourvex, Odyssey and Yofi journey APIs.",
    )
    parser.add_argument("--version", action="version", version=f"journeymock {__version__}")
    subparsers = command_subparsers(parser, title="commands", metavar="COMMAND")
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
    except (SpecError, StoreError, UsageError) as error:
        print(f"journeymock: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
