"""The vendors' own code samples, taken from the specs' `x-codeSamples`, run unchanged but for the host."""

from __future__ import annotations

import json
import shlex
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator
from support import FIXED_NOW, served_mock

from mockserver.specs import load_specs

SPECS = load_specs()
VENDOR_HOSTS = {
    "jourvex": "https://api.jourvex.com",
    "odyssey": "https://odysseylabs.ai",
    "yofi": "server.telemetry.services.yofi.ai",
}


def code_sample(api: str, operation_id: str, lang: str) -> str:
    samples = SPECS[api].operation(operation_id).raw["x-codeSamples"]
    return next(sample["source"] for sample in samples if sample["lang"] == lang)


def assert_documented(api: str, operation_id: str, status: int, body: object) -> None:
    schema = SPECS[api].operation(operation_id).responses[str(status)].schema
    assert schema is not None
    errors = list(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(body))
    assert not errors, [error.message for error in errors]


@pytest.fixture(scope="module")
def mock_url(tmp_path_factory):
    with served_mock(["--now", FIXED_NOW, "--seed", "3"], tmp_path_factory.mktemp("logs")) as served:
        yield served.base_url


def test_jourvex_python_sample(mock_url):
    source = code_sample("jourvex", "getJourney", "Python").replace(VENDOR_HOSTS["jourvex"], mock_url)
    namespace: dict[str, object] = {"YOUR_API_KEY": "jvx_test_sample"}
    exec(compile(source, "jourvex-python-sample", "exec"), namespace)
    journey = namespace["fetch_journey"]("cluster_8f2ab")  # type: ignore[operator]
    assert journey["journey_id"] == "cluster_8f2ab"
    assert_documented("jourvex", "getJourney", 200, journey)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_jourvex_node_sample(mock_url, tmp_path: Path):
    source = code_sample("jourvex", "getJourney", "JavaScript").replace(VENDOR_HOSTS["jourvex"], mock_url)
    script = tmp_path / "sample.mjs"
    script.write_text(
        source
        + "\nfetchJourney('cluster_8f2ab').then(j => console.log(JSON.stringify(j)))"
        + ".catch(e => { console.error(e.message); process.exit(3); });\n"
    )
    env = {"JOURVEX_API_KEY": "jvx_live_sample", "PATH": "/usr/bin:/usr/local/bin:/bin"}
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    journey = json.loads(done.stdout)
    assert journey["journey_id"] == "cluster_8f2ab"
    assert_documented("jourvex", "getJourney", 200, journey)
    # Its error path: a bad key makes the sample throw with the status.
    env["JOURVEX_API_KEY"] = "jvx_live_revoked"
    failed = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert failed.returncode == 3
    assert "Journey fetch failed: 401" in failed.stderr


def run_curl(sample: str, mock_url: str) -> tuple[int, object]:
    command = shlex.split(
        sample.replace("\\\n", " ").replace(VENDOR_HOSTS["odyssey"], mock_url).replace("{token}", "team-sample")
    )
    assert command[0] == "curl"
    done = subprocess.run([*command, "-s", "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_odyssey_curl_samples_in_order(mock_url):
    status, created = run_curl(code_sample("odyssey", "createJourney", "Shell"), mock_url)
    assert status == 201
    assert_documented("odyssey", "createJourney", 201, created)
    status, retrieved = run_curl(code_sample("odyssey", "getJourney", "Shell"), mock_url)
    assert status == 200
    assert_documented("odyssey", "getJourney", 200, retrieved)
    status, updated = run_curl(code_sample("odyssey", "updateJourney", "Shell"), mock_url)
    assert status == 200
    assert_documented("odyssey", "updateJourney", 200, updated)
    assert updated["displayName"] == "SBA Small Business Grant"
    status, again = run_curl(code_sample("odyssey", "createJourney", "Shell"), mock_url)
    assert status == 409
    assert again == {"error": 'Journey with slug "small-business-grant" already exists in this organization'}


def raw_http(request_text: str, mock_url: str) -> tuple[int, object]:
    """Send the document's raw HTTP request as written (CRLF line ends, the mock as Host)."""
    address = urlsplit(mock_url)
    text = request_text.replace(VENDOR_HOSTS["yofi"], address.netloc).replace("YOUR_SECRET_TOKEN", "yofi-sample")
    payload = ("\r\n".join(line for line in text.strip().splitlines()) + "\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(payload)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


@pytest.mark.parametrize(
    ("operation_id", "path_suffix"), [("getJourneyData", ""), ("getJourneyPredictions", "/predictions")]
)
def test_yofi_raw_http_samples(mock_url, operation_id, path_suffix):
    sample = code_sample("yofi", operation_id, "HTTP").replace(
        "{journey_id}", "jid-e90328e0-1be9-540e-8671-41acd5cc9a5d"
    )
    status, body = raw_http(sample, mock_url)
    assert status == 200
    assert_documented("yofi", operation_id, 200, body)
    assert body["data"][0]["type"] == ("journey" if not path_suffix else "prediction")
