"""The wheel build without a C compiler: it still succeeds, as pure Python, and says why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

from support import REPO_ROOT

PROJECT_FILES = ("mockserver", "contracts", "fixtures", "openapi", "pyproject.toml", "hatch_build.py", "README.md")


def test_without_a_c_compiler_the_wheel_is_pure_python_and_says_why(tmp_path):
    # A copy: the build writes its manifest (and would remove extensions) in the tree it builds.
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"))
        else:
            shutil.copy(source, project / name)
    # Stale extensions from earlier builds, for this interpreter and another, must not survive a build that
    # compiles nothing.
    for name in ("visitor.cpython-311-x86_64-linux-gnu.so", "visitor.cpython-312-x86_64-linux-gnu.so"):
        (project / "mockserver" / "simulation" / name).write_bytes(b"stale")
    (project / "journeymock__mypyc.cpython-311-x86_64-linux-gnu.so").write_bytes(b"stale")
    environment = {**os.environ, "CC": "/bin/false"}
    environment.pop("JOURNEYMOCK_PURE_PYTHON", None)

    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(project), "--no-deps", "-w", str(tmp_path / "dist"), "-q"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("journeymock-*.whl")
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("mockserver/compiled.json"))
    assert not [name for name in names if name.endswith((".so", ".pyd"))]
    assert manifest["modules"] == []
    assert manifest["reason"].startswith("compiling failed: ") and "/bin/false" in manifest["reason"]
    assert not list(project.rglob("*.so"))  # the runtime at the top included
