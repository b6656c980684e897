"""What one contract run is asked to do: its options, declared once in `ContractOptions`, plus the environment
(docs/interfaces.md, "Contract runner").

The options of `journeymock contracts`, the contract suite's pytest options (the same names), the pytest command
line the command runs the suite with, and the command line printed to replay a run are all generated from
`ContractOptions` by the machinery the server's settings use (`mockserver.settings`). `build_settings` checks the
options against each other and the environment: everything a run needs from outside is read here and nowhere
else, so a missing credential is found before any request is sent, and the error names the variable to set.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from mockserver import settings
from mockserver.config import parse_rate
from mockserver.settings import Place, SettingError, setting
from mockserver.specs import API_NAMES, SpecError, load_spec
from mockserver.vendors import (
    BASE_URL_VARIABLES,
    DEFAULT_BASE_URLS,
    KNOWN_ID_VARIABLES,
    MOCK_PARTNER_ID,
    MOCK_TOKENS,
    PARTNER_VARIABLE,
    TOKEN_VARIABLES,
)

T = TypeVar("T")
Target = Literal["mock", "live"]
TARGETS: Final[tuple[Target, ...]] = ("mock", "live")

#: Examples per operation in the fuzzing phase; keeps the whole in-process run (three APIs) near a minute.
DEFAULT_MAX_EXAMPLES: Final = 100
#: Requests per second against a live target when `--rate` is not given: a nightly run must stay polite.
DEFAULT_LIVE_RATE: Final = 10.0
#: Where the options are given: `journeymock contracts`, and `pytest contracts/` with the same names.
EVERYWHERE: Final = frozenset[Place](("command", "pytest"))
#: The contract suite's pytest options have the command's names: `pytest contracts/ --seed 7`.
PYTEST_PREFIX: Final = "--"


class ConfigurationError(Exception):
    """The run cannot start as asked (exit status 2); the message says what to change."""


@dataclass(frozen=True)
class Credentials:
    token: str
    partner_id: str | None = None

    def secrets(self) -> tuple[str, ...]:
        return tuple(value for value in (self.token, self.partner_id) if value)


def whole_number(text: str) -> int:
    """An integer; refused in argparse's own words for `type=int` (the range is checked by `build_settings`)."""
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"invalid int value: {text!r}") from None


def option(default: T, help: str, **details: Any) -> T:
    """A setting of the contract runner: given to the command and to the suite under pytest unless `places` says
    otherwise."""
    return setting(default, help, **{"places": EVERYWHERE, **details})


@dataclass(frozen=True)
class ContractOptions:
    """The contract runner's settings, declared once: the options of `journeymock contracts` and of the suite
    under pytest, the pytest command line the command hands the suite, and the replay command line are generated
    from these fields. Field order is the order of `--help` and of printed command lines."""

    apis: tuple[str, ...] = option(
        (),
        f"an API to test ({', '.join(API_NAMES)}); repeatable; default: all three",
        option="--api",
        metavar="NAME",
        choices=API_NAMES,
        repeatable=True,
    )
    target: Target = option(
        "mock", "mock (in-process) or live", metavar="mock|live", choices=TARGETS, always_given=True
    )
    base_url: str | None = option(None, "base URL of the single --api (live target)", metavar="URL")
    max_examples: int = option(
        DEFAULT_MAX_EXAMPLES,
        "generated examples per operation",
        parse=whole_number,
        metavar="N",
        always_given=True,
    )
    #: None: a seed is drawn for the run (and printed, so the run can be replayed).
    seed: int | None = option(
        None,
        "seed of the run; the same seed replays it",
        parse=whole_number,
        metavar="N",
        always_given=True,
    )
    allow_writes: bool = option(False, "let a live run create and update (contract-*, staging) journeys", flag=True)
    #: Violations of inferred facts fail a live run too (they always fail against the mock).
    strict_inferences: bool = option(
        False,
        "fail a live run on contradicted inferences (x-journeymock-inferred facts) too, not only warn",
        flag=True,
    )
    lenient_invariants: bool = option(
        False,
        "report every broken semantic invariant of a live target as a warning, documented ones included",
        flag=True,
    )
    #: As given (`5/s`), so a replay prints it unchanged; `ContractSettings.rate` is the number.
    rate: str | None = option(
        None, f"at most N requests per second (live default: {DEFAULT_LIVE_RATE:g}/s)", metavar="N/s"
    )
    #: The command's own: under pytest it is pytest's `--junitxml`.
    junit_xml: Path | None = option(
        None,
        "write a JUnit XML report to PATH",
        parse=Path,
        metavar="PATH",
        places=frozenset(("command",)),
        output=True,
    )
    #: Evidence for `journeymock drift`.
    observations: Path | None = option(
        None,
        "append one JSON line per exchange to PATH (no credentials), for `journeymock drift`",
        parse=Path,
        metavar="PATH",
        output=True,
    )
    #: The OpenAPI documents the suite holds the target to, when not the shipped ones (a reviewed patch).
    spec_dir: Path | None = option(
        None, "hold the target to the specs in DIR (default: the shipped ones)", parse=Path, metavar="DIR"
    )
    #: The suite's output as the command prints it, instead of pytest's terminal (`journeymock contracts` sets it).
    progress: bool = option(
        False,
        "a progress line per API and phase and the journeymock summary (with -p no:terminal)",
        flag=True,
        places=frozenset(("pytest",)),
        pytest_option="--journeymock-progress",
    )

    def pytest_arguments(self) -> list[str]:
        """The suite's pytest options that give these settings (`--junit-xml` is pytest's own `--junitxml`)."""
        return settings.to_arguments(self, "pytest", pytest_prefix=PYTEST_PREFIX)


