"""The one table of server settings: every form of a setting — `serve` option, pytest option, marker argument,
JSON form, printed command line — comes from its declaration and agrees with the others."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver import settings
from mockserver.cli import build_parser
from mockserver.config import LatencyRange, ServeOptions, ServerConfig, TokenRule, canonical_apis
from mockserver.settings import SettingError, declared, settable

CONFIGS = st.builds(
    ServerConfig,
    apis=st.lists(st.sampled_from(["jourvex", "odyssey", "yofi"]), min_size=1, unique=True).map(canonical_apis),
    seed=st.integers(min_value=0, max_value=2**40),
    now=st.none()
    | st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 1)).map(
        lambda moment: moment.replace(microsecond=0)
    ),
    latency=st.none()
    | st.tuples(st.integers(0, 500), st.integers(0, 500)).map(lambda pair: LatencyRange(min(pair), max(pair))),
    error_rate=st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    rate_limit=st.none() | st.sampled_from([0.5, 1.0, 20.0]),
    tokens=st.lists(
        st.builds(
            TokenRule,
            api=st.sampled_from(["jourvex", "odyssey", "yofi"]),
            value=st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True),
            scopes=st.none() | st.lists(st.sampled_from(["journeys:read", "journeys:write"]), unique=True).map(tuple),
            org_id=st.none() | st.from_regex(r"org_[a-z]{1,5}", fullmatch=True),
        ),
        max_size=3,
    ).map(tuple),
    validate_responses=st.booleans(),
    admin=st.booleans(),
)


def test_every_field_is_a_declared_setting():
    for cls in (ServerConfig, ServeOptions):
        assert [item.name for item in declared(cls)] == [field.name for field in dataclasses.fields(cls)]


@given(CONFIGS)
def test_the_json_form_carries_every_setting(config):
    assert ServerConfig.from_json(config.to_json()) == config


@given(CONFIGS)
def test_marker_overrides_take_the_json_form(config):
    # A marker may give every setting as text: the JSON form is that text.
    texts = {
        item.name: item.encode(getattr(config, item.name))
        for item in settable(ServerConfig, "pytest")
        if getattr(config, item.name) is not None
    }
    rebuilt = settings.defaults(ServerConfig, "pytest").replace(**texts)
    for item in settable(ServerConfig, "pytest"):
        if getattr(config, item.name) is not None:
            assert getattr(rebuilt, item.name) == getattr(config, item.name), item.name


@given(CONFIGS)
def test_the_printed_command_line_recreates_the_settings(config):
    parser = argparse.ArgumentParser()
    settings.add_options(parser, ServerConfig)
    arguments = parser.parse_args(settings.to_arguments(config))
    recreated = settings.from_arguments(ServerConfig, arguments)
    # The admin token is never printed (it is a secret read from the environment).
    assert recreated == dataclasses.replace(config, admin_token=None)


def test_serve_options_come_from_the_table():
    serve = next(
        action.choices["serve"] for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    options = {option for action in serve._actions for option in action.option_strings} - {"-h", "--help"}
    expected = set()
    for cls in (ServeOptions, ServerConfig):
        for item in settable(cls, "serve"):
            expected.add(item.flag_option("serve") if item.setting.flag else item.option_name())
    assert options == expected
    help_of = {option: action.help for action in serve._actions for option in action.option_strings}
    for item in settable(ServerConfig, "serve"):
        name = item.flag_option("serve") if item.setting.flag else item.option_name()
        assert help_of[name].startswith(item.setting.help)


def test_pytest_defaults_differ_only_where_declared():
    server, plugin = ServerConfig(), settings.defaults(ServerConfig, "pytest")
    differing = {
        item.name for item in declared(ServerConfig) if getattr(server, item.name) != getattr(plugin, item.name)
    }
    assert differing == {"now", "validate_responses"}
    assert plugin.now == datetime(2026, 5, 21, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize("cls", [ServerConfig, ServeOptions])
def test_every_option_refuses_its_invalid_example(cls):
    for item in settable(cls, "serve"):
        if item.setting.flag or item.name == "state_path":  # a flag takes no value; a path is checked on opening
            continue
        with pytest.raises(ValueError):
            item.parse_text(item.setting.invalid_example)


def test_replace_refuses_settings_the_plugin_does_not_offer():
    with pytest.raises(SettingError, match="unknown journeymock setting 'state_path'"):
        ServerConfig().replace(state_path="x.sqlite")


def test_the_readme_tables_are_generated_from_the_settings():
    from support import REPO_ROOT

    from mockserver.settings import markdown_table

    readme = (REPO_ROOT / "README.md").read_text()
    assert markdown_table((ServeOptions, ServerConfig), "serve") in readme
    assert markdown_table((ServerConfig,), "pytest") in readme


def test_the_readme_synopsis_of_serve_names_every_option():
    import re

    from support import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text()
    synopsis = readme.split("```\njourneymock serve ", 1)[1].split("```", 1)[0]
    named = set(re.findall(r"\[(--[a-z-]+)", synopsis))
    expected = {
        item.flag_option("serve") if item.setting.flag else item.option_name()
        for cls in (ServeOptions, ServerConfig)
        for item in settable(cls, "serve")
    }
    assert named == expected
