"""pytest options, fixtures and hooks of the contract suite (the same options as `journeymock contracts`).

The hooks replace pytest's traceback of a contract failure with the report written for it (checks, response,
curl line, seed), mask every credential in what pytest prints or writes to JUnit XML, and end the run with a
summary per API and per check.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from journeymock.contracts.reporting import (
    RUN_KEY,
    add_options,
    configure,
    contract_run_of,
    deselect_other_apis,
    parametrize_apis,
    rewrite_report,
    write_summary,
)
from journeymock.contracts.session import ContractRun

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiSchema


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    configure(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_apis(metafunc)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselect_other_apis(config, items)


@pytest.fixture(scope="session")
def contract_run(pytestconfig: pytest.Config) -> ContractRun:
    return contract_run_of(pytestconfig)


@pytest.fixture(scope="session")
def contract_schema(contract_api: str, contract_run: ContractRun) -> OpenApiSchema:
    return contract_run.runner(contract_api).schema


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, Any]:
    report = yield
    rewrite_report(item.config, report, call)
    return report


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: Any, call: pytest.CallInfo[Any], report: pytest.TestReport) -> None:
    # schemathesis formats its failures again at this point; ours must be the last word.
    rewrite_report(node.config, report, call)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if RUN_KEY in config.stash:
        write_summary(terminalreporter, config)
