"""The `journeymock` command line (fixed interface: docs/interfaces.md)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from journeymock.contracts.cli import register as register_contracts
from journeymock.contracts.drift import register as register_drift
from journeymock.fixtures.cli import register as register_fixtures
from mockserver import __version__, compiled, settings
from mockserver.cliargs import CommandParser, Subparsers, UsageError, command_subparsers
from mockserver.config import ProxySettings, ServeOptions, ServerConfig
from mockserver.replay import ReplayError
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

    options, config = _served(arguments)
    serve(config, options)
    return 0


def _served(arguments: argparse.Namespace) -> tuple[ServeOptions, ServerConfig]:
    """Where to listen and what the mock serves, with logging set up."""
    options = settings.from_arguments(ServeOptions, arguments)
    config = settings.from_arguments(ServerConfig, arguments)
    # Settled once, here: every worker process shows the same world, even one started after midnight.
    config = dataclasses.replace(config, epoch=config.world_epoch(datetime.now(UTC)))
    logging.basicConfig(level=options.log_level.upper(), format="%(levelname)s: %(message)s")
    logging.getLogger("journeymock").info("journeymock %s, %s", __version__, compiled.describe())
    return options, config


def _add_proxy(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "proxy",
        help="forward the APIs to the vendors, judging every exchange against the spec",
        description=(
            "Serve the Jourvex, Odyssey and Yofi APIs at their real paths and forward each request to its vendor "
            "(JOURVEX_BASE_URL, ODYSSEY_BASE_URL, YOFI_BASE_URL; the vendors' hosts by default), judging every "
            "exchange against the spec in two tiers. The mock's settings apply to --fallback mock."
        ),
    )
    settings.add_options(parser, ServeOptions)
    settings.add_options(parser, ProxySettings)
    settings.add_options(parser, ServerConfig)
    parser.set_defaults(run=_run_proxy)


def _run_proxy(arguments: argparse.Namespace) -> int:
    from journeymock.contracts.bridge import BridgeJudge
    from mockserver.proxy import create_proxy_app, upstream_base_urls
    from mockserver.server import run_app
    from mockserver.specs import load_specs

    proxy_settings = settings.from_arguments(ProxySettings, arguments)
    if getattr(arguments, "workers", None) not in (None, 1):
        raise UsageError("journeymock proxy runs in one process: --workers must be 1")
    options, config = _served(arguments)
    try:
        upstreams = upstream_base_urls(config.apis, os.environ)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if proxy_settings.observations is not None:
        _writable(proxy_settings.observations, "--observations")
    if proxy_settings.record is not None:
        try:
            proxy_settings.record.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(f"--record {proxy_settings.record}: {error.strerror or error}") from None
    judge = BridgeJudge(load_specs(config.apis), proxy_settings.observations)
    run_app(create_proxy_app(config, proxy_settings, upstreams, judge=judge), options, date_header=False)
    return 0


def _writable(path: Path, option: str) -> None:
    """`UsageError` unless `path` can be appended to (its missing directories are created)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as error:
        raise UsageError(f"{option} {path}: {error.strerror or error}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="journeymock",
        description="Mock server, contract tests and fixtures for the Jourvex, Odyssey and Yofi journey APIs.",
    )
    parser.add_argument("--version", action="version", version=f"journeymock {__version__}")
    subparsers = command_subparsers(parser, title="commands", metavar="COMMAND")
    _add_serve(subparsers)
    _add_proxy(subparsers)
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
    except (SpecError, StoreError, UsageError, ReplayError) as error:
        print(f"journeymock: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
