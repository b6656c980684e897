"""Pieces every `journeymock` subcommand shares: argparse types built from our parsers, and `--api`."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar, cast

from mockserver.config import parse_api
from mockserver.specs import API_NAMES

T = TypeVar("T")


class CommandParser(argparse.ArgumentParser):
    """argparse with the errors of a tool used in scripts: one line on stderr naming the problem and where help
    is, exit status 2 (argparse prints its whole usage block first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def command_subparsers(parser: CommandParser, **options: Any) -> Subparsers[argparse.ArgumentParser]:
    """`parser`'s subcommands, built as `CommandParser`s (typed as plain parsers: subcommands add options only)."""
    return cast("Subparsers[argparse.ArgumentParser]", parser.add_subparsers(**options))


def add_command(
    subparsers: Subparsers[argparse.ArgumentParser],
    name: str,
    *,
    help: str,
    description: str,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    """A subcommand of `journeymock` whose description is laid out as written, with its options and its runner."""
    parser = subparsers.add_parser(
        name, help=help, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    parser.set_defaults(run=run)
    return parser


class UsageError(Exception):
    """A command cannot run as asked (exit status 2); the message says what to change, on one line."""


Subparsers = argparse._SubParsersAction  # argparse has no public name for it


def argument_type(parse: Callable[[str], T], name: str) -> Callable[[str], T]:
    """Adapt a parser raising ValueError to argparse, keeping its message."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = name
    return convert


def add_api_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api",
        action="append",
        type=argument_type(parse_api, "api"),
        metavar="NAME",
        help=f"an API to include ({', '.join(API_NAMES)}); repeatable; default: all three",
    )


def selected_apis(values: Sequence[str] | None) -> tuple[str, ...]:
    """The chosen APIs in their canonical order; all of them when none was chosen."""
    return tuple(name for name in API_NAMES if not values or name in values)
