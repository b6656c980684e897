"""The pytest side of a contract run: options, the run object, and what pytest prints and writes.

`contracts/conftest.py` wires these into hooks; they live here so they are typed, tested and importable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest
from schemathesis.core.failures import FailureGroup

from journeymock.contracts.redaction import redact
from journeymock.contracts.session import ContractRun
from journeymock.contracts.settings import TARGETS, ConfigurationError, build_settings
from journeymock.contracts.targets import unreachable

RUN_KEY: Final = pytest.StashKey[ContractRun]()
API_ARGUMENT: Final = "contract_api"
API_MARKER: Final = "contract_api"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("journeymock contracts", "contract tests of the Jourvex, Odyssey and Yofi APIs")
    group.addoption("--target", choices=TARGETS, default="mock", help="mock (in-process, default) or live")
    group.addoption("--base-url", default=None, help="base URL of the one --api under test (live target)")
    group.addoption(
        "--api", action="append", default=None, metavar="NAME", help="an API to test (repeatable; default: all)"
    )
    group.addoption("--max-examples", type=int, default=None, metavar="N", help="examples per operation")
    group.addoption("--seed", type=int, default=None, metavar="N", help="seed; the same seed replays a run")
    group.addoption("--allow-writes", action="store_true", help="let a live run create and update journeys")
    group.addoption(
        "--lenient-invariants", action="store_true", help="report broken invariants of a live target as warnings"
    )
    group.addoption(
        "--strict-inferences", action="store_true", help="contradicted inferences fail a live run too, not only warn"
    )
    group.addoption(
        "--journeymock-progress",
        action="store_true",
        help="a progress line per API and phase and the journeymock summary (with -p no:terminal)",
    )
    group.addoption(
        "--observations", default=None, metavar="PATH", help="append one JSON line per exchange (for drift)"
    )
    group.addoption("--rate", default=None, metavar="N/s", help="at most N requests per second (live default 10/s)")
    group.addoption(
        "--spec-dir", default=None, metavar="DIR", help="the specs to hold the target to (default: shipped)"
    )


def configure(config: pytest.Config) -> None:
    option = config.option
    try:
        settings = build_settings(
            apis=option.api,
            target=option.target,
            base_url=option.base_url,
            max_examples=option.max_examples,
            seed=option.seed,
            allow_writes=option.allow_writes,
            lenient_invariants=option.lenient_invariants,
            strict_inferences=option.strict_inferences,
            observations=Path(option.observations) if option.observations else None,
            spec_dir=Path(option.spec_dir) if option.spec_dir else None,
            rate=option.rate,
        )
    except ConfigurationError as error:
        raise pytest.UsageError(str(error)) from None
    if not config.option.collectonly:
        problem = unreachable(settings)
        if problem is not None:
            raise pytest.UsageError(problem)
    config.stash[RUN_KEY] = ContractRun(settings)
    if getattr(config.option, PROGRESS_OPTION, False):
        config.pluginmanager.register(ProgressPrinter(config.stash[RUN_KEY]), "journeymock-progress")
    config.addinivalue_line("markers", f"{API_MARKER}(name): a test of one API only, left out of runs without it")


def contract_run_of(config: pytest.Config) -> ContractRun:
    return config.stash[RUN_KEY]


def parametrize_apis(metafunc: pytest.Metafunc) -> None:
    """Tests that take `contract_api` run once per API of the run."""
    if API_ARGUMENT in metafunc.fixturenames and RUN_KEY in metafunc.config.stash:
        apis = contract_run_of(metafunc.config).settings.apis
        metafunc.parametrize(API_ARGUMENT, list(apis), scope="session")


def deselect_other_apis(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of one API (`@pytest.mark.contract_api(NAME)`) are left out of runs without it, not skipped."""
    if RUN_KEY not in config.stash:
        return
    apis = contract_run_of(config).settings.apis
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker(API_MARKER)
        (dropped if marker is not None and marker.args[0] not in apis else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def rewrite_report(config: pytest.Config, report: pytest.TestReport, call: pytest.CallInfo[Any]) -> None:
    """A contract failure is shown as its own report, not as a traceback; no credential is ever shown."""
    if RUN_KEY not in config.stash:
        return
    run = contract_run_of(config)
    secrets = run.secrets()
    if report.when == "call":
        collected = run.report.take_pending()
        if collected:
            # Violations the test recorded and went on past: the test (one operation) fails with all of them.
            text = "\n\n".join(f"{index}. {part}" for index, part in enumerate(collected, 1))
            if report.failed and report.longrepr is not None:
                text += "\n\nand then:\n" + str(report.longrepr)
            report.outcome = "failed"
            report.longrepr = text
            return _mask(report, secrets)
    if report.failed and call.excinfo is not None:
        rendered = _render_exception(call.excinfo.value)
        if rendered is not None:
            report.longrepr = rendered
        elif report.when == "call":
            run.report.record_error(report.nodeid, call.excinfo.exconly().splitlines()[0])
    _mask(report, secrets)


def _mask(report: pytest.TestReport, secrets: tuple[str, ...]) -> None:
    if report.longrepr is not None:
        text = str(report.longrepr)
        masked = redact(text, secrets)
        if masked != text:
            report.longrepr = masked
    report.sections = [(title, redact(content, secrets)) for title, content in report.sections]


def _render_exception(error: BaseException) -> str | None:
    if isinstance(error, FailureGroup):
        return str(error.message)
    if isinstance(error, BaseExceptionGroup):
        parts = [_render_exception(inner) for inner in error.exceptions]
        if parts and all(part is not None for part in parts):
            return "\n\n".join(f"{index}. {part}" for index, part in enumerate(parts, 1) if part is not None)
    return None


def write_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = contract_run_of(config)
    terminalreporter.write_sep("=", "journeymock contracts summary")
    for line in run.report.summary_lines():
        terminalreporter.write_line(redact(line, run.secrets()))


#: What each test of the suite checks, as the progress line names it.
PHASES: Final = {
    "test_operation": "operations (examples, coverage, fuzzing)",
    "test_edge_probes": "edge probes",
    "test_odyssey_lifecycle": "sequences: lifecycle",
    "test_odyssey_links": "sequences: spec links",
    "test_yofi_views": "sequences: two views",
}
PROGRESS_OPTION: Final = "journeymock_progress"


class ProgressPrinter:
    """What `journeymock contracts` prints instead of pytest's terminal output: a line per API and phase as it
    ends (outcome, exchanges checked, warnings), the violations found, and the journeymock summary last."""

    def __init__(self, run: ContractRun, write: Any = print) -> None:
        self.run = run
        self.write = write
        self._outcomes: dict[str, str] = {}
        self._reasons: dict[str, str] = {}
        self._failures: list[str] = []
        self._exchanges = 0
        self._warnings = 0
        self._done = 0
        self._total = 0

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._total = len(session.items)
        settings = self.run.settings
        self.write(
            f"journeymock contracts: {', '.join(settings.apis)} against the {settings.target} target; "
            f"seed {settings.seed}; {self._total} test(s)"
        )

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # Without pytest's terminal nothing else would say why a suite could not be collected.
        if report.failed and report.longrepr is not None:
            self._failures.append(redact(str(report.longrepr), self.run.secrets()))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self._outcomes[report.nodeid] = "FAILED"
            if report.longrepr is not None:
                self._failures.append(redact(str(report.longrepr), self.run.secrets()))
        elif report.skipped and report.nodeid not in self._outcomes:
            self._outcomes[report.nodeid] = "skipped"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self._reasons[report.nodeid] = str(reason).removeprefix("Skipped: ")
        if report.when == "teardown":
            self._finished(report.nodeid)

    def _finished(self, nodeid: str) -> None:
        self._done += 1
        exchanges, warnings = self.run.report.counts()
        name = nodeid.split("::")[-1]
        function, _, parameter = name.partition("[")
        api = parameter.rstrip("]") or function.split("_")[1]
        outcome = self._outcomes.get(nodeid, "ok")
        detail = f"{exchanges - self._exchanges} exchanges checked"
        if warnings > self._warnings:
            detail += f", {warnings - self._warnings} new warning(s)"
        if outcome == "skipped":
            detail = self._reasons.get(nodeid, "")
        self._exchanges, self._warnings = exchanges, warnings
        phase = PHASES.get(function, function)
        self.write(f"[{self._done}/{self._total}] {api:<8} {phase:<40} {outcome:<8} {detail}", flush=True)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self._failures:
            self.write("")
            self.write(f"violations ({len(self._failures)} test(s) failed):")
            for text in self._failures:
                self.write("")
                self.write(text)
        self.write("")
        self.write("journeymock contracts summary")
        self.write("=" * len("journeymock contracts summary"))
        for line in self.run.report.summary_lines():
            self.write(redact(line, self.run.secrets()))
