"""The compiled hot path: the build compiles what pyproject.toml lists, compiled and pure Python answer byte for
byte alike, and a compiled module never shadows a source edited since the build."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
from pathlib import Path

import pytest
from support import REPO_ROOT

from mockserver import compiled

LISTED = tuple(
    tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"][
        "custom"
    ]["compile"]
)
INSTALLED = compiled.Manifest.read()
needs_compiled_install = pytest.mark.skipif(
    not INSTALLED.modules, reason=f"this install is pure Python: {INSTALLED.reason}"
)
needs_current_compiled_install = pytest.mark.skipif(
    not INSTALLED.modules or INSTALLED.digest != compiled.source_digest(compiled.PACKAGE_DIR),
    reason="the compiled modules are not those of these sources (pure Python, or edited since: reinstall)",
)


def c_compiler_present() -> bool:
    command = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    return bool(command) and shutil.which(command[0]) is not None


def run_python(code: str, *, cwd: Path, pythonpath: Path | None = None, pure: bool = False) -> str:
    environment = {key: value for key, value in os.environ.items() if key != compiled.PURE_PYTHON_VARIABLE}
    if pythonpath is not None:
        environment["PYTHONPATH"] = str(pythonpath)
    if pure:
        environment[compiled.PURE_PYTHON_VARIABLE] = "1"
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def make_package(root: Path) -> Path:
    package = root / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "hot.py").write_text("VALUE = 1\n")
    (package / "cold.py").write_text("VALUE = 2\n")
    return package


def test_the_guard_steps_aside_while_the_sources_are_those_compiled(tmp_path):
    package = make_package(tmp_path)
    compiled.Manifest(("pkg.hot",), compiled.source_digest(package), "").write(package)
    finder = compiled.SourceWhenStale(compiled.Manifest.read(package), package, forced=False)
    assert finder.find_spec("pkg.hot", None) is None
    assert finder.find_spec("pkg.cold", None) is None


def test_an_edited_source_is_loaded_instead_of_its_compiled_module(tmp_path):
    package = make_package(tmp_path)
    compiled.Manifest(("pkg.hot",), compiled.source_digest(package), "").write(package)
    # Any module counts, not only the compiled one: a compiled module may have inlined another's constants.
    (package / "cold.py").write_text("VALUE = 3\n")
    finder = compiled.SourceWhenStale(compiled.Manifest.read(package), package, forced=False)
    spec = finder.find_spec("pkg.hot", None)
    assert spec is not None and spec.origin == str(package / "hot.py")
    assert finder.find_spec("pkg.cold", None) is None


def test_pure_python_on_request_loads_every_source(tmp_path):
    package = make_package(tmp_path)
    compiled.Manifest(("pkg.hot",), compiled.source_digest(package), "").write(package)
    finder = compiled.SourceWhenStale(compiled.Manifest.read(package), package, forced=True)
    spec = finder.find_spec("pkg.hot", None)
    assert spec is not None and spec.origin == str(package / "hot.py")
    assert compiled.pure_python_requested({compiled.PURE_PYTHON_VARIABLE: "1"})
    assert not compiled.pure_python_requested({compiled.PURE_PYTHON_VARIABLE: "0"})
    assert not compiled.pure_python_requested({})


def test_the_digest_covers_every_source_by_path_and_nothing_else(tmp_path):
    package = make_package(tmp_path)
    before = compiled.source_digest(package)
    (package / "compiled.json").write_text("{}")
    (package / "data.so").write_bytes(b"\0")
    assert compiled.source_digest(package) == before
    (package / "cold.py").rename(package / "cold2.py")
    renamed = compiled.source_digest(package)
    assert renamed != before
    (package / "cold2.py").write_text("VALUE = 2 \n")
    assert compiled.source_digest(package) not in (before, renamed)


def test_no_manifest_means_pure_python_and_no_guard(tmp_path):
    package = make_package(tmp_path)
    assert compiled.install(package) is None
    assert compiled.describe(package).startswith("pure Python (not built")


@pytest.mark.skipif(not c_compiler_present(), reason="no C compiler here: the build falls back to pure Python")
def test_an_install_on_a_machine_with_a_compiler_compiled_the_listed_modules():
    assert INSTALLED.modules == LISTED, INSTALLED.reason


@needs_compiled_install
def test_compiled_modules_load_and_step_back_for_edits_and_on_request(tmp_path):
    # A copy of the installed tree, so the edit below cannot touch the checkout.
    shutil.copytree(REPO_ROOT / "mockserver", tmp_path / "mockserver", ignore=shutil.ignore_patterns("__pycache__"))
    for runtime in REPO_ROOT.glob("journeymock__mypyc.*"):
        shutil.copy(runtime, tmp_path)
    package = tmp_path / "mockserver"
    # The checkout may hold edits made since its install; the copy's manifest is made to match the copy.
    manifest = json.loads((package / compiled.MANIFEST_NAME).read_text())
    manifest["digest"] = compiled.source_digest(package)
    (package / compiled.MANIFEST_NAME).write_text(json.dumps(manifest))
    probe = """
        import importlib
        from mockserver import compiled
        print(compiled.describe())
        print(importlib.import_module(compiled.Manifest.read().modules[0]).__file__)
    """

    description, loaded = run_python(probe, cwd=tmp_path, pythonpath=tmp_path).splitlines()
    assert description.startswith("compiled with mypyc: ")
    assert loaded.startswith(str(package)) and loaded.endswith(sysconfig.get_config_var("EXT_SUFFIX"))

    description, loaded = run_python(probe, cwd=tmp_path, pythonpath=tmp_path, pure=True).splitlines()
    assert description == f"pure Python ({compiled.PURE_PYTHON_VARIABLE} is set)"
    assert loaded.endswith(".py")

    with (package / "cli.py").open("a") as source:
        source.write("\n# edited after the build\n")
    description, loaded = run_python(probe, cwd=tmp_path, pythonpath=tmp_path).splitlines()
    assert "the sources changed since the build" in description
    assert loaded.startswith(str(package)) and loaded.endswith(".py")


BODIES = """
    import hashlib
    from starlette.testclient import TestClient
    from mockserver import compiled
    from mockserver.app import create_app
    from mockserver.clock import parse_instant
    from mockserver.config import ServerConfig

    jourvex = {"Authorization": "Bearer jvx_t"}
    yofi = {"Authorization": "Bearer t", "x-scope-partner-id": "p"}
    odyssey = {"Authorization": "Bearer team"}
    digest = hashlib.sha256()
    with TestClient(create_app(ServerConfig(now=parse_instant("2026-05-21T16:30:00Z")))) as client:
        answers = [client.get(f"/api/journey/visitor_{n}", headers=jourvex) for n in range(300)]
        answers += [client.get("/api/journey/a b", headers=jourvex), client.get("/api/journey/x")]
        for n in range(50):
            answers.append(client.get(f"/data-api/v3/journeys/j{n}?fields[journeys]=predictions", headers=yofi))
            answers.append(client.get(f"/data-api/v3/journeys/j{n}/predictions", headers=yofi))
        for n in range(20):
            created = {"slug": f"s{n}", "displayName": "S"}
            answers.append(client.post("/api/journeys/create", json=created, headers=odyssey))
            answers.append(client.put(f"/api/journeys/s{n}", json={"displayName": "T"}, headers=odyssey))
            answers.append(client.get(f"/api/journeys/s{n}", headers=odyssey))
    for answer in answers:
        digest.update(str(answer.status_code).encode() + b" " + answer.content + b"\\n")
    print(compiled.describe())
    print(digest.hexdigest())
"""


@needs_current_compiled_install
def test_compiled_and_pure_python_answer_byte_for_byte_alike():
    compiled_run, compiled_digest = run_python(BODIES, cwd=REPO_ROOT).splitlines()
    pure_run, pure_digest = run_python(BODIES, cwd=REPO_ROOT, pure=True).splitlines()
    assert compiled_run == f"compiled with mypyc: {', '.join(LISTED)}"
    assert pure_run == f"pure Python ({compiled.PURE_PYTHON_VARIABLE} is set)"
    assert compiled_digest == pure_digest
