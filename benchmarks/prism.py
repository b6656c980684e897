"""Prism, the reference mock server, installed with npm outside the repository and pointed at our spec."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

PACKAGE = "@stoplight/prism-cli"
# The version the figures in benchmarks/README.md ("Measured facts") were taken with; override with --prism-version.
DEFAULT_VERSION = "5.14.2"
# Dynamic mode fills every array to maxItems (and, unbounded, to json-schema-faker's default of dozens of
# items per level, ~160 KB bodies). Two items per array gives journey bodies of ~2.3 KB, close to ours.
DEFAULT_MAX_ITEMS = 2
INSTALL_TIMEOUT_S = 300


class PrismUnavailable(Exception):
    """npm is missing or the install failed; the message says which."""


def cache_dir(version: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "journeymock-bench" / f"prism-{version}"


def install(version: str = DEFAULT_VERSION) -> Path:
    """The prism entry script, installing it into the cache on first use (never into the repository)."""
    folder = cache_dir(version)
    script = folder / "node_modules" / "@stoplight" / "prism-cli" / "dist" / "index.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise PrismUnavailable("npm/node not found")
    folder.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(folder)]
    try:
        done = subprocess.run(
            [*command, f"{PACKAGE}@{version}"],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PrismUnavailable(f"npm install timed out after {INSTALL_TIMEOUT_S} s") from exc
    if done.returncode != 0 or not script.is_file():
        raise PrismUnavailable(f"npm install failed: {done.stderr.strip()[-500:]}")
    return script


def command(script: Path, spec: Path, port: int, *, dynamic: bool) -> list[str]:
    """Prism on loopback with logging silenced: its default per-request log halves its throughput."""
    node = shutil.which("node") or "node"
    argv = [node, str(script), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "silent"]
    if dynamic:
        argv.append("--dynamic")
    return [*argv, str(spec)]


def capped_spec(spec: Path, max_items: int = DEFAULT_MAX_ITEMS) -> Path:
    """A temporary JSON copy of `spec` with `maxItems` on every array that has none; the caller deletes it."""
    doc = yaml.safe_load(spec.read_text())
    _cap_arrays(doc, max_items)
    fd, name = tempfile.mkstemp(prefix="jm-bench-capped-", suffix=".json")
    with os.fdopen(fd, "w") as out:
        json.dump(doc, out)
    return Path(name)


def _cap_arrays(node: Any, max_items: int) -> None:
    if isinstance(node, dict):
        if node.get("type") == "array":
            node.setdefault("maxItems", max_items)
        for value in node.values():
            _cap_arrays(value, max_items)
    elif isinstance(node, list):
        for value in node:
            _cap_arrays(value, max_items)
