"""The one table of the contract runner's settings (`ContractOptions`): the options of `journeymock contracts`,
the contract suite's pytest options, the pytest command line the command runs the suite with and the command
line printed to replay a run all come from its declarations and agree with each other."""

from __future__ import annotations

import argparse
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import REPO_ROOT

from journeymock.contracts import cli
from journeymock.contracts.settings import (
    PYTEST_PREFIX,
    TARGETS,
    ContractOptions,
    build_settings,
)
from mockserver.cli import build_parser, main
from mockserver.settings import (
    Place,
    declared,
    from_arguments,
    markdown_table,
    option_at,
    option_declarations,
    settable,
    to_arguments,
)
from mockserver.specs import API_NAMES

LIVE_ENV = {
    "JOURVEX_API_KEY": "jvx_live_abcdef",
    "ODYSSEY_API_TOKEN": "ody-token-123456",
    "YOFI_API_TOKEN": "yofi-token-123456",
    "YOFI_PARTNER_ID": "partner-7890",
}

OPTIONS = st.builds(
    ContractOptions,
    apis=st.lists(st.sampled_from(API_NAMES), unique=True).map(tuple),
    target=st.sampled_from(TARGETS),
    base_url=st.none() | st.just("http://127.0.0.1:9"),
    max_examples=st.integers(1, 500),
    seed=st.none() | st.integers(0, 2**31),
    allow_writes=st.booleans(),
    strict_inferences=st.booleans(),
    lenient_invariants=st.booleans(),
    rate=st.none() | st.sampled_from(["5/s", "0.5/s", "20"]),
    junit_xml=st.none() | st.just(Path("report.xml")),
    observations=st.none() | st.just(Path("observations.jsonl")),
    progress=st.booleans(),
)


def parser_at(place: Place) -> argparse.ArgumentParser:
    """A parser with the options the table declares at `place` (what the command and the suite's conftest add)."""
    parser = argparse.ArgumentParser()
    for name, keywords in option_declarations(ContractOptions, place, PYTEST_PREFIX):
        parser.add_argument(name, **keywords)
    return parser


def only_at(options: ContractOptions, place: Place) -> ContractOptions:
    """`options` with the settings that cannot be given at `place` at their defaults."""
    return dataclasses.replace(
        ContractOptions(), **{item.name: getattr(options, item.name) for item in settable(ContractOptions, place)}
    )


def option_names(place: Place) -> set[str]:
    return {option_at(item, place, PYTEST_PREFIX) for item in settable(ContractOptions, place)}


def test_every_field_is_a_declared_setting():
    assert [item.name for item in declared(ContractOptions)] == [
        field.name for field in dataclasses.fields(ContractOptions)
    ]


@pytest.mark.parametrize("place", ["command", "pytest"])
@given(options=OPTIONS)
def test_the_printed_options_recreate_the_settings(place, options):
    arguments = to_arguments(options, place, pytest_prefix=PYTEST_PREFIX)
    recreated = from_arguments(ContractOptions, parser_at(place).parse_args(arguments), place)
    assert recreated == only_at(options, place)


def test_the_commands_options_come_from_the_table():
    contracts = next(
        action.choices["contracts"]
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    help_of = {option: action.help for action in contracts._actions for option in action.option_strings}
    assert set(help_of) - {"-h", "--help"} == option_names("command")
    for item in settable(ContractOptions, "command"):
        assert str(help_of[option_at(item, "command")]).startswith(item.setting.help)


def test_the_suites_pytest_options_come_from_the_table():
    shown = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "contracts/", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    section = shown.split("contract tests of the Jourvex, Odyssey and Yofi APIs:", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"^  (--[a-z-]+)", section, flags=re.MULTILINE))
    assert listed == option_names("pytest")
    assert "--journeymock-progress" in listed and "--junit-xml" not in listed


def test_the_command_hands_the_suite_exactly_its_run():
    run = build_settings(apis=["yofi"], max_examples=7, rate="5/s", junit_xml=Path("r.xml"), environ={})
    arguments = cli.pytest_arguments(run)
    given_, rest = parser_at("pytest").parse_known_args(arguments)
    # The seed drawn for the run and the APIs in their order go to the suite, with the command's progress lines.
    assert from_arguments(ContractOptions, given_, "pytest") == dataclasses.replace(
        run.options, progress=True, junit_xml=None
    )
    assert "--junitxml=r.xml" in rest and "junit_suite_name=journeymock-contracts" in rest


def test_the_replay_command_repeats_the_run_without_secrets_or_outputs(tmp_path):
    run = build_settings(
        target="live",
        apis=["odyssey"],
        base_url="http://user:secret@127.0.0.1:9",
        strict_inferences=True,
        observations=tmp_path / "o.jsonl",
        environ=LIVE_ENV,
    )
    replay = run.replay_arguments()
    assert replay == [
        "--api", "odyssey", "--target", "live", "--base-url", "http://[Filtered]@127.0.0.1:9",
        "--max-examples", "100", "--seed", str(run.seed), "--strict-inferences",
    ]  # fmt: skip
    given_ = from_arguments(ContractOptions, parser_at("command").parse_args(replay), "command")
    again = build_settings(given_, environ=LIVE_ENV)
    assert dataclasses.replace(again.options, base_url=None) == dataclasses.replace(
        run.options, base_url=None, observations=None
    )


def test_a_number_that_is_no_integer_is_refused_in_argparses_words(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["contracts", "--seed", "x7"])
    assert exit_.value.code == 2
    assert "journeymock contracts: error: argument --seed: invalid int value: 'x7'" in capsys.readouterr().err


@pytest.mark.parametrize("document", ["README.md", "docs/interfaces.md"])
def test_the_synopsis_of_contracts_names_every_option(document):
    text = (REPO_ROOT / document).read_text()
    synopsis = text.split("\njourneymock contracts ", 1)[1].split("\njourneymock ", 1)[0]
    assert set(re.findall(r"(--[a-z-]+)", synopsis)) == option_names("command")


def test_the_readme_table_is_generated_from_the_settings():
    assert markdown_table((ContractOptions,), "command") in (REPO_ROOT / "README.md").read_text()
