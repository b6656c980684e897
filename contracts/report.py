"""What a run found, per API and per check, and how it is written: the summary, each failure with a request to
reproduce it, and the seed to replay the run. Every text leaving the run goes through `redact`.
"""

from __future__ import annotations

import shlex
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from schemathesis.core.failures import Failure, FailureGroup, group_failures
from schemathesis.core.output import format_response_payload

from mockserver.vendors import KNOWN_ID_VARIABLES

if TYPE_CHECKING:
    from schemathesis import CheckResult, Response

    from journeymock.contracts.checks import Case
    from journeymock.contracts.settings import ContractSettings

COMMAND: Final = "journeymock contracts"


@dataclass
class CheckTally:
    responses: int = 0
    #: operation label -> first failure title seen for it
    failures: dict[str, str] = field(default_factory=dict)
    warnings: dict[tuple[str, str], str] = field(default_factory=dict)
    skipped: str | None = None


@dataclass
class LenientWarning:
    api: str
    check: str
    operation: str
    message: str
    curl: str
    #: How many responses gave this warning (the first one is shown).
    count: int = 1


class ContractReport:
    """Collected from every validated response (thread-safe: checks may run in several threads)."""

    def __init__(self, settings: ContractSettings, targets: dict[str, str]) -> None:
        self.settings = settings
        self.targets = targets
        self._tallies: dict[str, dict[str, CheckTally]] = {api: {} for api in settings.apis}
        self._statuses: dict[str, dict[str, set[int]]] = {api: {} for api in settings.apis}
        self._warnings: dict[tuple[str, str, str, str], LenientWarning] = {}
        #: Findings of invariants the spec settles, per (api, invariant code, record location): a count.
        self._settled: dict[tuple[str, str, str], int] = {}
        #: Kinds of violation already reported: (operation, check, code, title).
        self._violation_kinds: set[tuple[str, str, str, str]] = set()
        #: Reports of violations recorded but not yet attached to a test report.
        self._pending: list[str] = []
        #: Tests that stopped on an error rather than a violation (no answer to judge): test id -> error.
        self._errors: dict[str, str] = {}
        self._exchanges = 0
        self._lock = threading.Lock()

    def counts(self) -> tuple[int, int]:
        """Exchanges checked and distinct warnings so far."""
        with self._lock:
            return self._exchanges, len(self._warnings)

    def tally(self, api: str, check: str) -> CheckTally:
        return self._tallies[api].setdefault(check, CheckTally())

    def record_results(
        self,
        api: str,
        case: Case,
        response: Response,
        results: Sequence[CheckResult],
        *,
        demoted: frozenset[int] | set[int] = frozenset(),
    ) -> None:
        """`demoted`: failures (by identity) that only contradict inferences, counted as warnings."""
        with self._lock:
            self._exchanges += 1
            self._statuses[api].setdefault(case.operation.label, set()).add(response.status_code)
            for result in results:
                tally = self.tally(api, result.name)
                tally.responses += 1
                if result.failure is not None and id(result.failure) not in demoted:
                    tally.failures.setdefault(case.operation.label, result.failure.title)

    def record_warning(
        self, api: str, check: str, case: Case, message: str, curl: str, *, about: str | None = None
    ) -> None:
        """A warning; those `about` the same fact (a spec location) are shown once, with their count."""
        with self._lock:
            subject = about if about is not None else message
            tally = self.tally(api, check)
            tally.warnings.setdefault((case.operation.label, subject), message)
            key = (api, check, case.operation.label, subject)
            if key in self._warnings:
                self._warnings[key].count += 1
            else:
                self._warnings[key] = LenientWarning(api, check, case.operation.label, message, curl)

    def record_settled(self, api: str, code: str, record: str) -> None:
        """A settled invariant (x-journeymock-invariants) the target contradicted again: informational."""
        with self._lock:
            key = (api, code, record)
            self._settled[key] = self._settled.get(key, 0) + 1

    def record_violation(self, kinds: set[tuple[str, str, str, str]], rendered: str) -> None:
        """A failing request found while the run goes on; reported once per new kind of violation."""
        with self._lock:
            if kinds <= self._violation_kinds:
                return
            self._violation_kinds |= kinds
            self._pending.append(rendered)

    def record_error(self, test: str, error: str) -> None:
        with self._lock:
            self._errors.setdefault(test, error)

    def take_pending(self) -> list[str]:
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    def record_skip(self, api: str, check: str, reason: str) -> None:
        with self._lock:
            self.tally(api, check).skipped = reason

    @property
    def failed(self) -> bool:
        return any(tally.failures for tallies in self._tallies.values() for tally in tallies.values())

    def failed_checks(self) -> list[tuple[str, str]]:
        return [
            (api, check)
            for api, tallies in self._tallies.items()
            for check, tally in sorted(tallies.items())
            if tally.failures
        ]

    def replay_command(self) -> str:
        return " ".join([COMMAND, *(shlex.quote(part) for part in self.settings.replay_arguments())])

    def summary_lines(self) -> list[str]:
        settings = self.settings
        lines = [f"target: {settings.target}; seed: {settings.seed}; max examples: {settings.max_examples}"]
        for api in settings.apis:
            lines.append("")
            lines.append(f"{api} ({self.targets.get(api, '?')})")
            tallies = self._tallies[api]
            if not tallies:
                lines.append("  (no responses were checked)")
            width = max((len(name) for name in tallies), default=0)
            for check, tally in sorted(tallies.items()):
                lines.append(f"  {check.ljust(width)}  {_verdict(tally)}")
            if settings.live:
                lines.extend(self._unread_operations(api))
        if self._warnings:
            lines.append("")
            lines.append(f"warnings ({len(self._warnings)}, not failures: {self._why_warnings()}):")
            for warning in self._warnings.values():
                times = f" ({warning.count} responses)" if warning.count > 1 else ""
                lines.append(f"- {warning.api} {warning.operation} [{warning.check}]{times}")
                lines.append(textwrap.indent(warning.message, "    "))
                lines.append(textwrap.indent(warning.curl, "    "))
        if self._settled:
            lines.append("")
            lines.append(f"settled in the spec ({len(self._settled)}, informational: the vendor does otherwise):")
            for (api, code, record), count in sorted(self._settled.items()):
                lines.append(f"- {api} {code} ({count} responses; {record})")
        lines.append("")
        failed = self.failed_checks()
        if failed:
            names = ", ".join(f"{api}: {check}" for api, check in failed)
            lines.append(f"result: {len(failed)} check(s) found violations ({names})")
        elif not self._errors:
            lines.append("result: no violations")
        if self._errors:
            lines.append(f"errors: {len(self._errors)} test(s) stopped without an answer to judge:")
            lines.extend(f"  {test}: {error}" for test, error in sorted(self._errors.items()))
        lines.append(f"replay: {self.replay_command()}")
        return lines

    def _why_warnings(self) -> str:
        reasons = ["inferences the target contradicts (--strict-inferences makes them fail)"]
        if self.settings.options.lenient_invariants:
            reasons.append("documented invariants under --lenient-invariants")
        return "; ".join(reasons)

    def _unread_operations(self, api: str) -> list[str]:
        """On a live target, operations whose bodies were never checked: worth knowing, not a violation."""
        hint = f" (known ids in {KNOWN_ID_VARIABLES[api]} help)" if api in KNOWN_ID_VARIABLES else ""
        return [
            f"  note: {operation} never answered 2xx (statuses {sorted(statuses)}): its bodies went unchecked{hint}"
            for operation, statuses in sorted(self._statuses[api].items())
            if not any(200 <= status < 300 for status in statuses)
        ]


