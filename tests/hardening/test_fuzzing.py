"""Fuzzing the served mock with schemathesis (positive and negative data, every phase) and auditing its journal.

The mock runs with `--validate-responses`, so a response its own spec rejects becomes a 500 carrying the
validation `problems` in the journal. Schemathesis judges the answers it sees; the journal audit proves the
server's side independently: no request of the run was answered 5xx and none failed self-validation. The default
profile is small enough for CI; `-m slow` drives at least 10,000 requests across the three APIs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import FIXED_NOW, ServedMock, served_mock

from mockserver.specs import load_specs

from ._support import JOURVEX_TOKEN, ODYSSEY_TOKEN, YOFI_PARTNER, YOFI_TOKEN, JournalAudit

ST = str(Path(sys.executable).with_name("st"))
CREDENTIALS = {
    "jourvex": ["-H", f"Authorization: Bearer {JOURVEX_TOKEN}"],
    "odyssey": ["-H", f"Authorization: Bearer {ODYSSEY_TOKEN}"],
    "yofi": ["-H", f"Authorization: Bearer {YOFI_TOKEN}", "-H", f"x-scope-partner-id: {YOFI_PARTNER}"],
}
SERVER_ARGUMENTS = ["--now", FIXED_NOW, "--seed", "5", "--validate-responses", "--log-level", "warning"]
CI_EXAMPLES = 12
CI_SEED = 310


def run_schemathesis(api: str, base_url: str, *, examples: int, seed: int, workdir: Path) -> str:
    """One schemathesis run (all checks, positive and negative data, all phases); returns its report."""
    command = [
        ST, "run", str(load_specs()[api].path), "--url", base_url, *CREDENTIALS[api],
        "--checks", "all", "--mode", "all", "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(examples), "--seed", str(seed), "--generation-database", "none",
        "--request-timeout", "10",
    ]  # fmt: skip
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=workdir,
        env={**os.environ, "NO_COLOR": "1"},
    )
    report = done.stdout[-6000:] + done.stderr[-2000:]
    return f"exit status {done.returncode}\n{report}"


@pytest.fixture(scope="module")
def fuzzed_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    """One mock for the three APIs, with `--state` so Odyssey's writes go through the SQLite store."""
    directory = tmp_path_factory.mktemp("fuzz")
    with served_mock([*SERVER_ARGUMENTS, "--state", str(directory / "state.sqlite")], directory) as served:
        yield served


@pytest.mark.parametrize("api", ["jourvex", "odyssey", "yofi"])
def test_fuzzing_finds_no_server_error_and_no_self_invalid_response(api, fuzzed_mock, tmp_path):
    with JournalAudit(fuzzed_mock.base_url) as audit:
        report = run_schemathesis(api, fuzzed_mock.base_url, examples=CI_EXAMPLES, seed=CI_SEED, workdir=tmp_path)
    assert audit.apis[api] >= 20, (audit.apis, report)
    assert set(audit.apis) <= {api, "None"}, audit.apis
    # Negative data reached the server and was refused, not served.
    assert any(400 <= status < 500 for status in audit.statuses), audit.statuses
    audit.assert_clean()
    assert report.startswith("exit status 0"), report


@pytest.mark.slow
def test_long_fuzz_of_all_three_apis(tmp_path):
    """At least 10,000 fuzzed requests across the three APIs, every one audited in the journal."""
    wanted, rounds, deadline = 10_000, 8, time.monotonic() + 45 * 60
    reports: list[str] = []
    started = time.monotonic()
    arguments = [*SERVER_ARGUMENTS, "--state", str(tmp_path / "state.sqlite")]
    with served_mock(arguments, tmp_path) as served, JournalAudit(served.base_url) as audit:
        for round_number in range(rounds):
            for api in ("odyssey", "jourvex", "yofi"):
                reports.append(
                    run_schemathesis(
                        api, served.base_url, examples=400, seed=CI_SEED + 1 + round_number, workdir=tmp_path
                    )
                )
            if audit.count >= wanted or time.monotonic() > deadline:
                break
    elapsed = time.monotonic() - started
    print(f"long fuzz: {audit.count} requests in {elapsed:.0f} s; by API {dict(audit.apis)}; {dict(audit.statuses)}")
    assert audit.count >= wanted, (audit.count, elapsed)
    assert all(audit.apis[api] >= 500 for api in ("jourvex", "odyssey", "yofi")), audit.apis
    audit.assert_clean()
    failed = [report for report in reports if not report.startswith("exit status 0")]
    assert not failed, failed[0]
