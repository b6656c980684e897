"""Every `journeymock` subcommand answers a bad value of any option with one line on stderr and exit status 2:
never a traceback, never a run that starts anyway. The options and their bad values come from the parser the
settings tables generate (and, for a setting, the bad example declared beside it), not from a list here."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

import pytest

from mockserver.cli import build_parser, main
from mockserver.config import ServeOptions, ServerConfig
from mockserver.settings import settable

GENERIC_BAD = "%not-a-value%"
#: Where nothing can be written: a path-valued option's bad value.
UNWRITABLE = "/proc/journeymock/x"


def subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction))
    return dict(action.choices)


def declared_examples() -> dict[str, str]:
    return {
        item.name: item.setting.invalid_example
        for cls in (ServerConfig, ServeOptions)
        for item in settable(cls, "serve")
    }


def bad_invocations() -> list[tuple[str, list[str]]]:
    examples = declared_examples()
    cases = []
    for command, parser in subcommands().items():
        for action in parser._actions:
            if not action.option_strings or isinstance(action, argparse._HelpAction):
                continue
            option = max(action.option_strings, key=len)
            if action.nargs == 0:
                cases.append((command, [f"{option}=yes"]))  # a flag given a value
                continue
            metavar = str(action.metavar or "")
            if action.dest in examples and command == "serve":
                value = examples[action.dest]
            elif "PATH" in metavar or "DIR" in metavar:
                value = UNWRITABLE
            else:
                value = GENERIC_BAD
            cases.append((command, [option, value]))
    return cases


CASES = bad_invocations()


def test_the_walk_covers_every_subcommand_and_setting():
    commands = {command for command, _ in CASES}
    assert commands == set(subcommands())
    serve_options = {arguments[0].split("=")[0] for command, arguments in CASES if command == "serve"}
    assert len(serve_options) == len(settable(ServerConfig, "serve")) + len(settable(ServeOptions, "serve"))


@pytest.mark.parametrize(("command", "arguments"), CASES, ids=[f"{c} {' '.join(a)}" for c, a in CASES])
def test_a_bad_value_is_one_line_and_exit_2(command, arguments, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        status = main([command, *arguments])
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert status == 2, captured.err
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert lines[0].startswith("journeymock")
    assert not any(tmp_path.iterdir()), "a refused command wrote files"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["fixtures", "--out", "/proc/x"], "--out /proc/x: cannot be created"),
        (["serve", "--state", "/proc/x/y.sqlite"], "--state /proc/x/y.sqlite: cannot be opened"),
        (["serve", "--port", "99999"], "port must be a whole number from 0 to 65535"),
        (["serve", "--port", "-1"], "port must be a whole number from 0 to 65535"),
        (["contracts", "--junit-xml", "/proc/x/r.xml"], "the directory /proc/x does not exist"),
    ],
)
def test_reported_rough_edges_say_what_is_wrong(arguments, message, capsys):
    try:
        status = main(arguments)
    except SystemExit as exit_:
        status = exit_.code
    assert status == 2
    assert message in capsys.readouterr().err


def test_out_naming_a_file_is_refused(tmp_path, capsys):
    existing = tmp_path / "file.json"
    existing.write_text("{}")
    assert main(["fixtures", "--out", str(existing)]) == 2
    assert f"--out {existing}: exists and is not a directory" in capsys.readouterr().err
    assert existing.read_text() == "{}"


@pytest.mark.parametrize("kind", ["directory", "not a database"])
def test_state_that_is_no_database_is_refused_untouched(kind, tmp_path, capsys):
    if kind == "directory":
        state = tmp_path
        expected = "is a directory"
    else:
        state = tmp_path / "notes.txt"
        state.write_text("not sqlite at all, " * 100)
        expected = "not a journeymock SQLite database"
    assert main(["serve", "--state", str(state)]) == 2
    assert expected in capsys.readouterr().err
    if kind != "directory":
        assert state.read_text().startswith("not sqlite at all")


def test_state_creates_missing_directories_as_its_help_says(tmp_path):
    from mockserver.store import open_store

    path = tmp_path / "a" / "b" / "journeys.sqlite"
    open_store(path).close()
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "odyssey_journeys" in tables
    serve = subcommands()["serve"]
    help_text = next(action.help for action in serve._actions if "--state" in action.option_strings)
    assert "missing directories are created" in str(help_text)


def test_a_state_file_path_of_a_fresh_store_is_ok(tmp_path: Path):
    from mockserver.store import open_store

    open_store(tmp_path / "journeys.sqlite").close()
    open_store(tmp_path / "journeys.sqlite").close()  # reopening an existing store is fine


def test_contracts_without_the_extra_say_how_to_install_it(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *rest: None if name == "schemathesis" else real(name, *rest)
    )
    assert main(["contracts", "--api", "jourvex"]) == 2
    error = capsys.readouterr().err
    assert "needs schemathesis" in error and "pip install 'journeymock[contracts]'" in error


def test_the_base_install_leaves_the_contract_runner_out():
    import tomllib

    from support import REPO_ROOT

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"])
    for name in ("schemathesis", "hypothesis", "pytest"):
        assert name not in base
        assert any(requirement.startswith(name) for requirement in project["optional-dependencies"]["contracts"])


def test_the_base_install_serves_and_drifts_without_the_contract_runners_extra():
    # `journeymock serve` and `journeymock drift` must start in an install without schemathesis, hypothesis and
    # pytest: loading the command line (every subcommand registered) and drift's module imports none of them.
    import subprocess
    import sys

    probe = (
        "import sys; import mockserver.cli, contracts.drift; mockserver.cli.build_parser(); "
        "print(sorted(m for m in ('schemathesis', 'hypothesis', 'pytest') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
