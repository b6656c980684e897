"""What a benchmark run found, per target, and its rendering as a Markdown table and a JSON document."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.stats import LoadResult, median

# The ratios the design's quality bar is stated in: journeymock against each reference point.
RATIOS = (("journeymock", "ceiling"), ("journeymock", "prism-static"), ("journeymock", "prism-dynamic"))


@dataclass
class TargetResult:
    name: str
    label: str
    # "ok", "failed" (did not start or broke during the run) or "unavailable" (cannot run on this machine).
    status: str = "ok"
    problem: str | None = None
    # The server's last log lines when it failed: the problem in full.
    detail: str | None = None
    startup_s: list[float] = field(default_factory=list)
    body_bytes: int | None = None
    rss_idle_mb: float | None = None
    rss_after_mb: float | None = None
    fill: LoadResult | None = None
    runs: list[LoadResult] = field(default_factory=list)
    # Server CPU time (user + system, whole process tree) per response, one figure per run: steadier than
    # req/s on a shared machine, and what to compare across machines.
    cpu_us_per_request: list[float] = field(default_factory=list)
    # Only when --connections is not the latency connection count: a separate run for p50/p99.
    latency_runs: list[LoadResult] = field(default_factory=list)

    def fail(self, problem: str, status: str = "failed", detail: str | None = None) -> None:
        self.status = status
        self.problem = problem
        self.detail = detail

    @property
    def rps_values(self) -> list[float]:
        return [run.rps for run in self.runs]

    @property
    def rps(self) -> float:
        return median(self.rps_values)

    def latency(self) -> tuple[float, float]:
        runs = self.latency_runs or self.runs
        return median([run.p50_ms for run in runs]), median([run.p99_ms for run in runs])

    @property
    def errors(self) -> int:
        return sum(run.http_errors + run.socket_errors for run in (*self.runs, *self.latency_runs))

    def summary(self) -> dict[str, Any]:
        p50, p99 = self.latency()
        values = self.rps_values
        return {
            "rps_median": _round(self.rps, 1),
            "rps_min": _round(min(values), 1) if values else None,
            "rps_max": _round(max(values), 1) if values else None,
            "p50_ms": _round(p50, 2),
            "p99_ms": _round(p99, 2),
            "cpu_us_per_request": _round(median(self.cpu_us_per_request), 1),
            "startup_s": _round(median(self.startup_s), 3),
            "errors": self.errors,
            "ids_filled": self.fill.requests if self.fill else None,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "status": self.status,
            "problem": self.problem,
            "detail": self.detail,
            "body_bytes": self.body_bytes,
            "startup_s_samples": [round(value, 3) for value in self.startup_s],
            "rss_idle_mb": _round(self.rss_idle_mb, 1),
            "rss_after_mb": _round(self.rss_after_mb, 1),
            "fill": self.fill.to_json() if self.fill else None,
            "runs": [run.to_json() for run in self.runs],
            "cpu_us_per_request": [round(value, 1) for value in self.cpu_us_per_request],
            "latency_runs": [run.to_json() for run in self.latency_runs],
            "summary": self.summary(),
        }


def _round(value: float | None, digits: int) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, digits)


def ratios(results: list[TargetResult]) -> dict[str, dict[str, Any]]:
    """Each ratio three ways: of the median req/s; per round (run i of one against run i of the other, which
    the machine's drift affects least); and of server CPU per request, the figure at a saturated core."""
    by_name = {result.name: result for result in results if result.status == "ok" and result.runs}
    found: dict[str, dict[str, Any]] = {}
    for top, bottom in RATIOS:
        a, b = by_name.get(top), by_name.get(bottom)
        if a is None or b is None or b.rps <= 0:
            found[f"{top}/{bottom}"] = {"rps": None, "rps_per_round": [], "cpu": None}
            continue
        rounds = [x.rps / y.rps for x, y in zip(a.runs, b.runs, strict=False) if y.rps > 0]
        cpu_a, cpu_b = median(a.cpu_us_per_request), median(b.cpu_us_per_request)
        found[f"{top}/{bottom}"] = {
            "rps": round(a.rps / b.rps, 3),
            "rps_per_round": [round(value, 3) for value in rounds],
            "cpu": round(cpu_b / cpu_a, 3) if cpu_a > 0 else None,
        }
    return found


def _cell(value: float | None, fmt: str) -> str:
    return "—" if value is None or math.isnan(value) else format(value, fmt)


def markdown(results: list[TargetResult], meta: dict[str, Any]) -> str:
    settings = meta["settings"]
    lines = [
        f"Benchmark {meta['created']} — load: {meta['environment']['load_method']}; {meta['environment']['pinning']}.",
        f"req/s: median of {settings['runs']} interleaved {settings['duration_s']:g} s runs at "
        f"{settings['connections']} connections (min-max); latency at {settings['latency_connections']} "
        f"connections; RSS after up to {settings['fill_ids']:,} distinct ids.",
        f"Command: `{' '.join(meta['command'])}`",
        f"journeymock build: {meta['environment'].get('journeymock_build')}.",
        "",
        "| target | body B | req/s | min-max | p50 ms | p99 ms | CPU µs/req | start-up s | RSS idle MB "
        "| RSS after MB | ids | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        if result.status != "ok":
            # One cell for the reason, then the row's remaining ten cells left empty.
            lines.append(f"| {result.name} | {result.status}: {_one_line(result.problem)} |" + " |" * 10)
            continue
        s = result.summary()
        span = f"{_cell(s['rps_min'], ',.0f')}-{_cell(s['rps_max'], ',.0f')}" if result.runs else "—"
        ids = "—" if s["ids_filled"] is None else f"{s['ids_filled']:,}"
        lines.append(
            f"| {result.name} | {result.body_bytes or '—'} | {_cell(s['rps_median'], ',.0f')} | {span} "
            f"| {_cell(s['p50_ms'], '.2f')} | {_cell(s['p99_ms'], '.2f')} | {_cell(s['cpu_us_per_request'], ',.0f')} "
            f"| {_cell(s['startup_s'], '.2f')} "
            f"| {_cell(result.rss_idle_mb, '.1f')} | {_cell(result.rss_after_mb, '.1f')} "
            f"| {ids} | {s['errors']:,} |"
        )
    lines.append("")
    for key, value in meta["ratios"].items():
        rounds = ", ".join(f"{ratio:.2f}" for ratio in value["rps_per_round"]) or "—"
        lines.append(
            f"- {key}: {_cell(value['rps'], '.2f')} by median req/s (per round: {rounds}); "
            f"{_cell(value['cpu'], '.2f')} by server CPU per request"
        )
    lines.append("")
    lines.extend(f"- {result.name}: {result.label}" for result in results)
    return "\n".join(lines) + "\n"


def _one_line(text: str | None, limit: int = 160) -> str:
    flat = " ".join((text or "").split()).replace("|", "/")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def write(results: list[TargetResult], meta: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """`<timestamp>.json` and `.md` in `folder`, also copied to `latest.json` / `latest.md`."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(meta["created"]).strftime("%Y%m%d-%H%M%S")
    document = {**meta, "targets": [result.to_json() for result in results]}
    text = json.dumps(document, indent=2) + "\n"
    table = markdown(results, meta)
    json_path, md_path = folder / f"{stamp}.json", folder / f"{stamp}.md"
    for path, content in ((json_path, text), (md_path, table)):
        path.write_text(content)
        (folder / f"latest{path.suffix}").write_text(content)
    return json_path, md_path