@dataclass(frozen=True)
class ContractSettings:
    """A run as it goes: its options (the APIs in their canonical order, the seed drawn when none was given) and
    what the environment adds."""

    options: ContractOptions
    base_urls: Mapping[str, str]
    credentials: Mapping[str, Credentials]
    known_ids: Mapping[str, tuple[str, ...]]
    seed_given: bool
    #: Requests per second: `--rate`, else the live default; None (no limit) against the mock.
    rate: float | None = None

    # The options almost every part of a run reads (the seed as drawn when none was given).
    @property
    def apis(self) -> tuple[str, ...]:
        return self.options.apis

    @property
    def target(self) -> Target:
        return self.options.target

    @property
    def seed(self) -> int:
        assert self.options.seed is not None  # drawn by build_settings when not given
        return self.options.seed

    @property
    def max_examples(self) -> int:
        return self.options.max_examples

    @property
    def live(self) -> bool:
        return self.target == "live"

    @property
    def writes_allowed(self) -> bool:
        """Writes are free against the in-process mock; anywhere else they must be asked for."""
        return not self.live or self.options.allow_writes

    @property
    def invariants_are_warnings(self) -> bool:
        """Lenient invariants only soften a live target: the mock must always keep its own rules."""
        return self.live and self.options.lenient_invariants

    def secrets(self) -> tuple[str, ...]:
        """The credentials to mask, longest first (so a token containing another is masked whole).

        The mock's built-in credentials are public constants, not secrets: masking them would only garble
        the report (the mock partner id is a common word).
        """
        if not self.live:
            return ()
        values = {value for credentials in self.credentials.values() for value in credentials.secrets()}
        return tuple(sorted(values, key=len, reverse=True))

    def replay_arguments(self) -> list[str]:
        """The command-line options that repeat this run: no secrets (they come from the environment, and a
        credential written into `--base-url` is masked), no output files (the first run's stay as they are)."""
        return [printable_url(part) for part in settings.to_arguments(self.options, "command", outputs=False)]


def build_settings(
    options: ContractOptions | None = None, *, environ: Mapping[str, str] | None = None, **given: Any
) -> ContractSettings:
    """Validate the options against each other and the environment. Raises `ConfigurationError`.

    `given`: options by field name over `options`, as Python values or text (None: not given)."""
    environ = os.environ if environ is None else environ
    try:
        options = settings.replace(
            options or ContractOptions(),
            "command",
            **{name: value for name, value in given.items() if value is not None},
        )
    except SettingError as error:
        raise ConfigurationError(str(error)) from None
    chosen = _parse_apis(options.apis)
    rate = _checked_rate(options, chosen)
    live = options.target == "live"
    seed = options.seed
    return ContractSettings(
        options=dataclasses.replace(options, apis=chosen, seed=seed if seed is not None else secrets.randbelow(2**31)),
        base_urls=_base_urls(chosen, options.base_url, environ) if live else {},
        credentials=_live_credentials(chosen, environ) if live else _mock_credentials(chosen),
        known_ids={api: _known_ids(api, environ) for api in chosen},
        seed_given=seed is not None,
        rate=rate if rate is not None else (DEFAULT_LIVE_RATE if live else None),
    )


