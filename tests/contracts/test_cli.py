"""`journeymock contracts` end to end: exit statuses, live runs against the served mock, writes, JUnit XML,
redaction, seeds, and the same suite under plain pytest."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree

import httpx
import pytest
from support import REPO_ROOT, served_mock

from journeymock.contracts.cli import exit_status
from mockserver.app import create_app
from mockserver.config import ServerConfig

#: Seeds the current mock passes with (see the report for the fuzzing findings on other seeds).
MOCK_SEED = "21"
FAST = ("--rate", "1000/s")
CONTRACT_VARIABLES = ("JOURVEX_", "ODYSSEY_", "YOFI_")


def _base_urls(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    for name in ("JOURVEX_BASE_URL", "ODYSSEY_BASE_URL", "YOFI_BASE_URL"):
        monkeypatch.setenv(name, base_url)


def test_the_in_process_mock_keeps_the_contract_with_default_examples(run_contracts):
    outcome = run_contracts("--seed", MOCK_SEED)
    assert outcome.status == 0, outcome.text
    for api in ("jourvex", "odyssey", "yofi"):
        assert f"{api} (in-process mock)" in outcome.out
    assert "result: no violations" in outcome.out
    assert f"--max-examples 100 --seed {MOCK_SEED}" in outcome.out


def test_the_served_mock_keeps_the_contract_as_a_live_target(tmp_path, live_env, run_contracts, monkeypatch):
    with served_mock(["--seed", "5"], tmp_path) as served:
        _base_urls(monkeypatch, served.base_url)
        monkeypatch.setenv("JOURVEX_JOURNEY_IDS", "cluster_8f2ab,visitor-42")
        monkeypatch.setenv("YOFI_JOURNEY_IDS", "jid-e90328e0-1be9-540e-8671-41acd5cc9a5d")
        outcome = run_contracts("--target", "live", "--allow-writes", "--max-examples", "25", "--seed", "4", *FAST)
    assert outcome.status == 0, outcome.text
    assert outcome.out.count(served.base_url) >= 3
    assert "skipped" not in outcome.out.split("journeymock contracts summary")[1]


def test_a_live_run_without_allow_writes_writes_nothing(tmp_path, live_env, run_contracts):
    with served_mock([], tmp_path) as served:
        outcome = run_contracts(
            "--target", "live", "--api", "odyssey", "--base-url", served.base_url, "--max-examples", "5", *FAST
        )
        journal = httpx.get(f"{served.base_url}/__admin/requests").json()["requests"]
    assert outcome.status == 0, outcome.text
    assert journal, "the run sent no request at all"
    assert {entry["method"] for entry in journal} <= {"GET", "HEAD", "OPTIONS", "TRACE", "DELETE", "PATCH", "QUERY"}
    assert not [entry for entry in journal if entry["method"] in ("POST", "PUT")]
    assert "writes need --allow-writes" in outcome.out
    summary = outcome.out.split("journeymock contracts summary")[1]
    assert re.search(r"created_journey_retrievable\s+skipped", summary)


@pytest.mark.parametrize(
    ("arguments", "unset", "message"),
    [
        (["--target", "live", "--api", "odyssey"], "ODYSSEY_API_TOKEN", "ODYSSEY_API_TOKEN"),
        (["--target", "live", "--api", "jourvex"], "JOURVEX_API_KEY", "JOURVEX_API_KEY"),
        (["--target", "live", "--api", "yofi"], "YOFI_PARTNER_ID", "YOFI_PARTNER_ID"),
        (["--target", "live"], "YOFI_API_TOKEN", "YOFI_API_TOKEN"),
        (["--target", "live", "--api", "jourvex", "--api", "yofi", "--base-url", "http://x"], None, "exactly one"),
        (["--target", "live", "--base-url", "http://127.0.0.1:1"], None, "exactly one --api"),
        (["--api", "jourvex", "--base-url", "http://127.0.0.1:1"], None, "--target live"),
        (["--target", "live", "--api", "jourvex", "--base-url", "ftp://x"], None, "http(s) URL"),
        (["--target", "live", "--api", "jourvex", "--base-url", "http://127.0.0.1:1"], None, "cannot reach jourvex"),
        (["--rate", "fast"], None, "--rate"),
        (["--observations", "/nonexistent/dir/o.jsonl"], None, "--observations"),
        (["--observations", "/"], None, "is a directory"),
        (["--strict-inferences", "--lenient-invariants"], None, "choose one"),
        (["--max-examples", "0"], None, "--max-examples"),
        (["--api", "stripe"], None, "invalid choice"),
        (["--target", "staging"], None, "invalid choice"),
    ],
)
def test_usage_and_configuration_errors_exit_2(arguments, unset, message, live_env, run_contracts, monkeypatch):
    if unset:
        monkeypatch.delenv(unset)
    outcome = run_contracts(*arguments)
    assert outcome.status == 2
    assert message in outcome.err
    assert "passed" not in outcome.out  # nothing ran


def test_pytest_statuses_map_to_the_documented_ones():
    assert [exit_status(status) for status in range(6)] == [0, 1, 2, 2, 2, 2]


def _leaky(app):
    """The mock, plus a planted violation, echoing the caller's credentials at the top of every body."""

    async def leaky(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        echo = {"you_sent": [headers.get("authorization"), headers.get("x-scope-partner-id")]}
        parts = {"body": b""}

        async def capture(message):
            if message["type"] == "http.response.start":
                parts["start"] = message
            else:
                parts["body"] += message.get("body", b"")

        await app(scope, receive, capture)
        body = json.loads(parts["body"] or b"{}")
        if isinstance(body, dict):
            body = {**echo, **body}
            if isinstance(body.get("data"), list) and body["data"]:
                body["data"][0]["type"] = "journeys"  # the documented type is "journey"
        payload = json.dumps(body).encode()
        headers_out = [(k, v) for k, v in parts["start"]["headers"] if k.lower() != b"content-length"]
        headers_out.append((b"content-length", str(len(payload)).encode()))
        await send({**parts["start"], "headers": headers_out})
        await send({"type": "http.response.body", "body": payload})

    return leaky


def test_violations_exit_1_with_junit_xml_and_no_credential_anywhere(tmp_path, serve, live_env, run_contracts):
    base_url = serve(_leaky(create_app(ServerConfig(apis=("yofi",)))))
    report = tmp_path / "contracts.xml"
    outcome = run_contracts(
        "--target", "live", "--api", "yofi", "--base-url", base_url, "--max-examples", "5", "--seed", "3",
        "--junit-xml", str(report), *FAST,
    )  # fmt: skip
    assert outcome.status == 1, outcome.text
    assert "[response_schema_conformance]" in outcome.out
    # The curl lines reproduce the request: the credentials as the variables they are read from.
    assert '-H "x-scope-partner-id: $YOFI_PARTNER_ID"' in outcome.out
    assert '-H "Authorization: Bearer $YOFI_API_TOKEN"' in outcome.out
    assert "[Filtered]" in outcome.out and "you_sent" in outcome.out  # the echo is shown, masked
    xml = report.read_text()
    for secret in live_env.values():
        assert secret not in outcome.out
        assert secret not in outcome.err
        assert secret not in xml
    root = ElementTree.fromstring(xml)
    failures = [case for case in root.iter("testcase") if case.find("failure") is not None]
    assert failures
    messages = "\n".join((case.find("failure").text or "") for case in failures)
    assert "[response_schema_conformance]" in messages
    assert "curl -X GET" in messages


def test_the_printed_seed_replays_a_failure(serve, live_env, run_contracts):
    async def five_hundred_but_for_the_documented_id(scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/api/journey/") and path != "/api/journey/cluster_8f2ab":
            await send(
                {"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": b'{"error": "boom"}'})
            return
        await mock(scope, receive, send)

    mock = create_app(ServerConfig(apis=("jourvex",)))
    base_url = serve(five_hundred_but_for_the_documented_id)
    arguments = ("--target", "live", "--api", "jourvex", "--base-url", base_url, "--max-examples", "10", *FAST)
    first = run_contracts(*arguments)
    assert first.status == 1, first.text
    seed = re.search(r"Replay the run \(seed (\d+)\)", first.out).group(1)
    assert f"--seed {seed}" in first.out
    again = run_contracts(*arguments, "--seed", seed)
    assert again.status == 1, again.text

    def reproductions(text):
        return re.findall(r"Reproduce with:\n\n?\s+(curl .*)", text)

    assert reproductions(first.out)
    assert reproductions(again.out) == reproductions(first.out)


def test_lenient_invariants_turn_a_live_targets_broken_invariants_into_warnings(plant, live_env, run_contracts):
    def miscount(exchange):
        # A documented invariant: the journey answered is the one asked for.
        if exchange.status == 200 and exchange.path.startswith("/api/journey/"):
            body = exchange.json()
            body["journey_id"] += "-other"
            exchange.set_json(body)

    base_url = plant("jourvex", after=miscount)
    arguments = ("--target", "live", "--api", "jourvex", "--base-url", base_url, "--max-examples", "5", "--seed", "1")
    strict = run_contracts(*arguments, *FAST)
    lenient = run_contracts(*arguments, "--lenient-invariants", *FAST)
    assert strict.status == 1 and "[semantic_invariants]" in strict.out, strict.text
    assert lenient.status == 0, lenient.text
    summary = lenient.out.split("journeymock contracts summary")[1]
    assert re.search(r"semantic_invariants\s+warning", summary)
    assert "was requested" in summary and "mockserver/invariants/jourvex.py:requested_id" in summary
    assert "curl -X GET" in summary


def test_plain_pytest_runs_the_same_suite_with_the_same_options():
    environment = {name: value for name, value in os.environ.items() if not name.startswith(CONTRACT_VARIABLES)}

    def pytest_run(*arguments):
        return subprocess.run(
            [sys.executable, "-m", "pytest", "contracts/", *arguments],
            cwd=REPO_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )

    passed = pytest_run("--api", "jourvex", "--max-examples", "5", "--seed", "1")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "journeymock contracts summary" in passed.stdout
    assert "replay: journeymock contracts --api jourvex --target mock --max-examples 5 --seed 1" in passed.stdout
    refused = pytest_run("--target", "live", "--api", "odyssey")
    assert refused.returncode == 4  # pytest's usage error; the command maps it to 2
    assert "ODYSSEY_API_TOKEN" in refused.stderr


def test_rate_bounds_the_requests_per_second(serve, live_env, run_contracts):
    base_url = serve(create_app(ServerConfig(apis=("jourvex",))))
    started = time.monotonic()
    outcome = run_contracts(
        "--target", "live", "--api", "jourvex", "--base-url", base_url, "--max-examples", "1", "--seed", "1",
        "--rate", "10/s",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    sent = httpx.get(f"{base_url}/__admin/requests").json()["total"]
    assert outcome.status == 0, outcome.text
    assert sent > 15
    # At most one window's burst (10) beyond the steady rate.
    assert elapsed >= (sent - 10) / 10


def test_the_run_prints_a_progress_line_per_api_and_phase_and_ends_with_its_summary(run_contracts):
    outcome = run_contracts("--api", "yofi", "--max-examples", "3", "--seed", MOCK_SEED)
    assert outcome.status == 0, outcome.text
    lines = outcome.out.splitlines()
    assert lines[0].startswith("journeymock contracts: yofi against the mock target")
    progress = [line for line in lines if line.startswith("[")]
    assert re.match(
        r"\[1/\d+\] yofi +operations \(examples, coverage, fuzzing\) +ok +\d+ exchanges checked", progress[0]
    )
    assert any("edge probes" in line for line in progress)
    assert not re.search(r"^[.usFE]+ +\[", outcome.out, flags=re.MULTILINE)  # no pytest progress characters
    assert " passed" not in outcome.out and "short test summary" not in outcome.out
    assert lines[-1].startswith("replay: journeymock contracts --api yofi")


def test_a_check_that_cannot_run_on_a_live_target_is_listed_as_skipped(tmp_path, live_env, run_contracts):
    with served_mock([], tmp_path) as served:
        outcome = run_contracts(
            "--target", "live", "--api", "yofi", "--base-url", served.base_url, "--max-examples", "3", *FAST
        )
    assert outcome.status == 0, outcome.text
    summary = outcome.out.split("journeymock contracts summary")[1]
    for check in ("is_force_consistent", "predictions_agree"):
        assert re.search(rf"{check}\s+skipped \(needs known journey ids \(YOFI_JOURNEY_IDS\)", summary), summary
