"""`journeymock contracts`: the contract suite from the command line (fixed interface: docs/interfaces.md).

The command runs the very suite `pytest contracts/` runs, through `pytest.main`, with the same options; it
only checks the options first (so a usage or configuration error is exit 2 with a message, before anything
starts) and maps pytest's exit status to the documented one: 0 no violation, 1 violations, 2 usage or
configuration error.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from journeymock.contracts.settings import (
    DEFAULT_MAX_EXAMPLES,
    TARGETS,
    ConfigurationError,
    ContractSettings,
    build_settings,
)
from journeymock.contracts.targets import unreachable
from mockserver.cliargs import add_command
from mockserver.specs import API_NAMES

# Not resolved: through the `journeymock/contracts` link in a checkout, pytest then names the suite's modules
# `journeymock.contracts.*`, as they are imported everywhere else.
PACKAGE_DIR: Final = Path(__file__).parent
EXIT_OK: Final = 0
EXIT_VIOLATIONS: Final = 1
EXIT_USAGE: Final = 2
PROG: Final = "journeymock contracts"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `contracts` command to the `journeymock` parser; its `run` is set as the command's handler."""
    add_command(
        subparsers,
        "contracts",
        help="run the contract tests against the mock or a live API",
        description=DESCRIPTION,
        add_arguments=add_arguments,
        run=run,
    )


DESCRIPTION: Final = """\
Property-based, stateful contract tests of the Jourvex, Odyssey and Yofi APIs, built from the same OpenAPI
documents as the mock: against the in-process mock (default) or a live base URL.

environment (live target):
  JOURVEX_BASE_URL, ODYSSEY_BASE_URL, YOFI_BASE_URL   base URLs (default: the vendors' hosts)
  JOURVEX_API_KEY, ODYSSEY_API_TOKEN, YOFI_API_TOKEN  credentials (required for the APIs tested)
  YOFI_PARTNER_ID                                     Yofi's x-scope-partner-id (required for yofi)
  JOURVEX_JOURNEY_IDS, YOFI_JOURNEY_IDS               known journey ids to probe, comma-separated

verdicts: a violated fact the vendor document states fails the run; a violated fact journeymock inferred
(x-journeymock-inferred in the spec, or an inferred invariant) is a warning, "inference contradicted",
against a live target (--strict-inferences: a failure) and always a failure against the mock.

exit status: 0 no violation, 1 violations (each printed with a curl line and the seed), 2 usage or
configuration error."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api",
        action="append",
        choices=API_NAMES,
        metavar="NAME",
        help=f"an API to test ({', '.join(API_NAMES)}); repeatable; default: all three",
    )
    parser.add_argument("--target", choices=TARGETS, default="mock", help="mock (in-process, default) or live")
    parser.add_argument("--base-url", metavar="URL", help="base URL of the single --api (live target)")
    parser.add_argument(
        "--max-examples",
        type=int,
        metavar="N",
        help=f"generated examples per operation (default: {DEFAULT_MAX_EXAMPLES})",
    )
    parser.add_argument("--seed", type=int, metavar="N", help="seed of the run; the same seed replays it")
    parser.add_argument(
        "--allow-writes", action="store_true", help="let a live run create and update (contract-*, staging) journeys"
    )
    parser.add_argument(
        "--strict-inferences",
        action="store_true",
        help="fail a live run on contradicted inferences (x-journeymock-inferred facts) too, not only warn",
    )
    parser.add_argument(
        "--lenient-invariants",
        action="store_true",
        help="report every broken semantic invariant of a live target as a warning, documented ones included",
    )
    parser.add_argument("--rate", metavar="N/s", help="at most N requests per second (live default: 10/s)")
    parser.add_argument("--junit-xml", type=Path, metavar="PATH", help="write a JUnit XML report to PATH")
    parser.add_argument(
        "--observations",
        type=Path,
        metavar="PATH",
        help="append one JSON line per exchange to PATH (no credentials), for `journeymock drift`",
    )
    parser.add_argument(
        "--spec-dir", type=Path, metavar="DIR", help="hold the target to the specs in DIR (default: the shipped ones)"
    )


def settings_from(arguments: argparse.Namespace) -> ContractSettings:
    return build_settings(
        apis=arguments.api,
        target=arguments.target,
        base_url=arguments.base_url,
        max_examples=arguments.max_examples,
        seed=arguments.seed,
        allow_writes=arguments.allow_writes,
        lenient_invariants=arguments.lenient_invariants,
        strict_inferences=arguments.strict_inferences,
        observations=arguments.observations,
        spec_dir=arguments.spec_dir,
        rate=arguments.rate,
    )


def pytest_arguments(arguments: argparse.Namespace, settings: ContractSettings) -> list[str]:
    """The suite's own directory and configuration, whatever directory the command runs in."""
    options = [
        str(PACKAGE_DIR),
        "-c",
        str(PACKAGE_DIR / "pytest.ini"),
        "--rootdir",
        str(PACKAGE_DIR),
        # Plugins of the surrounding project are not part of the suite.
        "-p",
        "no:journeymock",
        # This process has imported modules that pytest would otherwise want to rewrite: not worth a warning.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        # Not pytest's progress characters and summary: a line per API and phase, the violations, and the
        # journeymock summary (contracts/reporting.py, ProgressPrinter).
        "-p",
        "no:terminal",
        "--journeymock-progress",
        "--target",
        settings.target,
        "--seed",
        str(settings.seed),
        "--max-examples",
        str(settings.max_examples),
    ]
    for api in settings.apis:
        options += ["--api", api]
    if arguments.base_url:
        options += ["--base-url", arguments.base_url]
    if arguments.allow_writes:
        options.append("--allow-writes")
    if arguments.lenient_invariants:
        options.append("--lenient-invariants")
    if arguments.strict_inferences:
        options.append("--strict-inferences")
    if arguments.observations:
        options += ["--observations", str(arguments.observations)]
    if arguments.rate:
        options += ["--rate", arguments.rate]
    if arguments.spec_dir:
        options += ["--spec-dir", str(arguments.spec_dir)]
    if arguments.junit_xml:
        options += [f"--junitxml={arguments.junit_xml}", "-o", "junit_suite_name=journeymock-contracts"]
    return options


