"""Wheel build hook: compile the request hot path with mypyc into a built wheel, or leave it pure Python.

Generating a visitor's journey and projecting it to the Jourvex body are most of the mock's own CPU per request.
mypyc compiles those modules, unchanged, into C extensions that need about a third fewer instructions and run
them faster per instruction (README, "Performance"). The modules are listed in pyproject.toml under
`[tool.hatch.build.targets.wheel.hooks.custom]`.

Only a standard wheel is compiled, as black and mypy do: its files do not change after it is built, so a compiled
module can never stand for a source that has since been edited. An editable install runs the checkout's plain
Python. The extensions are built in a scratch folder and packed into the wheel from there, together with
`mockserver/compiled.json`, which records what was compiled or why nothing was; the source tree is neither
written nor cleaned. Without a C compiler, or with JOURNEYMOCK_PURE_PYTHON set, the wheel is pure Python.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# The mypyc runtime shared by the compiled modules becomes the top-level module `journeymock__mypyc`.
GROUP_NAME = "journeymock"
RUNTIME = f"{GROUP_NAME}__mypyc"
MANIFEST = "mockserver/compiled.json"
PURE_PYTHON_VARIABLE = "JOURNEYMOCK_PURE_PYTHON"

SETUP_SCRIPT = """\
from mypyc.build import mypycify
from setuptools import setup

setup(name="journeymock-compiled", ext_modules=mypycify({arguments!r}, group_name={group!r}))
"""


def module_path(module: str, suffix: str) -> str:
    """`mockserver.simulation.visitor` → `mockserver/simulation/visitor<suffix>`."""
    return module.replace(".", "/") + suffix


def pure_python_requested() -> bool:
    return os.environ.get(PURE_PYTHON_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


class CompileHotPath(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version != "standard":
            return
        self._scratch = Path(tempfile.mkdtemp(prefix="journeymock-mypyc-"))
        modules = tuple(self.config.get("compile", ()))
        if pure_python_requested():
            reason = f"built without compiling: {PURE_PYTHON_VARIABLE} was set"
        else:
            reason = self.compile(modules)
        compiled = () if reason else modules
        if compiled:
            suffix = sysconfig.get_config_var("EXT_SUFFIX")
            for relative in [RUNTIME + suffix, *(module_path(name, suffix) for name in compiled)]:
                build_data["force_include"][str(self._scratch / "lib" / relative)] = relative
            build_data["pure_python"] = False
            build_data["infer_tag"] = True
        else:
            self.app.display_warning(f"journeymock: the hot path stays pure Python: {reason}")
        manifest = self._scratch / "compiled.json"
        manifest.write_text(json.dumps({"modules": list(compiled), "reason": reason}, indent=2) + "\n")
        build_data["force_include"][str(manifest)] = MANIFEST

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    def compile(self, modules: tuple[str, ...]) -> str:
        """Builds the extensions into the scratch folder's `lib/`; returns why not, or "" on success."""
        if not modules:
            return "no modules are listed to compile"
        sources = [str(Path(self.root) / module_path(name, ".py")) for name in modules]
        scratch = self._scratch
        # Third-party packages are not in the build environment: mypy treats them as untyped, wherever it runs.
        arguments = ["--ignore-missing-imports", "--no-site-packages", "--cache-dir", f"{scratch}/cache", *sources]
        (scratch / "setup.py").write_text(SETUP_SCRIPT.format(arguments=arguments, group=GROUP_NAME))
        command = [sys.executable, "setup.py", "build_ext", "--build-lib", "lib", "--build-temp", "temp"]
        self.app.display_info(f"journeymock: compiling {', '.join(modules)} with mypyc")
        try:
            finished = subprocess.run(command, cwd=scratch, capture_output=True, text=True, check=False)
        except OSError as error:
            return f"mypyc could not run: {error}"
        if finished.returncode != 0:
            lines = (finished.stdout + finished.stderr).strip().splitlines() or ["no output"]
            return f"compiling failed: {lines[-1][:300]}"
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        for relative in [RUNTIME + suffix, *(module_path(name, suffix) for name in modules)]:
            if not (scratch / "lib" / relative).exists():
                return f"mypyc did not produce {relative}"
        return ""
