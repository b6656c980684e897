"""What the figures were measured on: absolute req/s only mean something next to this."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("starlette", "uvicorn", "uvloop", "httptools", "orjson")


def _run(argv: list[str], cwd: Path | None = None) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def journeymock_build(python: Path) -> str | None:
    """Compiled or pure Python, as the server's interpreter loads it (run outside the checkout, so that a wheel's
    interpreter imports its own install)."""
    return _run([str(python), "-c", "from mockserver import compiled; print(compiled.describe())"], cwd=Path("/"))


def describe(repo: Path, python: Path) -> dict[str, Any]:
    commit = _run(["git", "rev-parse", "--short", "HEAD"], cwd=repo)
    dirty = _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "packages": {name: _version(name) for name in PACKAGES},
        "journeymock_build": journeymock_build(python),
        "wrk": _run(["wrk", "--version"]),
        "node": _run(["node", "--version"]),
        "git": None if commit is None else commit + ("+dirty" if dirty else ""),
    }
