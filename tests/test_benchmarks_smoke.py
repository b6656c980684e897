"""The benchmark harness: its load generator counts and measures correctly, and a quick run yields figures."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks.loadgen import LoadSpec, parse_response, run_load
from benchmarks.stats import percentile

REPO = Path(__file__).resolve().parent.parent


class _Counting(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.paths: list[str] = []
        self.bodies: list[bytes] = []


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, as the load generator expects of any server.
    protocol_version = "HTTP/1.1"
    server: _Counting

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.paths.append(self.path)
            count = len(self.server.paths)
        body = b'{"ok":true}'
        # Every tenth answer is an error, every other one chunked: both must be counted and parsed.
        self.send_response(404 if count % 10 == 0 else 200)
        self.send_header("Content-Type", "application/json")
        if count % 2:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            self.server.paths.append(self.path)
            self.server.bodies.append(body)
        self.send_response(201)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def counting_server() -> Iterator[_Counting]:
    server = _Counting()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_loadgen_counts_requests_with_distinct_ids(counting_server: _Counting) -> None:
    port = counting_server.server_address[1]
    spec = LoadSpec(
        host="127.0.0.1",
        port=int(port),
        path_prefix="/api/journey/cluster_",
        headers=(("Authorization", "Bearer jvx_test_bench"),),
        connections=4,
        duration_s=20.0,
        max_requests=300,
        id_tag="t",
    )
    result = run_load(spec)
    assert result.requests == 300
    assert result.http_errors == 30
    assert result.socket_errors == 0
    assert len(counting_server.paths) == 300
    assert len(set(counting_server.paths)) == 300
    assert all(path.startswith("/api/journey/cluster_tn") for path in counting_server.paths)
    assert 0 < result.p50_ms <= result.p99_ms
    assert result.rps > 0


def test_loadgen_puts_ids_in_bodies_and_cycles_them(counting_server: _Counting) -> None:
    port = int(counting_server.server_address[1])
    posts = LoadSpec(
        host="127.0.0.1",
        port=port,
        path_prefix="/api/journeys/create",
        headers=(),
        connections=3,
        duration_s=20.0,
        max_requests=40,
        id_tag="c",
        method="POST",
        body_template='{"slug":"{id}"}',
    )
    result = run_load(posts)
    assert (result.requests, result.http_errors) == (40, 0)
    assert set(counting_server.paths) == {"/api/journeys/create"}
    slugs = [json.loads(body)["slug"] for body in counting_server.bodies]
    assert sorted(slugs) == sorted(f"cn{number:x}" for number in range(1, 41))

    counting_server.paths.clear()
    cycled = LoadSpec("127.0.0.1", port, "/api/journeys/", (), 2, 20.0, max_requests=25, id_tag="c", id_cycle=10)
    assert run_load(cycled).requests == 25
    assert sorted(set(counting_server.paths)) == sorted(f"/api/journeys/cn{number:x}" for number in range(1, 11))


def test_the_odyssey_benchmark_serves_with_the_store_it_measures() -> None:
    from benchmarks.odyssey import serve_argv
    from mockserver.cli import build_parser
    from mockserver.store import DatabaseUrl

    argv = serve_argv(8123, "postgresql://postgres@127.0.0.1:5432/bench", Path(sys.executable))
    served = build_parser().parse_args(argv[argv.index("serve") :])
    assert served.apis == ["jourvex", "odyssey"]
    assert served.state_path == DatabaseUrl("postgresql://postgres@127.0.0.1:5432/bench")
    assert served.port == 8123
    memory = serve_argv(8123, None, Path(sys.executable))
    assert build_parser().parse_args(memory[memory.index("serve") :]).state_path is None


@pytest.mark.slow
def test_quick_odyssey_benchmark_of_every_store(tmp_path: Path) -> None:
    command = [
        *(sys.executable, "-m", "benchmarks.odyssey", "--quick", "--build", "checkout"),
        *("--results-dir", str(tmp_path)),
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "odyssey-latest.json").read_text())
    assert [store["store"] for store in document["stores"]] == ["memory", "sqlite", "postgresql"]
    for store in document["stores"]:
        assert store["status"] == "ok", store
        for phase in ("create", "read", "jourvex-empty", "jourvex"):
            assert store["phases"][phase]["rps"] > 0
            assert store["phases"][phase]["http_errors"] == 0
    assert document["replicas"]["two_rps_median"] > 0


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 100.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([7.0], 99) == 7.0


def test_response_parser_waits_for_whole_bodies() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    assert parse_response(bytearray(head + b"abc")) is None
    assert parse_response(bytearray(head + b"abcdeHTTP/1.1")) == (200, len(head) + 5, False)
    chunked = b"HTTP/1.1 503 x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n"
    assert parse_response(bytearray(chunked)) is None
    assert parse_response(bytearray(chunked + b"0\r\n\r\n")) == (503, len(chunked) + 5, True)


@pytest.mark.slow
def test_quick_benchmark_of_the_ceiling_app(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--quick",
        "--targets",
        "ceiling",
        "--body-bytes",
        "2200",
        "--results-dir",
        str(tmp_path),
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "latest.json").read_text())
    (ceiling,) = document["targets"]
    assert ceiling["status"] == "ok"
    assert ceiling["summary"]["rps_median"] > 0
    assert ceiling["body_bytes"] == 2200
    assert (tmp_path / "latest.md").read_text().count("| ceiling |") == 1


def test_instruction_counts_are_per_request_differences() -> None:
    from benchmarks.instructions import Count, Run

    count = Count("x", Run(1000, 5_000_000, 2400), Run(3000, 9_000_000, 2400))
    assert count.per_request == 2000


def test_instruction_count_arguments_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import instructions

    with pytest.raises(SystemExit):
        instructions.main(["--requests", "300", "100"])
    assert "SHORT < LONG" in capsys.readouterr().err


@pytest.mark.slow
def test_instruction_counts_of_both_servers() -> None:
    # Several minutes under valgrind: opt-in with `-m slow`.
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.instructions", "--requests", "20", "120", "--build", "checkout"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    assert "journeymock/ceiling by instructions:" in done.stdout
    assert "| journeymock |" in done.stdout and "| ceiling |" in done.stdout
