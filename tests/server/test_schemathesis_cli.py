"""Schemathesis' own command line against the served mock: every check, positive and negative data, all phases.

The mock runs with `--validate-responses`, so a response its own spec rejects becomes a 500 that schemathesis
reports. The example count is bounded for the default suite; `-m slow` runs the long fuzz.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import FIXED_NOW, served_mock

from mockserver.specs import load_specs

CREDENTIALS = {
    "jourvex": ["-H", "Authorization: Bearer jvx_test_schemathesis"],
    "odyssey": ["-H", "Authorization: Bearer odyssey-schemathesis"],
    "yofi": ["-H", "Authorization: Bearer yofi-schemathesis", "-H", "x-scope-partner-id: partner-schemathesis"],
}
ST = str(Path(sys.executable).with_name("st"))


@pytest.fixture(scope="module")
def mock_url(tmp_path_factory):
    with served_mock(
        ["--now", FIXED_NOW, "--validate-responses", "--log-level", "warning"], tmp_path_factory.mktemp("st")
    ) as served:
        yield served.base_url


def run_schemathesis(api: str, base_url: str, examples: int, workdir: Path) -> subprocess.CompletedProcess[str]:
    command = [
        ST, "run", str(load_specs()[api].path), "--url", base_url, *CREDENTIALS[api],
        "--checks", "all", "--mode", "all", "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(examples), "--seed", "20261126", "--generation-database", "none",
        "--request-timeout", "10",
    ]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=workdir, env=env)


@pytest.mark.parametrize("api", ["jourvex", "odyssey", "yofi"])
def test_schemathesis_finds_no_failure(api, mock_url, tmp_path):
    done = run_schemathesis(api, mock_url, examples=25, workdir=tmp_path)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "No issues found" in done.stdout
    assert "generated" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("api", ["jourvex", "odyssey", "yofi"])
def test_schemathesis_long_fuzz(api, mock_url, tmp_path):
    done = run_schemathesis(api, mock_url, examples=1500, workdir=tmp_path)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
