"""wrk as the load method: the Lua script that gives every request its own id, and reading its result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.stats import LoadResult

RESULT_MARK = "JMBENCH "

# `setup` numbers the threads; each thread then counts its own requests, so `<tag>t<thread>n<count>` is
# distinct across the whole run without any shared state. `done` prints one JSON line for the harness.
# No `response` callback: defining one makes wrk hand every body to Lua, which costs more than it measures.
_SCRIPT = """
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local counter = 0
local prefix = %(prefix)s
wrk.method = "GET"
%(headers)s

function request()
  counter = counter + 1
  return wrk.format(nil, prefix .. tid .. "n" .. counter)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%(mark)s{"requests":%%d,"duration_us":%%d,"status":%%d,"connect":%%d,"read":%%d,' ..
    '"write":%%d,"timeout":%%d,"p50_us":%%f,"p99_us":%%f}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _lua_string(text: str) -> str:
    # JSON string syntax is valid Lua for the ASCII text used here (paths, header values).
    return json.dumps(text)


def script(path_prefix: str, id_tag: str, headers: tuple[tuple[str, str], ...]) -> str:
    header_lines = "\n".join(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers)
    return _SCRIPT % {
        "prefix": _lua_string(f"{path_prefix}{id_tag}t"),
        "headers": header_lines,
        "mark": RESULT_MARK,
    }


def write_script(folder: Path, path_prefix: str, id_tag: str, headers: tuple[tuple[str, str], ...]) -> Path:
    path = folder / f"wrk-{id_tag}.lua"
    path.write_text(script(path_prefix, id_tag, headers))
    return path


def parse(stdout: str, connections: int) -> LoadResult:
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARK):
            data: dict[str, Any] = json.loads(line[len(RESULT_MARK) :])
            break
    else:
        raise ValueError(f"wrk printed no result line: {stdout[-500:]}")
    socket_errors = sum(int(data[key]) for key in ("connect", "read", "write", "timeout"))
    return LoadResult(
        method="wrk",
        connections=connections,
        duration_s=data["duration_us"] / 1e6,
        requests=int(data["requests"]),
        http_errors=int(data["status"]),
        socket_errors=socket_errors,
        p50_ms=round(data["p50_us"] / 1000, 3),
        p99_ms=round(data["p99_us"] / 1000, 3),
    )
