"""Observations and `journeymock drift`: the evidence of runs against the faithful vendors settles the specs'
inferences in a patch that applies, keeps the spec checks green and leaves no inference contradicted."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from faithful_support import KNOWN_IDS, faithful_app
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REPO_ROOT

from journeymock.contracts.drift import FORMATS, ecma_literal, widened
from mockserver.app import create_app
from mockserver.cli import main as journeymock
from mockserver.config import ServerConfig
from tests.contracts.conftest import Departure, Exchange

EXAMPLES = ("--max-examples", "6", "--seed", "11", "--rate", "1000/s")
#: Inferred invariants the faithful vendors decide otherwise (a patch records them in the specs).
SETTLED_INVARIANTS = (
    "mockserver/invariants/jourvex.py:total_sessions",
    "mockserver/invariants/odyssey.py:without_steps",
    "mockserver/invariants/yofi.py:bot_predictions",
)


@pytest.fixture
def observed(tmp_path, serve, live_env, run_contracts, monkeypatch) -> dict[str, Path]:
    """One observation file per API, from a live run against its faithful implementation."""
    for name, value in KNOWN_IDS.items():
        monkeypatch.setenv(name, value)
    files: dict[str, Path] = {}
    for api in ("jourvex", "odyssey", "yofi"):
        files[api] = tmp_path / f"{api}.jsonl"
        base_url = serve(faithful_app(api, live_env))
        outcome = run_contracts(
            "--target", "live", "--api", api, "--base-url", base_url, "--allow-writes",
            "--observations", str(files[api]), *EXAMPLES,
        )  # fmt: skip
        assert outcome.status == 0, outcome.text
    return files


def _drift(capfd: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    capfd.readouterr()
    status = journeymock(["drift", *arguments])
    captured = capfd.readouterr()
    return status, captured.out, captured.err


def _spec_checks_pass(openapi: Path, workspace: Path) -> subprocess.CompletedProcess[str]:
    """The spec tests (validator, examples, strictness on documented fields) against another openapi/."""
    for part in ("mockserver", "tests/specs", "docs/vendor"):
        shutil.copytree(
            REPO_ROOT / part, workspace / part, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd")
        )
    shutil.copytree(openapi, workspace / "openapi")
    environment = {**os.environ, "PYTHONPATH": str(workspace), "JOURNEYMOCK_PURE_PYTHON": "1"}
    where = subprocess.run(
        [sys.executable, "-c", "import mockserver.specs as s; print(s.spec_directory())"],
        capture_output=True, text=True, env=environment, cwd=workspace, check=True,
    )  # fmt: skip
    assert where.stdout.strip() == str(workspace / "openapi"), where.stdout
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/specs", "-q", "-p", "no:journeymock", "-p", "no:cacheprovider",
         "--rootdir", str(workspace), "-c", os.devnull],
        capture_output=True, text=True, env=environment, cwd=workspace,
    )  # fmt: skip


def _documented_leaves(node: Any, where: tuple[str, ...] = (), inferred: bool = False) -> dict[tuple[str, ...], Any]:
    """Every leaf of a document that no `x-journeymock-inferred` node encloses (nor the records of settled
    inferred invariants, `x-journeymock-invariants`, which state no fact of the vendor's)."""
    if where == ("x-journeymock-invariants",):
        return {}
    if isinstance(node, dict):
        inferred = inferred or "x-journeymock-inferred" in node
        leaves: dict[tuple[str, ...], Any] = {}
        for key, value in node.items():
            leaves.update(_documented_leaves(value, (*where, str(key)), inferred))
        return leaves
    if isinstance(node, list):
        leaves = {}
        for index, value in enumerate(node):
            leaves.update(_documented_leaves(value, (*where, str(index)), inferred))
        return leaves
    return {} if inferred else {where: node}


def test_drift_settles_the_faithful_vendors_evidence_in_a_patch(observed, tmp_path, capfd, live_env):
    files = [str(path) for path in observed.values()]
    for path in observed.values():
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") > 20
        for secret in live_env.values():
            assert secret not in text
        for line in text.splitlines():
            entry = json.loads(line)
            assert {"api", "operationId", "method", "path", "status", "content_type", "headers", "verdicts"} <= set(
                entry
            )
            if "method_sent" in entry:  # an unsupported-method probe: the 405 it requires is documented
                assert entry["method_sent"] != entry["method"]
                assert entry["documented_status"] is (entry["status"] == 405)
    probes = [json.loads(line) for path in observed.values() for line in path.read_text().splitlines()]
    assert any("method_sent" in line and line["status"] == 405 for line in probes)

    patch = tmp_path / "settle.patch"
    status, out, err = _drift(capfd, *files, "--patch", str(patch), "--format", "json")
    assert status == 1, err
    report = json.loads(out)
    contradicted = {entry["location"] for entry in report["inferences"] if entry["state"] == "contradicted"}
    assert "openapi/odyssey.yaml#/components/schemas/InvalidJourneyDataError" in contradicted
    assert any(entry["state"] == "confirmed" for entry in report["inferences"])
    assert any(entry["state"] == "never exercised" for entry in report["inferences"])
    # The faithful Odyssey reports a median of 0 rather than null: the spec stays nullable, the report says so.
    never_null = {entry["location"] for entry in report["nullable_never_null"]}
    assert "openapi/odyssey.yaml#/components/schemas/BehaviorMetrics/properties/medianTimeToComplete" in never_null
    # The inferred invariants each faithful vendor decides otherwise (tests/faithful), stated in code.
    invariants = {entry["location"] for entry in report["invariants_contradicted"]}
    assert set(SETTLED_INVARIANTS) <= invariants, invariants
    assert report["invariants_settled"] == []
    for secret in live_env.values():
        assert secret not in out
    diff = patch.read_text(encoding="utf-8")
    assert "+++ b/openapi/odyssey.yaml" in diff
    assert "Invalid JSON in request body" in diff
    removed = [line for line in diff.splitlines() if line.startswith("-") and "x-journeymock-inferred" in line]
    added = [line for line in diff.splitlines() if line.startswith("+") and "x-journeymock-inferred" in line]
    assert len(added) == len(removed)  # every touched inference stays one
    assert diff.count("+x-journeymock-invariants:") == 3  # one record block per spec, appended

    patched = tmp_path / "patched"
    shutil.copytree(REPO_ROOT / "openapi", patched / "openapi")
    applied = subprocess.run(["git", "apply", str(patch)], cwd=patched, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr

    status, out, err = _drift(capfd, *files, "--spec-dir", str(patched / "openapi"), "--format", "json")
    again = json.loads(out)
    assert [entry for entry in again["inferences"] if entry["state"] == "contradicted"] == []
    assert {entry["location"] for entry in again["inferences"] if entry["state"] == "settled"} >= contradicted
    assert again["invariants_contradicted"] == []
    assert {entry["location"] for entry in again["invariants_settled"]} == invariants
    for entry in again["invariants_settled"]:
        name = entry["location"].rsplit(":", 1)[1]
        assert entry["record"].endswith(f".yaml#/x-journeymock-invariants/{name}")
    assert again["documented_violated"] == []
    assert status == 0, out  # nothing else drifted: the same evidence now drifts nowhere

    odyssey = yaml.safe_load((patched / "openapi" / "odyssey.yaml").read_text())
    record = odyssey["x-journeymock-invariants"]["without_steps"]
    assert record["code"] == "mockserver/invariants/odyssey.py:without_steps"
    assert record["state"] == "contradicted" and "without steps" in record["inference"]
    evidence = record["evidence"]
    assert evidence["checks"] == ["semantic_invariants"] and evidence["contradictions"] >= 1
    assert evidence["first_seen"] <= evidence["last_seen"] and evidence["observed"]

    for api in ("jourvex", "odyssey", "yofi"):
        before = _documented_leaves(yaml.safe_load((REPO_ROOT / "openapi" / f"{api}.yaml").read_text()))
        after = _documented_leaves(yaml.safe_load((patched / "openapi" / f"{api}.yaml").read_text()))
        assert after == before, f"the patch touched documented facts of {api}"

    checks = _spec_checks_pass(patched / "openapi", tmp_path / "workspace")
    assert checks.returncode == 0, checks.stdout[-3000:] + checks.stderr[-3000:]

    status, text, _ = _drift(capfd, *files, "--format", "markdown")
    assert "## Inferences contradicted" in text and "## Inferences never exercised" in text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["/nonexistent/observations.jsonl"], "no such observation file"),
        (["{observations}", "--spec-dir", "/nonexistent"], "--spec-dir"),
        (["{observations}", "--patch", "/nonexistent/dir/out.patch"], "--patch"),
        (["{garbage}"], "not a JSON line"),
        (["{observations}", "--format", "yaml"], "invalid choice"),
    ],
)
def test_drift_usage_errors_exit_2_with_one_line(arguments, message, tmp_path, capfd):
    observations = tmp_path / "empty.jsonl"
    observations.write_text("")
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n")
    filled = [part.format(observations=observations, garbage=garbage) for part in arguments]
    try:
        status, _, err = _drift(capfd, *filled)
    except SystemExit as exit_:
        status, err = exit_.code, capfd.readouterr().err
    assert status == 2
    assert message in err
    assert "Traceback" not in err