def _verdict(tally: CheckTally) -> str:
    if tally.failures:
        operations = "; ".join(f"{label}: {title}" for label, title in sorted(tally.failures.items()))
        return f"FAILED  {operations}"
    if tally.skipped is not None and not tally.responses:
        return f"skipped ({tally.skipped})"
    if tally.warnings:
        return f"warning ({len(tally.warnings)} problem(s), {tally.responses} responses)"
    return f"ok ({tally.responses} responses)"


def render_failure(
    *,
    api: str,
    case: Case,
    response: Response,
    group: FailureGroup,
    names: dict[int, str],
    curl: str,
    replay: str,
    seed: int,
) -> str:
    """One failing request: which checks failed and why, the response, a curl line and the seed."""
    failures: list[Failure] = list(group.exceptions)
    lines = [f"{api} {case.operation.label}: {len(failures)} violation(s)"]
    for title, members in group_failures(failures):
        check = names.get(id(members[0]), "unknown check")
        lines.append("")
        lines.append(f"- [{check}] {members[0].code} {title}")
        for failure in members:
            if failure.message:
                lines.append(textwrap.indent(failure.message, "    "))
    lines.append("")
    payload = format_response_payload(response, config=case.operation.schema.config.output)
    lines.append(f"[{response.status_code}] {response.message or ''}".rstrip() + ":")
    lines.append(f"    `{payload}`")
    lines.append("")
    lines.append("Reproduce with:")
    lines.append(textwrap.indent(curl, "    "))
    lines.append("")
    lines.append(f"Replay the run (seed {seed}): {replay}")
    return "\n".join(lines)