def _checked_rate(options: ContractOptions, chosen: tuple[str, ...]) -> float | None:
    """Check the values and combinations the options' parsers cannot see; the rate, as a number, when given."""
    if options.target not in TARGETS:
        raise ConfigurationError(f"--target must be one of {', '.join(TARGETS)}, got {options.target!r}")
    if options.max_examples < 1:
        raise ConfigurationError(f"--max-examples must be at least 1, got {options.max_examples}")
    if options.seed is not None and options.seed < 0:
        raise ConfigurationError(f"--seed must be a non-negative integer, got {options.seed}")
    if options.strict_inferences and options.lenient_invariants:
        raise ConfigurationError(
            "--strict-inferences and --lenient-invariants pull opposite ways: choose one "
            "(--lenient-invariants makes every invariant a warning, --strict-inferences every inference a failure)"
        )
    if options.observations is not None:
        _check_writable("--observations", options.observations)
    if options.spec_dir is not None:
        _check_spec_dir(options.spec_dir, chosen)
    rate: float | None = None
    if options.rate is not None:
        try:
            rate = parse_rate(options.rate)
        except ValueError as error:
            raise ConfigurationError(f"--rate: {error}") from None
    if options.base_url is not None:
        if options.target != "live":
            raise ConfigurationError("--base-url applies to --target live only (the mock target is in-process)")
        if not options.apis or len(chosen) != 1:
            raise ConfigurationError(
                "--base-url needs exactly one --api (each API has its own base URL; for several APIs set "
                + ", ".join(BASE_URL_VARIABLES[name] for name in chosen)
                + ")"
            )
    return rate


def schemathesis_rate_limit(rate: float) -> str:
    """schemathesis takes whole requests per unit: 2.5/s becomes 150/m, 0.1/s becomes 6/m."""
    if rate >= 1 and float(rate).is_integer():
        return f"{int(rate)}/s"
    per_minute = rate * 60
    if per_minute >= 1:
        return f"{math.floor(per_minute)}/m"
    return f"{max(1, math.floor(rate * 3600))}/h"


def printable_url(url: str) -> str:
    """A URL as printed: credentials in it (`https://user:pass@host`) are masked."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="[Filtered]@" + parts.netloc.rsplit("@", 1)[1]))


def _check_writable(option: str, path: Path) -> None:
    """A file the run will append to: refused before anything runs when it cannot be written."""
    if path.is_dir():
        raise ConfigurationError(f"{option} {path}: is a directory, not a file")
    if not path.parent.is_dir():
        raise ConfigurationError(f"{option} {path}: the directory {path.parent} does not exist")
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        raise ConfigurationError(f"{option} {path}: not writable")


def _check_spec_dir(directory: Path, apis: Sequence[str]) -> None:
    """The documents of every API tested, loadable: refused before anything runs when they are not."""
    for api in apis:
        try:
            load_spec(api, directory)
        except SpecError as error:
            raise ConfigurationError(f"--spec-dir: {error}") from None


def _parse_apis(apis: Sequence[str] | None) -> tuple[str, ...]:
    if not apis:
        return API_NAMES
    for name in apis:
        if name not in API_NAMES:
            raise ConfigurationError(f"unknown API {name!r}: expected one of {', '.join(API_NAMES)}")
    return tuple(name for name in API_NAMES if name in apis)


def _base_urls(apis: tuple[str, ...], base_url: str | None, environ: Mapping[str, str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for api in apis:
        variable = BASE_URL_VARIABLES[api]
        url = base_url or environ.get(variable) or DEFAULT_BASE_URLS[api]
        if not re.match(r"^https?://[^/\s]+", url):
            source = "--base-url" if base_url else variable
            raise ConfigurationError(f"{source} must be an http(s) URL, got {url!r}")
        urls[api] = url.rstrip("/")
    return urls


def _live_credentials(apis: tuple[str, ...], environ: Mapping[str, str]) -> dict[str, Credentials]:
    missing = [TOKEN_VARIABLES[api] for api in apis if not environ.get(TOKEN_VARIABLES[api], "").strip()]
    if "yofi" in apis and not environ.get(PARTNER_VARIABLE, "").strip():
        missing.append(PARTNER_VARIABLE)
    if missing:
        names = " and ".join(missing)
        verb = "is" if len(missing) == 1 else "are"
        raise ConfigurationError(
            f"{names} {verb} not set: a live target needs real credentials "
            f"(export {missing[0]}=...; credentials are read from the environment only, never from options)"
        )
    return {
        api: Credentials(
            token=environ[TOKEN_VARIABLES[api]].strip(),
            partner_id=environ[PARTNER_VARIABLE].strip() if api == "yofi" else None,
        )
        for api in apis
    }


def _mock_credentials(apis: tuple[str, ...]) -> dict[str, Credentials]:
    return {
        api: Credentials(token=MOCK_TOKENS[api], partner_id=MOCK_PARTNER_ID if api == "yofi" else None) for api in apis
    }


def _known_ids(api: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    variable = KNOWN_ID_VARIABLES.get(api)
    if variable is None:
        return ()
    text = environ.get(variable, "")
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
