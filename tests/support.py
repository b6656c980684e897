"""Helpers shared by the tests: in-process clients and a real server on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

FIXED_NOW = "2026-05-21T16:30:00Z"
JOURVEX_AUTH = {"Authorization": "Bearer jvx_test_local"}
ODYSSEY_AUTH = {"Authorization": "Bearer odyssey-team-a"}
YOFI_HEADERS = {"Authorization": "Bearer yofi-token", "x-scope-partner-id": "partner-1"}
REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServedMock:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown handlers run."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_server(arguments: Sequence[str], log_dir: Path, timeout: float = 20.0) -> ServedMock:
    """`python -m mockserver serve ARGS` on a free loopback port, waiting until it answers."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--host", "127.0.0.1", "--port", str(port), *arguments],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
    served = ServedMock(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{served.log()}")
        try:
            if httpx.get(f"{served.base_url}/__admin/health", timeout=1.0).status_code == 200:
                return served
        except httpx.HTTPError:
            time.sleep(0.05)
    served.stop()
    raise RuntimeError(f"server did not answer within {timeout} s:\n{served.log()}")


@contextlib.contextmanager
def served_mock(arguments: Sequence[str], log_dir: Path) -> Iterator[ServedMock]:
    served = start_server(arguments, log_dir)
    try:
        yield served
    finally:
        served.stop()
