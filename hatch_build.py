"""Wheel build hook: compile the request hot path with mypyc, or leave it pure Python when that cannot be done.

Generating a visitor's journey and projecting it to the Jourvex body are most of the mock's own CPU per request.
mypyc compiles those modules, unchanged, into C extensions that need about a third fewer instructions and run
them faster per instruction (README, "Performance"). The modules are listed in pyproject.toml under
`[tool.hatch.build.targets.wheel.hooks.custom]`.

The extensions are written next to their sources (an editable install imports from the source tree), together
with `mockserver/compiled.json`, which records what was compiled and a digest of the sources it was compiled
from; `mockserver.compiled` loads the `.py` instead whenever the sources have changed since. Without a C
compiler, or with JOURNEYMOCK_PURE_PYTHON set, the build still succeeds and the package runs as pure Python.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# The mypyc runtime shared by the compiled modules becomes the top-level module `journeymock__mypyc`.
GROUP_NAME = "journeymock"
RUNTIME = f"{GROUP_NAME}__mypyc"
PACKAGE = "mockserver"

SETUP_SCRIPT = """\
from mypyc.build import mypycify
from setuptools import setup

setup(name="journeymock-compiled", ext_modules=mypycify({arguments!r}, group_name={group!r}))
"""


def load_compiled_module(root: Path) -> ModuleType:
    """`mockserver.compiled`, loaded from its file: the build environment has none of the package's dependencies,
    and the digest must be computed by the very code that checks it at run time."""
    spec = importlib.util.spec_from_file_location("_journeymock_compiled", root / PACKAGE / "compiled.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


class CompileHotPath(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        compiled = load_compiled_module(root)
        package_dir = root / PACKAGE
        modules = tuple(self.config.get("compile", ()))
        digest = compiled.source_digest(package_dir)
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        outputs = [root / f"{RUNTIME}{suffix}"] + [compiled.module_file(root, name, suffix) for name in modules]

        previous = compiled.Manifest.read(package_dir)
        if compiled.pure_python_requested():
            reason = f"built without compiling: {compiled.PURE_PYTHON_VARIABLE} was set"
            manifest = compiled.Manifest((), digest, reason)
        elif previous.modules == modules and previous.digest == digest and all(path.exists() for path in outputs):
            manifest = previous
            self.app.display_info("journeymock: compiled modules are up to date")
        else:
            sources = [str(compiled.module_file(root, name, ".py")) for name in modules]
            failure = self.compile(root, modules, sources, outputs)
            manifest = compiled.Manifest(() if failure else modules, digest, failure)
        remove_extensions(root, outputs if manifest.modules else [])
        if not manifest.modules:
            self.app.display_warning(f"journeymock: the hot path stays pure Python: {manifest.reason}")
        manifest.write(package_dir)

        if version == "standard":
            # The extensions and the manifest are ignored by git, so they are named here to be packed.
            included = outputs if manifest.modules else []
            for path in [*included, package_dir / compiled.MANIFEST_NAME]:
                build_data["force_include"][str(path)] = path.relative_to(root).as_posix()
            if manifest.modules:
                build_data["pure_python"] = False
                build_data["infer_tag"] = True

    def compile(self, root: Path, modules: tuple[str, ...], sources: list[str], outputs: list[Path]) -> str:
        """Builds the extensions in a scratch folder and moves them next to their sources; returns why not, or
        an empty string on success."""
        if not modules:
            return "no modules are listed to compile"
        with tempfile.TemporaryDirectory(prefix="journeymock-mypyc-") as scratch:
            # Third-party packages are not in the build environment: mypy treats them as untyped, wherever it runs.
            arguments = ["--ignore-missing-imports", "--no-site-packages", "--cache-dir", f"{scratch}/cache", *sources]
            (Path(scratch) / "setup.py").write_text(SETUP_SCRIPT.format(arguments=arguments, group=GROUP_NAME))
            command = [sys.executable, "setup.py", "build_ext", "--build-lib", "lib", "--build-temp", "temp"]
            self.app.display_info(f"journeymock: compiling {', '.join(modules)} with mypyc")
            try:
                finished = subprocess.run(command, cwd=scratch, capture_output=True, text=True, check=False)
            except OSError as error:
                return f"mypyc could not run: {error}"
            if finished.returncode != 0:
                lines = (finished.stdout + finished.stderr).strip().splitlines() or ["no output"]
                return f"compiling failed: {lines[-1][:300]}"
            for output in outputs:
                built = Path(scratch, "lib", output.relative_to(root))
                if not built.exists():
                    return f"mypyc did not produce {built.name}"
                # Replace, never overwrite: a running interpreter may have the previous file mapped.
                staged = output.with_name(output.name + ".new")
                shutil.copyfile(built, staged)
                os.replace(staged, output)
        return ""


def remove_extensions(root: Path, keep: list[Path]) -> None:
    """Every extension in the package and every mypyc runtime but `keep`: one the manifest does not vouch for
    (another module's, another interpreter's, built from other sources) would load unguarded."""
    found = [path for path in (root / PACKAGE).rglob("*") if path.suffix in (".so", ".pyd")]
    for path in [*found, *root.glob(f"{RUNTIME}.*")]:
        if path not in keep:
            path.unlink()
