"""Which modules run compiled, and the guard that keeps a stale compiled module from shadowing its source.

The wheel build (`hatch_build.py`) compiles the request hot path with mypyc into C extensions placed next to
their `.py` files, and records in `compiled.json` which modules it compiled and a digest of the package's
sources at that moment. Python prefers an extension module to a `.py` of the same name, so in a developer's
checkout an edit to any source would otherwise be silently ignored. `install()` puts a finder in front of the
normal ones: while the sources still have the recorded digest it steps aside and the compiled modules load;
once they differ (or `JOURNEYMOCK_PURE_PYTHON` is set) it loads those modules from their `.py` instead.

Stdlib only, and imported by the build hook too, so that the build and the guard compute one digest.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).resolve().parent
MANIFEST_NAME = "compiled.json"
PURE_PYTHON_VARIABLE = "JOURNEYMOCK_PURE_PYTHON"


def source_digest(package_dir: Path) -> str:
    """SHA-256 over every `.py` of the package, by relative path: a compiled module may have inlined constants
    and types from any module it imports, so any source change makes the whole compiled group stale."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def pure_python_requested(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(PURE_PYTHON_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the last build compiled (`modules`, empty when it did not) and why not (`reason`)."""

    modules: tuple[str, ...]
    digest: str
    reason: str

    @classmethod
    def read(cls, package_dir: Path = PACKAGE_DIR) -> Manifest:
        try:
            recorded = json.loads((package_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls((), "", "not built: running from a source tree without an install")
        return cls(tuple(recorded.get("modules", ())), recorded.get("digest", ""), recorded.get("reason", ""))

    def write(self, package_dir: Path) -> None:
        recorded = {"modules": list(self.modules), "digest": self.digest, "reason": self.reason}
        (package_dir / MANIFEST_NAME).write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")


class SourceWhenStale(importlib.abc.MetaPathFinder):
    """Loads the compiled modules from their `.py` when the package's sources no longer match the build."""

    def __init__(self, manifest: Manifest, package_dir: Path, *, forced: bool) -> None:
        self.modules = frozenset(manifest.modules)
        self._recorded_digest = manifest.digest
        self._package_dir = package_dir
        self._stale: bool | None = True if forced else None

    @property
    def stale(self) -> bool:
        # Computed on the first import of a compiled module, not at package import: the CLI's --help and
        # most tools never pay for reading the sources.
        if self._stale is None:
            self._stale = source_digest(self._package_dir) != self._recorded_digest
        return self._stale

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.modules or not self.stale:
            return None
        return importlib.util.spec_from_file_location(fullname, module_file(self._package_dir.parent, fullname, ".py"))


def module_file(root: Path, module: str, suffix: str) -> Path:
    """Where `module` lives under `root` (the folder that holds the package), with this file suffix: `.py` for
    its source, an interpreter's extension suffix for its compiled form."""
    *packages, name = module.split(".")
    return root.joinpath(*packages, name + suffix)


def install(package_dir: Path = PACKAGE_DIR) -> SourceWhenStale | None:
    manifest = Manifest.read(package_dir)
    if not manifest.modules:
        return None
    finder = SourceWhenStale(manifest, package_dir, forced=pure_python_requested())
    sys.meta_path.insert(0, finder)
    return finder


def describe(package_dir: Path = PACKAGE_DIR) -> str:
    """One line for start-up logs and benchmark reports: what is compiled, judged by what was really loaded."""
    manifest = Manifest.read(package_dir)
    if not manifest.modules:
        return f"pure Python ({manifest.reason})"
    loaded = [importlib.import_module(name) for name in manifest.modules]
    if all(is_compiled(module) for module in loaded):
        return f"compiled with mypyc: {', '.join(manifest.modules)}"
    if pure_python_requested():
        return f"pure Python ({PURE_PYTHON_VARIABLE} is set)"
    return "pure Python (the sources changed since the build; reinstall to compile them again)"


def is_compiled(module: ModuleType) -> bool:
    return any(str(module.__file__).endswith(suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES)
