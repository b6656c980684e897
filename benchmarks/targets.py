"""The servers compared, each as a command line that serves `GET /api/journey/{id}` on a given port."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import prism

REPO = Path(__file__).resolve().parent.parent
TARGET_NAMES = ("ceiling", "journeymock", "prism-static", "prism-dynamic")
JOURNEY_PREFIX = "/api/journey/cluster_"
TOKEN = "jvx_test_bench"
HEADERS = (("Authorization", f"Bearer {TOKEN}"),)
# Fixed so that every run serves the same journeys (the design's determinism: seed, id and now → body).
JOURNEYMOCK_ARGS = ("--api", "jourvex", "--seed", "1", "--now", "2026-05-21T16:30:00Z", "--workers", "1")


@dataclass
class Target:
    name: str
    label: str
    # port → argv
    command: Callable[[int], list[str]]
    startup_timeout_s: float = 30.0
    # Set when the target cannot run at all here (e.g. no npm); it is then reported, not measured.
    unavailable: str | None = None
    scratch: list[Path] = field(default_factory=list)


def journeymock_entry(python: Path) -> list[str]:
    """The `journeymock` command installed for `python`: its console script, as users run it."""
    script = python.with_name("journeymock")
    return [str(script)] if script.is_file() else [str(python), "-m", "mockserver"]


def journeymock_argv(python: Path) -> Callable[[int], list[str]]:
    """The serve command of the journeymock installed for `python`."""
    entry = journeymock_entry(python)

    def argv(port: int) -> list[str]:
        return [*entry, "serve", "--host", "127.0.0.1", "--port", str(port), *JOURNEYMOCK_ARGS]

    return argv


def journeymock(python: Path) -> Target:
    return Target("journeymock", "journeymock serve (1 worker)", journeymock_argv(python))


def ceiling(body_bytes: int) -> Target:
    def argv(port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "benchmarks.ceiling_app",
            "--port",
            str(port),
            "--body-bytes",
            str(body_bytes),
        ]

    return Target("ceiling", f"bare Starlette, fixed {body_bytes} B body", argv)


def prism_targets(version: str, max_items: int, wanted: set[str]) -> list[Target]:
    """Both Prism modes, sharing one install; unavailable (with the reason) when npm is missing."""
    spec = REPO / "openapi" / "jourvex.yaml"
    static = Target("prism-static", f"Prism {version}, static examples", lambda port: [])
    dynamic = Target("prism-dynamic", f"Prism {version}, dynamic, maxItems {max_items}", lambda port: [])
    chosen = [target for target in (static, dynamic) if target.name in wanted]
    if not chosen:
        return []
    try:
        script = prism.install(version)
    except prism.PrismUnavailable as exc:
        for target in chosen:
            target.unavailable = str(exc)
        return chosen
    static.command = lambda port: prism.command(script, spec, port, dynamic=False)
    if dynamic in chosen:
        capped = prism.capped_spec(spec, max_items)
        dynamic.scratch.append(capped)
        dynamic.command = lambda port: prism.command(script, capped, port, dynamic=True)
    return chosen
