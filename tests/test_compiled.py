"""The compiled hot path: a standard wheel compiles what pyproject.toml lists and answers byte for byte like the
plain Python of the checkout; an editable install and the source tree stay plain Python and untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile

import pytest
from support import REPO_ROOT

from mockserver import compiled

LISTED = tuple(
    tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"][
        "custom"
    ]["compile"]
)


def c_compiler_present() -> bool:
    command = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    return bool(command) and shutil.which(command[0]) is not None


needs_compiler = pytest.mark.skipif(
    not c_compiler_present(), reason="no C compiler here: the wheel build falls back to pure Python"
)

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


def run_python(python: str, code: str, cwd) -> list[str]:
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [python, "-c", textwrap.dedent(code)], cwd=cwd, env=environment, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@needs_compiler
def test_the_wheel_compiles_exactly_the_listed_modules(wheel_environment):
    with zipfile.ZipFile(wheel_environment.wheel) as archive:
        names = archive.namelist()
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    extensions = {name for name in names if name.endswith(suffix)}
    assert extensions == {name.replace(".", "/") + suffix for name in LISTED} | {f"journeymock__mypyc{suffix}"}
    assert not wheel_environment.wheel.name.endswith("-none-any.whl")


@needs_compiler
def test_the_wheel_runs_compiled_and_answers_like_the_plain_checkout(wheel_environment, tmp_path):
    compiled_run, compiled_digest = run_python(str(wheel_environment.python), BODIES, tmp_path)
    plain_run, plain_digest = run_python(sys.executable, BODIES, REPO_ROOT)
    assert compiled_run == f"compiled with mypyc: {', '.join(LISTED)}"
    assert plain_run.startswith("pure Python (an editable install or a source checkout")
    assert compiled_digest == plain_digest


def test_the_checkout_runs_its_sources_and_holds_no_build_output():
    # An editable install imports the checkout: nothing compiled may stand beside (and shadow) a source.
    assert compiled.stale_extensions() == []
    assert not (compiled.PACKAGE_DIR / compiled.MANIFEST_NAME).exists()
    assert compiled.describe().startswith("pure Python (")


def test_an_extension_left_in_a_checkout_is_reported(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "sub" / f"hot{sysconfig.get_config_var('EXT_SUFFIX')}").write_bytes(b"\0")
    assert "extensions from an earlier build shadow sources: sub/hot" in compiled.describe(package)
    (package / compiled.MANIFEST_NAME).write_text('{"modules": [], "reason": "built without compiling"}')
    assert compiled.describe(package) == "pure Python (built without compiling)"
