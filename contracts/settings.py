"""What one contract run is asked to do: parsed once from the command line or the pytest options, plus the
environment (docs/interfaces.md, "Contract runner").

Everything a run needs from outside is read here and nowhere else, so a missing credential is found before any
request is sent, and the error names the variable to set.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit, urlunsplit

from mockserver.config import parse_rate
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

Target = Literal["mock", "live"]
TARGETS: Final[tuple[Target, ...]] = ("mock", "live")

#: Examples per operation in the fuzzing phase; keeps the whole in-process run (three APIs) near a minute.
DEFAULT_MAX_EXAMPLES: Final = 100
#: Requests per second against a live target when `--rate` is not given: a nightly run must stay polite.
DEFAULT_LIVE_RATE: Final = 10.0


class ConfigurationError(Exception):
    """The run cannot start as asked (exit status 2); the message says what to change."""


@dataclass(frozen=True)
class Credentials:
    token: str
    partner_id: str | None = None

    def secrets(self) -> tuple[str, ...]:
        return tuple(value for value in (self.token, self.partner_id) if value)


@dataclass(frozen=True)
class ContractSettings:
    apis: tuple[str, ...]
    target: Target
    base_urls: Mapping[str, str]
    credentials: Mapping[str, Credentials]
    known_ids: Mapping[str, tuple[str, ...]]
    seed: int
    seed_given: bool
    max_examples: int = DEFAULT_MAX_EXAMPLES
    allow_writes: bool = False
    lenient_invariants: bool = False
    #: Violations of inferred facts fail a live run too (they always fail against the mock).
    strict_inferences: bool = False
    #: Append one JSON line per exchange here (evidence for `journeymock drift`).
    observations: Path | None = None
    #: The OpenAPI documents the suite holds the target to, when not the shipped ones (a reviewed patch).
    spec_dir: Path | None = None
    rate: float | None = None
    #: The options as given, to print a command that replays this run.
    base_url_option: str | None = None
    rate_option: str | None = None

    @property
    def live(self) -> bool:
        return self.target == "live"

    @property
    def writes_allowed(self) -> bool:
        """Writes are free against the in-process mock; anywhere else they must be asked for."""
        return not self.live or self.allow_writes

    @property
    def invariants_are_warnings(self) -> bool:
        """Lenient invariants only soften a live target: the mock must always keep its own rules."""
        return self.live and self.lenient_invariants

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
        """The command-line options that repeat this run (no secrets: they come from the environment)."""
        arguments: list[str] = []
        for api in self.apis:
            arguments += ["--api", api]
        arguments += ["--target", self.target]
        if self.base_url_option is not None:
            arguments += ["--base-url", printable_url(self.base_url_option)]
        arguments += ["--max-examples", str(self.max_examples), "--seed", str(self.seed)]
        if self.allow_writes:
            arguments.append("--allow-writes")
        if self.lenient_invariants:
            arguments.append("--lenient-invariants")
        if self.strict_inferences:
            arguments.append("--strict-inferences")
        if self.rate_option is not None:
            arguments += ["--rate", self.rate_option]
        if self.spec_dir is not None:
            arguments += ["--spec-dir", str(self.spec_dir)]
        return arguments


def build_settings(
    *,
    apis: Sequence[str] | None,
    target: str,
    base_url: str | None,
    max_examples: int | None,
    seed: int | None,
    allow_writes: bool,
    lenient_invariants: bool,
    rate: str | None,
    strict_inferences: bool = False,
    observations: Path | None = None,
    spec_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ContractSettings:
    """Validate the options against each other and the environment. Raises `ConfigurationError`."""
    environ = os.environ if environ is None else environ
    chosen = _parse_apis(apis)
    if target not in TARGETS:
        raise ConfigurationError(f"--target must be one of {', '.join(TARGETS)}, got {target!r}")
    if max_examples is not None and max_examples < 1:
        raise ConfigurationError(f"--max-examples must be at least 1, got {max_examples}")
    if seed is not None and seed < 0:
        raise ConfigurationError(f"--seed must be a non-negative integer, got {seed}")
    if strict_inferences and lenient_invariants:
        raise ConfigurationError(
            "--strict-inferences and --lenient-invariants pull opposite ways: choose one "
            "(--lenient-invariants makes every invariant a warning, --strict-inferences every inference a failure)"
        )
    if observations is not None:
        _check_writable("--observations", observations)
    if spec_dir is not None:
        _check_spec_dir(spec_dir, chosen)
    rate_value: float | None = None
    if rate is not None:
        try:
            rate_value = parse_rate(rate)
        except ValueError as error:
            raise ConfigurationError(f"--rate: {error}") from None
    if base_url is not None:
        if target != "live":
            raise ConfigurationError("--base-url applies to --target live only (the mock target is in-process)")
        if apis is None or len(chosen) != 1:
            raise ConfigurationError(
                "--base-url needs exactly one --api (each API has its own base URL; for several APIs set "
                + ", ".join(BASE_URL_VARIABLES[name] for name in chosen)
                + ")"
            )
    live = target == "live"
    base_urls = _base_urls(chosen, base_url, environ) if live else {}
    credentials = _live_credentials(chosen, environ) if live else _mock_credentials(chosen)
    return ContractSettings(
        apis=chosen,
        target="live" if live else "mock",
        base_urls=base_urls,
        credentials=credentials,
        known_ids={api: _known_ids(api, environ) for api in chosen},
        seed=seed if seed is not None else secrets.randbelow(2**31),
        seed_given=seed is not None,
        max_examples=max_examples if max_examples is not None else DEFAULT_MAX_EXAMPLES,
        allow_writes=allow_writes,
        lenient_invariants=lenient_invariants,
        strict_inferences=strict_inferences,
        observations=observations,
        spec_dir=spec_dir,
        rate=rate_value if rate_value is not None else (DEFAULT_LIVE_RATE if live else None),
        base_url_option=base_url,
        rate_option=rate,
    )


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
