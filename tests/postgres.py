"""A real PostgreSQL for the tests: the server `JOURNEYMOCK_TEST_POSTGRES_URL` names, or a throwaway cluster.

The throwaway cluster is PostgreSQL from the operating system's packages (`initdb`, `pg_ctl`), in a temporary
directory, on a free loopback port, with trust authentication; as root it runs as the `postgres` user, since
`initdb` refuses root. Every test gets a database of its own, created and dropped around it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from support import free_port

URL_ENV = "JOURNEYMOCK_TEST_POSTGRES_URL"
#: Set (by `.ci/run`) where the PostgreSQL tests must run: no PostgreSQL is then a failure, not a skip.
REQUIRED_ENV = "JOURNEYMOCK_TEST_POSTGRES_REQUIRED"
SERVER_USER = "postgres"


class Unavailable(Exception):
    """No PostgreSQL can be had here; the message says why (the tests that need one are skipped with it)."""


@dataclass(frozen=True)
class PostgresServer:
    #: A URL of a database on the server from which others can be created (`CREATE DATABASE`).
    admin_url: str

    def database_url(self, name: str) -> str:
        split = urlsplit(self.admin_url)
        return urlunsplit((split.scheme, split.netloc, "/" + name, split.query, split.fragment))

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A new, empty database, dropped afterwards (with whatever connections are still open to it)."""
        name = f"journeymock_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield self.database_url(name)
        finally:
            with psycopg.connect(self.admin_url, autocommit=True) as connection:
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def server_from_environment() -> PostgresServer | None:
    url = os.environ.get(URL_ENV)
    if not url:
        return None
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5):
            pass
    except psycopg.Error as error:
        # Named on purpose: a configured server that does not answer is a failure, not a reason to skip.
        raise RuntimeError(f"{URL_ENV}={url} does not answer: {error}") from None
    return PostgresServer(url)


def _binaries() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda path: int(Path(path).parts[-3]))
    if not versions:
        raise Unavailable(
            f"PostgreSQL is not installed (no pg_ctl; `apt-get install postgresql`) and {URL_ENV} is not set"
        )
    return Path(versions[-1]).parent


def _as_server_user() -> tuple[list[str], bool]:
    """The command prefix that runs a PostgreSQL binary (initdb refuses root), and whether it switches user."""
    if os.geteuid() != 0:
        return [], False
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise Unavailable(f"running as root and there is no {SERVER_USER!r} user to run initdb as") from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise Unavailable("running as root and `runuser` is missing, so initdb cannot run as another user")
    return [runuser, "-u", SERVER_USER, "--"], True


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[PostgresServer]:
    """A cluster of our own in a temporary directory, on a free loopback port; stopped and removed afterwards."""
    binaries = _binaries()
    prefix, switches_user = _as_server_user()
    directory = Path(tempfile.mkdtemp(prefix="journeymock-pg-"))
    if switches_user:
        directory.chmod(0o777)  # the server user writes its data and socket here
    data, log, port = directory / "data", directory / "postgres.log", free_port()

    def run(arguments: Sequence[str]) -> None:
        done = subprocess.run([*prefix, *arguments], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            details = (done.stderr or done.stdout).strip().splitlines()[-3:]
            server_log = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
            raise RuntimeError(f"{Path(arguments[0]).name} failed: {' / '.join(details + server_log)}")

    try:
        run([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", SERVER_USER, "-E", "UTF8"])
        options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        run([str(binaries / "pg_ctl"), "-D", str(data), "-w", "-l", str(log), "-o", options, "start"])
        try:
            yield PostgresServer(f"postgresql://{SERVER_USER}@127.0.0.1:{port}/postgres")
        finally:
            run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """The configured server, else a throwaway cluster; `Unavailable` when neither can be had."""
    configured = server_from_environment()
    if configured is not None:
        yield configured
        return
    with throwaway_cluster() as cluster:
        yield cluster


class SeveringProxy:
    """A loopback TCP proxy to the database that can sever: while severed it drops every open connection and
    closes each new one at once, as a database that went away does; restored, it forwards again."""

    def __init__(self, target_url: str) -> None:
        split = urlsplit(target_url)
        self._target = (split.hostname or "127.0.0.1", split.port or 5432)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # so that close() is noticed
        self.port = int(self._listener.getsockname()[1])
        self.url = urlunsplit(
            (split.scheme, f"{split.username or SERVER_USER}@127.0.0.1:{self.port}", split.path, split.query, "")
        )
        self._severed = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closing = False
        self._thread = threading.Thread(target=self._accept, name="severing-proxy", daemon=True)
        self._thread.start()

    def sever(self) -> None:
        self._severed.set()
        with self._lock:
            for connection in self._open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._open.clear()

    def restore(self) -> None:
        self._severed.clear()

    def close(self) -> None:
        self._closing = True
        self.sever()
        self._listener.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            if self._severed.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._open.discard(source)
            source.close()
