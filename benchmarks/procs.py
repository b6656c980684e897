"""Starting, pinning, probing and stopping the processes under test.

Every server is started in its own session so that stopping it ends its whole process group, children
included; every wait here is bounded.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"


class StartError(Exception):
    """A target that did not answer 200 in time; the message says what it did instead."""

    def __init__(self, message: str, log_tail: str) -> None:
        # The last log line is usually the exception that stopped the server: the useful short form.
        last = next((line.strip() for line in reversed(log_tail.splitlines()) if line.strip()), "")
        super().__init__(f"{message}: {last}" if last else message)
        self.log_tail = log_tail


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Pinning:
    """Which cores the servers and the load generator get; empty when the machine has only one."""

    server_cpus: tuple[int, ...]
    load_cpus: tuple[int, ...]
    tool: str

    @property
    def enabled(self) -> bool:
        return bool(self.server_cpus)

    def describe(self) -> str:
        if not self.enabled:
            return "not pinned (fewer than two cores available)"
        return f"server on cpu {_cpus(self.server_cpus)}, load on cpu {_cpus(self.load_cpus)} ({self.tool})"


def _cpus(cpus: Sequence[int]) -> str:
    return ",".join(str(cpu) for cpu in cpus)


def choose_pinning(enabled: bool = True) -> Pinning:
    """Server on the first available core, load generator (and this harness) on the others."""
    cpus = tuple(sorted(os.sched_getaffinity(0)))
    if not enabled or len(cpus) < 2:
        return Pinning((), (), "none")
    tool = "taskset" if shutil.which("taskset") else "sched_setaffinity"
    return Pinning(cpus[:1], cpus[1:], tool)


def pinned(argv: Sequence[str], cpus: Sequence[int], pinning: Pinning) -> list[str]:
    """`argv` prefixed so that it runs on `cpus`; unchanged without taskset (see `popen`)."""
    if not cpus or pinning.tool != "taskset":
        return list(argv)
    return ["taskset", "-c", _cpus(cpus), *argv]


@dataclass
class Server:
    """A started process tree: its root, its log and how long it took to answer 200."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    startup_s: float = 0.0
    extra_files: list[Path] = field(default_factory=list)

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def popen(
    argv: Sequence[str],
    *,
    cpus: Sequence[int],
    pinning: Pinning,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session, output to `log_path`, pinned to `cpus` when pinning is on."""
    command = pinned(argv, cpus, pinning)
    affinity = set(cpus) if cpus and pinning.tool == "sched_setaffinity" else None

    def pin_child() -> None:
        if affinity:
            os.sched_setaffinity(0, affinity)

    with log_path.open("wb") as log:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=pin_child if affinity else None,
        )


def get(port: int, path: str, headers: Mapping[str, str], timeout: float = 2.0) -> tuple[int, bytes]:
    """One GET on a fresh connection: (status, body)."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=dict(headers))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_server(
    name: str,
    argv: Sequence[str],
    *,
    port: int,
    probe_path: str,
    headers: Mapping[str, str],
    pinning: Pinning,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Server:
    """Spawn and wait for the first 200 on `probe_path`; start-up time is spawn → that response."""
    fd, log_name = tempfile.mkstemp(prefix=f"jm-bench-{name}-", suffix=".log")
    os.close(fd)
    log_path = Path(log_name)
    spawned = time.perf_counter()
    proc = popen(argv, cpus=pinning.server_cpus, pinning=pinning, log_path=log_path, env=env, cwd=cwd)
    server = Server(name=name, proc=proc, port=port, log_path=log_path)
    last = "no answer"
    try:
        while time.perf_counter() - spawned < timeout_s:
            if proc.poll() is not None:
                raise StartError(f"exited with status {proc.returncode}", server.log_tail())
            try:
                status, _ = get(port, probe_path, headers, timeout=1.0)
            except OSError as exc:
                last = f"{type(exc).__name__}"
            else:
                if status == 200:
                    server.startup_s = time.perf_counter() - spawned
                    return server
                last = f"HTTP {status}"
            time.sleep(0.005)
        raise StartError(f"no 200 on {probe_path} within {timeout_s:.0f} s (last: {last})", server.log_tail())
    except BaseException:
        stop_server(server)
        raise


def stop_server(server: Server, timeout_s: float = 5.0) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers; also removes the log and scratch files."""
    proc = server.proc
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=timeout_s)
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.poll() is None:
        proc.wait(timeout=timeout_s)
    for path in (server.log_path, *server.extra_files):
        path.unlink(missing_ok=True)


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: fields start after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree_pids(root: int) -> list[int]:
    children = _children()
    found: list[int] = []
    pending = [root]
    while pending and len(found) < 10_000:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def tree_cpu_s(root: int) -> float:
    """User + system CPU time of `root` and its descendants so far, in seconds (all threads included)."""
    ticks = 0
    for pid in tree_pids(root):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # Fields 14 and 15 of proc(5), counted from the state field (3) after the command name.
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and all its descendants (VmRSS summed), in MiB."""
    total_kb = 0
    for pid in tree_pids(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
                break
    return total_kb / 1024