def test_nothing_observed_is_no_drift(tmp_path, capfd):
    observations = tmp_path / "empty.jsonl"
    observations.write_text("")
    status, out, _ = _drift(capfd, str(observations))
    assert status == 0
    assert "result: no drift" in out


@pytest.mark.parametrize(
    ("keyword", "current", "values", "accepted"),
    [
        ("pattern", "^Invalid journey data: ", ["Invalid JSON (body) [1] $5.0?"], ["Invalid journey data: x"]),
        ("type", ["integer", "null"], [0.5, "x"], [None, 3]),
        ("enum", ["low", "high"], ["medium"], ["low"]),
        ("maximum", 1, [1.5], [0.2]),
        ("maxLength", 5, ["abcdefgh"], ["abc"]),
    ],
)
def test_widening_accepts_what_was_seen_and_what_was_accepted(keyword, current, values, accepted):
    from jsonschema import Draft202012Validator

    schema: dict[str, Any] = {keyword: widened(keyword, current, values)}
    validator = Draft202012Validator(schema)
    for value in [*values, *accepted]:
        assert validator.is_valid(value), (schema, value)
    assert ecma_literal("a.b(c)") == r"a\.b\(c\)"


def _echoing_credentials(app: Any) -> Any:
    """The mock, echoing the caller's credentials where observations look: in every 404 message (a
    pattern-constrained string, whose value is recorded) and in a header."""

    async def echoing(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        echoed = headers.get("authorization", "")
        started: dict[str, Any] = {}

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
                return
            body = message.get("body", b"")
            if started["status"] == 404:
                body = json.dumps({"error": f'Journey with slug "{echoed}" not found'}).encode()
            out = [(k, v) for k, v in started["headers"] if k.lower() != b"content-length"]
            out += [(b"content-length", str(len(body)).encode()), (b"x-echo", echoed.encode())]
            await send({**started, "headers": out})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, capture)

    return echoing


