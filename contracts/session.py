"""One contract run: its settings, its target, one runner per API and the report they share.

Built once per pytest session (from the options, by `contracts/conftest.py`), whether pytest was started by
`pytest contracts/` or by `journeymock contracts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeymock.contracts.report import ContractReport
from journeymock.contracts.runner import ApiRunner
from journeymock.contracts.targets import Target, make_target

if TYPE_CHECKING:
    from journeymock.contracts.settings import ContractSettings


class ContractRun:
    def __init__(self, settings: ContractSettings) -> None:
        self.settings = settings
        self._target: Target | None = None
        self._runners: dict[str, ApiRunner] = {}
        self.report = ContractReport(settings, {})

    @property
    def target(self) -> Target:
        # Built on first use so that collecting the suite (`--collect-only`, `--help`) never starts a mock.
        if self._target is None:
            self._target = make_target(self.settings)
            self.report.targets.update({api: self._target.describe(api) for api in self.settings.apis})
        return self._target

    def runner(self, api: str) -> ApiRunner:
        if api not in self._runners:
            self._runners[api] = ApiRunner(api, self.settings, self.target, self.report)
        return self._runners[api]

    def secrets(self) -> tuple[str, ...]:
        return self.settings.secrets()
