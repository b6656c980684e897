"""Which journeymock the benchmarks measure: the wheel a user installs (compiled with mypyc where a C compiler
exists) or the checkout's plain Python (what an editable install runs).

The wheel is built from the checkout's tracked files and installed into a virtual environment under
`~/.cache/journeymock-bench/` (`XDG_CACHE_HOME` moves it), one per state of the sources, so a second run of the
same sources reuses it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from benchmarks.targets import REPO

BUILDS = ("wheel", "checkout")


def add_build_option(parser: argparse.ArgumentParser) -> None:
    """`--build wheel|checkout`, the same for every benchmark."""
    parser.add_argument(
        "--build",
        choices=BUILDS,
        default="wheel",
        help="serve with the wheel users install, compiled where possible (default), or the checkout's plain Python",
    )


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "journeymock-bench"


def sources_digest(repo: Path = REPO) -> str:
    """SHA-256 over the tracked files as they are in the work tree (edits included)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True).stdout
    digest = hashlib.sha256()
    for name in sorted(filter(None, listed.split(b"\0"))):
        path = repo / name.decode()
        digest.update(name + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def journeymock_python(build: str, log: object = print) -> Path:
    """The interpreter whose `journeymock` serves the benchmark."""
    if build == "checkout":
        return Path(sys.executable)
    environment = cache_dir() / f"wheel-{sources_digest()[:16]}"
    python = environment / "bin" / "python"
    if (environment / "bin" / "journeymock").is_file():
        return python
    with tempfile.TemporaryDirectory(prefix="journeymock-wheel-") as dist:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", dist], check=True, cwd=dist
        )
        (wheel,) = Path(dist).glob("journeymock-*.whl")
        venv.create(environment, with_pip=True, clear=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, cwd=dist)
    return python