def test_planted_credentials_never_reach_observations_or_drift_reports(tmp_path, serve, live_env, run_contracts, capfd):
    from mockserver.app import create_app
    from mockserver.config import ServerConfig

    base_url = serve(_echoing_credentials(create_app(ServerConfig(apis=("odyssey",)))))
    observations = tmp_path / "odyssey.jsonl"
    outcome = run_contracts(
        "--target", "live", "--api", "odyssey", "--base-url", base_url, "--observations", str(observations),
        "--max-examples", "4", "--seed", "2", "--rate", "1000/s",
    )  # fmt: skip
    text = observations.read_text(encoding="utf-8")
    assert '"x-echo"' in text and "[Filtered]" in text, "the planted echo was not observed"
    reports = [text, outcome.text]
    for output in FORMATS:
        _, out, err = _drift(capfd, str(observations), "--format", output, "--patch", str(tmp_path / "p.diff"))
        reports += [out, err, (tmp_path / "p.diff").read_text(encoding="utf-8")]
    for secret in live_env.values():
        for report in reports:
            assert secret not in report


def _verdict(location: str, keyword: str, value: Any) -> dict[str, Any]:
    return {
        "check": "response_schema_conformance",
        "tier": "inferred",
        "location": location,
        "keyword": keyword,
        "observed": json.dumps(value),
        "value": value,
        "reason": "",
    }


