"""Every shell example in the README runs as written, against a served mock on a free loopback port.

Each fenced `sh` block is one example, run by bash as one script with the README's port (8000) replaced by a
free one and the `NAME=…` placeholders filled in with values the mock accepts. The vendors' base URLs always
point at the served mock, so an example written for the vendors (the nightly job) runs against the mock too and
nothing leaves the machine. An example succeeds when every command in it does: bash's exit status, each curl
body being JSON without an error, each request the mock journalled being answered below 400, the contract run
finding no violation and the fixtures being written.

The quick start's install commands are run by CI verbatim (`.ci/run`, see `test_quick_start.py`) and, with
`-m slow`, here in a copy of the checkout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from support import FIXED_NOW, REPO_ROOT, ServedMock, free_port, served_mock

README = REPO_ROOT / "README.md"
#: The port the README's examples use.
README_PORT = "8000"
#: What a reader fills in for the README's `NAME=…` placeholders: values of the shape the mock accepts.
PLACEHOLDER_VALUES = {
    "JOURVEX_API_KEY": "jvx_test_readme",
    "ODYSSEY_API_TOKEN": "readme",
    "YOFI_API_TOKEN": "readme",
    "YOFI_PARTNER_ID": "readme",
}
BASE_URL_VARIABLES = ("JOURVEX_BASE_URL", "ODYSSEY_BASE_URL", "YOFI_BASE_URL")
#: A live contract run at its default rate (10 requests a second) takes minutes.
DEFAULT_RATE_RUN = re.compile(r"journeymock contracts (?!.*--rate)")
EXAMPLE_TIMEOUT = 600


@dataclass(frozen=True)
class ShellExample:
    line: int  # of the block's opening fence in README.md
    script: str

    @property
    def commands(self) -> list[str]:
        """The block's commands, continuation lines joined."""
        joined = self.script.replace("\\\n", " ")
        return [line.strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")]

    @property
    def installs(self) -> bool:
        return "pip install" in self.script

    @property
    def starts_its_own_server(self) -> bool:
        return any(re.match(r"(\S*/)?journeymock serve .*&$", command) for command in self.commands)

    def runnable(self, port: int) -> str:
        """The script with a free port for the README's, and the placeholders filled in."""
        script = re.sub(rf"(127\.0\.0\.1:|--port ){README_PORT}\b", rf"\g<1>{port}", self.script)
        for name, value in PLACEHOLDER_VALUES.items():
            script = script.replace(f"{name}=…", f"{name}={value}")
        assert "…" not in script, f"README.md:{self.line}: a placeholder this test cannot fill in: {script}"
        return script


def shell_examples() -> list[ShellExample]:
    text = README.read_text(encoding="utf-8")
    examples = []
    for match in re.finditer(r"^```(?:sh|shell|bash)\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        examples.append(ShellExample(text.count("\n", 0, match.start()) + 1, match.group(1)))
    return examples


EXAMPLES = shell_examples()


def _marks(example: ShellExample) -> list[pytest.MarkDecorator]:
    return [pytest.mark.slow] if DEFAULT_RATE_RUN.search(" ".join(example.commands)) else []


SERVED_EXAMPLES = [
    pytest.param(example, id=f"README.md:{example.line}", marks=_marks(example))
    for example in EXAMPLES
    if not example.installs
]


def test_the_readme_has_the_examples_this_test_runs():
    assert len(EXAMPLES) >= 6
    assert any("curl" in example.script for example in EXAMPLES)
    # No command hides in a block of another language, where this test would not find it.
    text = README.read_text(encoding="utf-8")
    for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        if match.group(1) in ("sh", "shell", "bash", "python"):
            continue
        for line in match.group(2).splitlines():
            assert not re.match(r"(curl|journeymock|python3?) [^\[]*$", line), f"a command outside an sh block: {line}"


@dataclass
class Run:
    status: int
    stdout: str
    stderr: str


def run_script(script: str, directory: Path, environment: dict[str, str]) -> Run:
    """bash runs the script in its own process group; whatever it left running (a server started with `&`)
    is stopped afterwards. Output goes to files: a background server holding a pipe would keep us waiting."""
    stdout_path, stderr_path = directory / "stdout.txt", directory / "stderr.txt"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            ["bash", "-e", "-c", script],
            cwd=directory,
            env=environment,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            status = process.wait(timeout=EXAMPLE_TIMEOUT)
        finally:
            stop_group(process.pid)
    return Run(status, stdout_path.read_text(errors="replace"), stderr_path.read_text(errors="replace"))


def stop_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        return


def example_environment(base_url: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in PLACEHOLDER_VALUES}
    # The example's `journeymock` and `python` are this checkout's.
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    for name in BASE_URL_VARIABLES:
        environment[name] = base_url
    return environment


def json_documents(text: str) -> list[object]:
    """The JSON documents curl printed one after another (bodies end without a newline)."""
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while position < len(text.rstrip()):
        document, end = decoder.raw_decode(text, position)
        documents.append(document)
        position = end
        while position < len(text) and text[position].isspace():
            position += 1
    return documents


def journal(base_url: str) -> list[dict[str, object]]:
    response = httpx.get(f"{base_url}/__admin/requests", timeout=10)
    assert response.status_code == 200, response.text
    entries: list[dict[str, object]] = response.json()["requests"]
    return entries


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    with served_mock(["--now", FIXED_NOW, "--log-level", "warning"], tmp_path_factory.mktemp("readme")) as served:
        yield served


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed: the README's examples use it")
@pytest.mark.parametrize("example", SERVED_EXAMPLES)
def test_a_readme_example_runs_as_written(example: ShellExample, mock: ServedMock, tmp_path: Path):
    if example.starts_its_own_server:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
    else:
        httpx.post(f"{mock.base_url}/__admin/reset", timeout=10).raise_for_status()
        base_url, port = mock.base_url, int(mock.base_url.rsplit(":", 1)[1])
    run = run_script(example.runnable(port), tmp_path, example_environment(base_url))
    assert run.status == 0, (
        f"README.md:{example.line} failed ({run.status}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    )

    commands = example.commands
    # What a curl example prints is its answers' bodies (a readiness probe sends its body to /dev/null).
    curls = [command for command in commands if command.startswith("curl ") and "> /dev/null" not in command]
    if curls:
        documents = json_documents(run.stdout)
        assert len(documents) == len(curls), run.stdout[:2000]
        for document in documents:
            assert isinstance(document, dict)
            assert not {"error", "errors"} & document.keys(), document
        answered = [(entry["method"], entry["path"], entry["status"]) for entry in journal(base_url)]
        # Admin calls are not journalled: only the API requests are.
        assert len(answered) == len([curl for curl in curls if "/__admin/" not in curl]), answered
        assert all(int(str(status)) < 400 for _, _, status in answered), answered
    for command in commands:
        if "journeymock contracts" in command:
            assert "result: no violations" in run.stdout, run.stdout[-3000:]
            if match := re.search(r"--junit-xml (\S+)", command):
                assert (tmp_path / match.group(1)).read_text().startswith("<?xml")
        if command.startswith("journeymock fixtures"):
            out = re.search(r"--out (\S+)", command)
            assert out is not None
            index = json.loads((tmp_path / out.group(1) / "index.json").read_text())
            assert index, "the fixtures command wrote an empty index"


INSTALL_EXAMPLES = [example for example in EXAMPLES if example.installs]


def test_the_install_examples_are_the_quick_start_that_ci_runs():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert len(INSTALL_EXAMPLES) == 2
    serve, test = INSTALL_EXAMPLES
    assert serve.commands[-1].endswith("journeymock serve")
    assert test.commands[-1] in ci.splitlines()


@pytest.mark.slow
def test_the_quick_start_installs_and_serves(tmp_path: Path):
    """The first quick-start command in a copy of the checkout; its server gets a free port and is asked for a
    journey, then stopped."""
    (serve,) = [example for example in INSTALL_EXAMPLES if example.commands[-1].endswith("journeymock serve")]
    checkout = tmp_path / "journeymock"
    shutil.copytree(REPO_ROOT, checkout, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.so"))
    port = free_port()
    script = serve.script.strip() + f" --port {port} &\n"
    script += f"timeout 300 bash -c 'until curl -sf http://127.0.0.1:{port}/__admin/health; do sleep 0.5; done'\n"
    script += f"curl -sf -o journey.json http://127.0.0.1:{port}/api/journey/x -H 'Authorization: Bearer jvx_test_a'\n"
    run = run_script(script, checkout, example_environment(f"http://127.0.0.1:{port}"))
    assert run.status == 0, run.stderr[-3000:]
    assert json.loads((checkout / "journey.json").read_text())["journey_id"] == "x"
