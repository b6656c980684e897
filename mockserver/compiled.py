"""Which build is running: a wheel's compiled hot path, or plain Python.

A standard wheel build compiles the modules listed in pyproject.toml with mypyc and records in `compiled.json`
what it compiled, or why it compiled nothing (`hatch_build.py`); an editable install and a source checkout have
no record and run plain Python. Nothing here changes what is imported: this only reports it.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).resolve().parent
MANIFEST_NAME = "compiled.json"


@dataclass(frozen=True)
class Manifest:
    """What the wheel build compiled (`modules`, empty when nothing) and why not (`reason`)."""

    modules: tuple[str, ...]
    reason: str

    @classmethod
    def read(cls, package_dir: Path = PACKAGE_DIR) -> Manifest:
        try:
            recorded = json.loads((package_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls((), "an editable install or a source checkout: only wheel builds are compiled")
        return cls(tuple(recorded.get("modules", ())), recorded.get("reason", ""))


def describe(package_dir: Path = PACKAGE_DIR) -> str:
    """One line for start-up logs and benchmark reports: what is compiled, judged by what was really loaded."""
    manifest = Manifest.read(package_dir)
    if not manifest.modules:
        stale = sorted(str(path.relative_to(package_dir)) for path in stale_extensions(package_dir))
        if stale:
            return f"pure Python expected, but extensions from an earlier build shadow sources: {', '.join(stale)}"
        return f"pure Python ({manifest.reason})"
    loaded = [importlib.import_module(name) for name in manifest.modules]
    plain = [module.__name__ for module in loaded if not is_compiled(module)]
    if plain:
        return f"partly compiled: {', '.join(plain)} loaded as Python"
    return f"compiled with mypyc: {', '.join(manifest.modules)}"


def stale_extensions(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """Extension modules in a package that no wheel build put there (older versions compiled into the checkout):
    Python would load them instead of their sources."""
    if (package_dir / MANIFEST_NAME).exists():
        return []
    return [
        path for path in package_dir.rglob("*") if path.name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    ]


def is_compiled(module: ModuleType) -> bool:
    return any(str(module.__file__).endswith(suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES)
