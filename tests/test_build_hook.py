"""The wheel build without a C compiler: it still succeeds, as pure Python, says why, and writes nothing into the
tree it builds from."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

from support import REPO_ROOT

PROJECT_FILES = (
    "mockserver",
    "journeymock",
    "contracts",
    "fixtures",
    "openapi",
    "pyproject.toml",
    "hatch_build.py",
    "README.md",
)


def snapshot(root):
    return sorted(
        (str(path.relative_to(root)), path.stat().st_size)
        for path in root.rglob("*")
        if "__pycache__" not in path.parts
    )


def test_without_a_c_compiler_the_wheel_is_pure_python_and_says_why(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"), symlinks=True)
        else:
            shutil.copy(source, project / name)
    before = snapshot(project)
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
    assert snapshot(project) == before  # the build wrote nothing into the tree it built from