#: What `journeymock contracts` needs beyond the base install.
CONTRACTS_EXTRA: Final = ("schemathesis", "hypothesis", "pytest")


def missing_extra() -> str | None:
    """Why the contract runner cannot run in this environment, or None when it can."""
    missing = [name for name in CONTRACTS_EXTRA if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"the contract runner needs {', '.join(missing)}, which the base install leaves out: "
        "pip install 'journeymock[contracts]'"
    )


def run(arguments: argparse.Namespace) -> int:
    problem = missing_extra()
    if problem is not None:
        print(f"{PROG}: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = settings_from(arguments)
    except ConfigurationError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    problem = unreachable(settings) or unwritable_report(arguments.junit_xml)
    if problem is not None:
        print(f"{PROG}: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    import pytest

    status = pytest.main(pytest_arguments(arguments, settings))
    return exit_status(int(status))


def unwritable_report(path: Path | None) -> str | None:
    """Why a report cannot be written to `path`, found before a run that may take minutes."""
    if path is None:
        return None
    if path.is_dir():
        return f"--junit-xml {path}: is a directory"
    folder = path.parent
    if not folder.is_dir():
        return f"--junit-xml {path}: the directory {folder} does not exist"
    if not os.access(folder, os.W_OK):
        return f"--junit-xml {path}: the directory {folder} is not writable"
    return None


def exit_status(pytest_status: int) -> int:
    """pytest: 0 passed, 1 failed, 2 interrupted, 3 internal error, 4 usage error, 5 nothing collected."""
    if pytest_status == 0:
        return EXIT_OK
    if pytest_status == 1:
        return EXIT_VIOLATIONS
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """`journeymock contracts ...` on its own (the `journeymock` entry point calls `register` instead)."""
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_:
        return _status_of(exit_)
    return run(arguments)


def _status_of(exit_: SystemExit) -> int:
    code: Any = exit_.code
    return code if isinstance(code, int) else EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