def test_a_patch_widens_enums_and_bounds_to_the_evidence_and_settles_them(tmp_path, capfd):
    """Synthetic evidence: a Jourvex intent level outside the assumed enum, an Odyssey rate above 1."""
    level = "openapi/jourvex.yaml#/components/schemas/Intent/properties/level/enum"
    rate = "openapi/odyssey.yaml#/components/schemas/BehaviorMetrics/properties/completionRate/maximum"
    lines = [
        {"api": "jourvex", "time": "2026-05-01T00:00:00Z", "verdicts": [_verdict(level, "enum", "extreme")]},
        {"api": "odyssey", "time": "2026-05-02T00:00:00Z", "verdicts": [_verdict(rate, "maximum", 1.5)]},
        {"api": "odyssey", "time": "2026-05-03T00:00:00Z", "verdicts": [_verdict(rate, "maximum", 1.25)]},
    ]
    observations = tmp_path / "synthetic.jsonl"
    observations.write_text("".join(json.dumps(line) + "\n" for line in lines))
    patch = tmp_path / "widen.patch"
    status, out, _ = _drift(capfd, str(observations), "--patch", str(patch))
    assert status == 1
    assert "contradicted 2" in out and "first 2026-05-02T00:00:00Z, last 2026-05-03T00:00:00Z" in out
    patched = tmp_path / "patched"
    shutil.copytree(REPO_ROOT / "openapi", patched / "openapi")
    applied = subprocess.run(["git", "apply", str(patch)], cwd=patched, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr + patch.read_text()
    jourvex = yaml.safe_load((patched / "openapi" / "jourvex.yaml").read_text())
    odyssey = yaml.safe_load((patched / "openapi" / "odyssey.yaml").read_text())
    assert jourvex["components"]["schemas"]["Intent"]["properties"]["level"]["enum"] == [
        "low",
        "medium",
        "high",
        "extreme",
    ]
    assert odyssey["components"]["schemas"]["BehaviorMetrics"]["properties"]["completionRate"]["maximum"] == 1.5
    assert "Evidence (journeymock drift, 2 observation(s)" in " ".join(
        odyssey["components"]["schemas"]["BehaviorMetrics"]["properties"]["completionRate"][
            "x-journeymock-inferred"
        ].split()
    )
    status, out, _ = _drift(capfd, str(observations), "--spec-dir", str(patched / "openapi"), "--format", "json")
    report = json.loads(out)
    states = {entry["location"]: entry["state"] for entry in report["inferences"]}
    assert states["openapi/jourvex.yaml#/components/schemas/Intent/properties/level"] == "settled"
    assert states["openapi/odyssey.yaml#/components/schemas/BehaviorMetrics/properties/completionRate"] == "settled"
    assert status == 0


@given(seen=st.lists(st.text(max_size=40), min_size=1, max_size=4), other=st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_a_widened_pattern_matches_exactly_what_was_seen_in_both_regex_engines(seen, other):
    import jsonschema_rs
    from jsonschema import Draft202012Validator

    pattern = widened("pattern", "^Invalid journey data: ", seen)
    schema = {"type": "string", "pattern": pattern}
    compiled = jsonschema_rs.validator_for(schema)
    reference = Draft202012Validator(schema)
    for value in [*seen, "Invalid journey data: anything"]:
        assert compiled.is_valid(value) and reference.is_valid(value), (pattern, value)
    expected = other in seen or other.startswith("Invalid journey data: ")
    assert compiled.is_valid(other) == reference.is_valid(other) == expected, (pattern, other)


WITHOUT_STEPS = "mockserver/invariants/odyssey.py:without_steps"


def _applied(patch: Path, where: Path) -> Path:
    """A copy of the shipped specs with the patch applied by `git apply`, as a reviewer would."""
    shutil.copytree(REPO_ROOT / "openapi", where / "openapi")
    applied = subprocess.run(["git", "apply", str(patch)], cwd=where, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr + patch.read_text(encoding="utf-8")
    return where / "openapi"


def _summary_part(out: str, head: str) -> str:
    """One part of the run's summary (`warnings`, `settled in the spec`): its lines up to the next blank one."""
    summary = out.split("journeymock contracts summary", 1)[1]
    start = summary.find("\n" + head)
    return "" if start < 0 else summary[start:].split("\n\n", 1)[0]


def _median_without_steps(exchange: Exchange) -> None:
    """Odyssey as a vendor may answer: a median completion time on journeys without steps."""
    if not exchange.response_headers.get("content-type", "").startswith("application/json"):
        return
    body = exchange.json()
    if isinstance(body, dict) and body.get("steps") == [] and isinstance(body.get("behaviorMetrics"), dict):
        body["behaviorMetrics"]["medianTimeToComplete"] = 42
        exchange.set_json(body)


def test_a_settled_invariant_is_informational_against_a_vendor_and_still_enforced_on_the_mock(
    tmp_path, serve, live_env, run_contracts, capfd
):
    """The faithful Odyssey contradicts `without_steps`; once a patch records the evidence, a run with the
    patched specs (`--spec-dir`) reports it as settled, neither warning nor failure, while the mock served on
    loopback (journeymock implements the invariant) still fails it."""
    arguments = ("--target", "live", "--api", "odyssey", "--allow-writes", *EXAMPLES)
    observations = tmp_path / "odyssey.jsonl"
    vendor = serve(faithful_app("odyssey", live_env))
    first = run_contracts(*arguments, "--base-url", vendor, "--observations", str(observations))
    assert first.status == 0, first.text
    assert WITHOUT_STEPS in _summary_part(first.out, "warnings (")
    assert _summary_part(first.out, "settled in the spec") == ""

    patch = tmp_path / "settle.patch"
    status, _, err = _drift(capfd, str(observations), "--patch", str(patch))
    assert status == 1, err
    spec_dir = _applied(patch, tmp_path / "patched")

    again = run_contracts(*arguments, "--base-url", vendor, "--spec-dir", str(spec_dir))
    assert again.status == 0, again.text
    assert WITHOUT_STEPS not in _summary_part(again.out, "warnings (")
    settled = _summary_part(again.out, "settled in the spec")
    assert WITHOUT_STEPS in settled and "#/x-journeymock-invariants/without_steps" in settled, again.out
    assert f"--spec-dir {spec_dir}" in again.out  # the replay command keeps the specs it ran with
    # Still evaluated, so the evidence keeps accruing: the new observations carry it, marked settled.
    settled_observations = tmp_path / "settled.jsonl"
    run_contracts(
        *arguments, "--base-url", vendor, "--spec-dir", str(spec_dir), "--observations", str(settled_observations)
    )
    verdicts = [
        verdict
        for line in settled_observations.read_text(encoding="utf-8").splitlines()
        for verdict in json.loads(line)["verdicts"]
        if verdict["location"] == WITHOUT_STEPS
    ]
    assert verdicts and all(
        verdict["settled"].endswith("#/x-journeymock-invariants/without_steps") for verdict in verdicts
    )

    # The mock on loopback (recognised by its admin API) answering the same departure is held to the invariant.
    mock = serve(Departure(create_app(ServerConfig(apis=("odyssey",))), after=_median_without_steps))
    held = run_contracts(*arguments, "--base-url", mock, "--spec-dir", str(spec_dir))
    assert held.status == 1, held.text
    violations = held.out.split("journeymock contracts summary", 1)[0]
    assert "medianTimeToComplete is 42 but the journey has no steps" in violations, held.out
    assert re.search(r"^  semantic_invariants\s+FAILED", held.out, flags=re.MULTILINE), held.out
    assert _summary_part(held.out, "settled in the spec") == ""
    # ... and so is the in-process mock, which passes: it implements what it states.
    in_process = run_contracts("--api", "odyssey", "--spec-dir", str(spec_dir), "--max-examples", "6", "--seed", "11")
    assert in_process.status == 0, in_process.text


def test_a_spec_dir_without_the_specs_is_a_usage_error(tmp_path, run_contracts):
    outcome = run_contracts("--api", "odyssey", "--spec-dir", str(tmp_path))
    assert outcome.status == 2
    assert "--spec-dir" in outcome.err and "odyssey.yaml" in outcome.err


def _invariant_verdict(name: str, tier: str = "inferred") -> dict[str, Any]:
    return {
        "check": "semantic_invariants",
        "tier": tier,
        "location": f"mockserver/invariants/jourvex.py:{name}",
        "reason": f"why {name}",
        "observed": f"{name} broken",
    }


def test_invariant_records_are_added_to_the_specs_block_and_documented_invariants_never_settle(tmp_path, capfd):
    """Synthetic evidence in two rounds: the second patch adds to the block the first one wrote. An invariant
    the code declares documented is never recorded, even when an observation calls it inferred."""
    first = tmp_path / "first.jsonl"
    first.write_text(
        json.dumps({"api": "jourvex", "time": "2026-05-01T00:00:00Z", "verdicts": [_invariant_verdict("totals")]})
        + "\n"
    )
    patch = tmp_path / "first.patch"
    assert _drift(capfd, str(first), "--patch", str(patch))[0] == 1
    spec_dir = _applied(patch, tmp_path / "patched")
    assert _drift(capfd, str(first), "--spec-dir", str(spec_dir))[0] == 0

    second = tmp_path / "second.jsonl"
    verdicts = [
        _invariant_verdict("avg_gap_hours"),
        _invariant_verdict("requested_id"),  # documented in code: an observation cannot make it settleable
        _invariant_verdict("requested_id", tier="documented"),
    ]
    second.write_text(json.dumps({"api": "jourvex", "time": "2026-05-02T00:00:00Z", "verdicts": verdicts}) + "\n")
    patch = tmp_path / "second.patch"
    status, out, _ = _drift(capfd, str(first), str(second), "--spec-dir", str(spec_dir), "--patch", str(patch))
    assert status == 1
    assert "requested_id" not in patch.read_text(encoding="utf-8")
    applied = subprocess.run(["git", "apply", str(patch)], cwd=spec_dir.parent, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr + patch.read_text(encoding="utf-8")
    records = yaml.safe_load((spec_dir / "jourvex.yaml").read_text(encoding="utf-8"))["x-journeymock-invariants"]
    assert list(records) == ["totals", "avg_gap_hours"]
    assert records["avg_gap_hours"]["evidence"]["first_seen"] == "2026-05-02T00:00:00Z"

    status, out, _ = _drift(capfd, str(first), str(second), "--spec-dir", str(spec_dir), "--format", "json")
    report = json.loads(out)
    assert {entry["location"].rsplit(":", 1)[1] for entry in report["invariants_settled"]} == {
        "totals",
        "avg_gap_hours",
    }
    assert [entry["location"] for entry in report["invariants_contradicted"]] == [
        "mockserver/invariants/jourvex.py:requested_id"
    ]
    assert [entry["location"] for entry in report["documented_violated"]] == [
        "mockserver/invariants/jourvex.py:requested_id"
    ]
    assert status == 1
