from __future__ import annotations

import os
import subprocess
import sys
import venv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from postgres import REQUIRED_ENV, PostgresServer, Unavailable, postgres_server
from starlette.testclient import TestClient
from support import FIXED_NOW, REPO_ROOT

from mockserver.app import create_app
from mockserver.clock import parse_instant
from mockserver.config import ServerConfig

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """In-process clients of the mock (no sockets), self-validating every response against the specs."""
    clients: list[TestClient] = []

    def make(*, client_host: str = "127.0.0.1", **settings: Any) -> TestClient:
        settings.setdefault("now", parse_instant(FIXED_NOW))
        settings.setdefault("validate_responses", True)
        client = TestClient(
            create_app(ServerConfig(**settings)), base_url="http://127.0.0.1:8000", client=(client_host, 50000)
        )
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


@dataclass(frozen=True)
class WheelEnvironment:
    """A fresh virtual environment outside the repository with only the built wheel (and its dependencies)."""

    wheel: Path
    python: Path

    def run(self, command: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        # No PYTHONPATH and a directory outside the repository: only what the wheel installed can be imported.
        environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def wheel_environment(tmp_path_factory: pytest.TempPathFactory) -> WheelEnvironment:
    """The wheel of this checkout, built as users get it (compiled where a C compiler exists), installed into a
    new virtual environment. Built once per session: about a minute with pip's cache warm."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    environment = {key: value for key, value in os.environ.items() if key != "JOURNEYMOCK_PURE_PYTHON"}
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO_ROOT), "--no-deps", "-w", str(dist), "-q"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("journeymock-*.whl")
    venv.create(root / "venv", with_pip=True)
    made = WheelEnvironment(wheel, root / "venv" / "bin" / "python")
    # With the contract runner's extra: the product as CI users install it (the plugin's users have pytest).
    installed = made.run([str(made.python), "-m", "pip", "install", "-q", f"{wheel}[contracts]"], root)
    assert installed.returncode == 0, installed.stderr
    return made


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL for the whole session (`tests/postgres.py`); skipped, saying why, only without one."""
    try:
        with postgres_server() as server:
            yield server
    except Unavailable as reason:
        if os.environ.get(REQUIRED_ENV):
            pytest.fail(f"{REQUIRED_ENV} is set and there is no PostgreSQL: {reason}")
        pytest.skip(f"no PostgreSQL for these tests: {reason}")


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> Iterator[str]:
    """A fresh database of the session's PostgreSQL, dropped after the test."""
    with postgres.database() as url:
        yield url
