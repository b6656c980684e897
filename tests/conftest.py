from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from postgres import REQUIRED_ENV, PostgresServer, Unavailable, postgres_server
from starlette.testclient import TestClient
from support import FIXED_NOW

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
