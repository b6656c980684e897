"""One interface over the two load methods; each load runs as its own process, pinned to the load cores."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks import loadgen, wrk
from benchmarks.loadgen import LoadSpec
from benchmarks.procs import Pinning, pinned
from benchmarks.stats import LoadResult

# Beyond the run's own duration: start-up, the last responses, writing the result.
SUBPROCESS_GRACE_S = 30.0


class LoadError(Exception):
    """The load generator itself failed (not the server): its output is in the message."""


@dataclass(frozen=True)
class LoadMethod:
    name: str
    pinning: Pinning

    def run(self, spec: LoadSpec) -> LoadResult:
        if self.name == "wrk":
            return self._run_wrk(spec)
        return self._run_python(spec)

    def _run_wrk(self, spec: LoadSpec) -> LoadResult:
        if spec.max_requests is not None or spec.body_template is not None or spec.id_cycle is not None:
            raise ValueError("wrk runs GETs of new ids for a duration; use the python method for anything else")
        # One wrk thread per load core: more threads than cores only adds switching.
        threads = max(1, len(self.pinning.load_cpus) or 1)
        with tempfile.TemporaryDirectory(prefix="jm-bench-wrk-") as folder:
            lua = wrk.write_script(Path(folder), spec.path_prefix, spec.id_tag, spec.headers)
            argv = [
                "wrk",
                f"-t{min(threads, spec.connections)}",
                f"-c{spec.connections}",
                f"-d{max(1, round(spec.duration_s))}s",
                "--timeout",
                "5s",
                "-s",
                str(lua),
                f"http://{spec.host}:{spec.port}",
            ]
            stdout = self._call(argv, spec.duration_s)
        return wrk.parse(stdout, spec.connections)

    def _run_python(self, spec: LoadSpec) -> LoadResult:
        argv = [
            sys.executable,
            "-m",
            "benchmarks.loadgen",
            "--host",
            spec.host,
            "--port",
            str(spec.port),
            "--path-prefix",
            spec.path_prefix,
            "--connections",
            str(spec.connections),
            "--duration",
            str(spec.duration_s),
            "--id-tag",
            spec.id_tag,
        ]
        for name, value in spec.headers:
            argv += ["--header", f"{name}: {value}"]
        if spec.max_requests is not None:
            argv += ["--max-requests", str(spec.max_requests)]
        if spec.method != "GET":
            argv += ["--method", spec.method]
        if spec.body_template is not None:
            argv += ["--body-template", spec.body_template]
        if spec.id_cycle is not None:
            argv += ["--id-cycle", str(spec.id_cycle)]
        stdout = self._call(argv, spec.duration_s + loadgen.GRACE_S)
        return LoadResult.from_json(json.loads(stdout.strip().splitlines()[-1]))

    def _call(self, argv: list[str], duration_s: float) -> str:
        command = pinned(argv, self.pinning.load_cpus, self.pinning)
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=duration_s + SUBPROCESS_GRACE_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise LoadError(f"{argv[0]} did not finish within {duration_s + SUBPROCESS_GRACE_S:.0f} s") from exc
        if done.returncode != 0:
            raise LoadError(f"{argv[0]} exited {done.returncode}: {(done.stderr or done.stdout)[-800:]}")
        return done.stdout


def choose(requested: str, pinning: Pinning) -> LoadMethod:
    """wrk when installed (it spends less CPU per request than any Python client), else the bundled one."""
    if requested == "wrk" and shutil.which("wrk") is None:
        raise LoadError("--load wrk given but wrk is not installed")
    if requested == "auto":
        requested = "wrk" if shutil.which("wrk") else "python"
    return LoadMethod(requested, pinning)


def python_method(pinning: Pinning) -> LoadMethod:
    """The bundled generator: the only one that can stop after an exact number of distinct ids."""
    return LoadMethod("python", pinning)
