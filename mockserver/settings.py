"""Settings declared once, as fields of a frozen dataclass, and every form of them generated from that field.

A setting is a dataclass field whose metadata holds a `Setting`: the field gives the name, the type and the
default; the `Setting` gives the help, how text is parsed and printed, how a Python value (a pytest marker
argument) is taken, and where the setting may be given. From that one declaration come:

- the command-line options of a command (`add_options`, `from_arguments`), e.g. `journeymock serve --seed 7`;
- the pytest options of a plugin or a suite (`option_declarations`, `pytest_option_name`) and marker arguments
  (`replace`);
- the JSON form that carries a configuration to worker processes (`to_json`, `from_json`);
- the command line that recreates a configuration (`to_arguments`), for a person to replay or for one front end
  to hand a configuration to another (`journeymock contracts` runs its suite through pytest's options).

Two tables use it: the server's (`mockserver.config`: `serve`, the pytest plugin, markers) and the contract
runner's (`contracts.settings.ContractOptions`: `journeymock contracts` and the contract suite's pytest options).

Plain dataclasses rather than a settings library (pydantic-settings, attrs): the server's configuration object is
on the request path and built by tests thousands of times, the values are few and simple, and every parser is
already a function of ours that raises `ValueError` with a message for the user. What a library would add —
environment loading, coercion rules of its own — is exactly what must stay identical across the CLI, the plugin
and the JSON form, so the rules are written here once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

#: Where a setting may be given: `serve` (the server's commands), `pytest` (pytest options; markers too for the
#: server), `command` (another command's options, e.g. `journeymock contracts`).
Place = Literal["serve", "pytest", "command"]
#: The pytest plugin's options are `--journeymock-` + the command-line option's name.
PLUGIN_PREFIX: Final = "--journeymock-"
#: Metadata key of a dataclass field that is a setting.
SETTING_KEY: Final = "journeymock.setting"
#: Sentinel: the setting's pytest default is the field's default.
SAME: Final = object()

T = TypeVar("T")


class SettingError(ValueError):
    """A value a setting cannot take; the message names the setting and says what is expected."""


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Setting:
    help: str
    #: Text (an option, a marker string, the JSON form) to a value; raises ValueError saying what is expected.
    parse: Callable[[str], Any] = str
    #: A value back to the text `parse` reads (for the JSON form and for printed command lines).
    format: Callable[[Any], str] = str
    #: A Python value of any other type (a marker argument) to a value; default: `parse(str(value))`.
    coerce: Callable[[Any], Any] | None = None
    #: The combined value of a repeatable setting from its items (e.g. canonical order, at least one).
    combine: Callable[[tuple[Any, ...]], Any] = _identity
    metavar: str | None = None
    #: The command-line option's name when it is not `--` + the field name with dashes.
    option: str | None = None
    #: Where a user may give it; the JSON form always carries it.
    places: frozenset[Place] = frozenset(("serve", "pytest"))
    #: The option may be repeated; the value is the `combine`d tuple of the items.
    repeatable: bool = False
    #: A boolean switched by an option without a value.
    flag: bool = False
    #: The pytest plugin's default where it differs from the server's.
    pytest_default: Any = SAME
    #: The pytest option's name when it is not `--journeymock-` + the command-line option's.
    pytest_option: str | None = None
    #: The environment variable the value is read from (by the code that owns it), for the help text.
    env: str | None = None
    #: The text that stands for None (`parse` reads it back as None), e.g. `system` for the real clock.
    none: str | None = None
    #: Shown by `describe` even at its default.
    always_described: bool = False
    #: A value the setting refuses, for the test that walks every option with a bad value.
    invalid_example: str = "%not-a-value%"
    #: The only values the command-line and pytest options accept (checked by argparse, which names them).
    choices: tuple[str, ...] | None = None
    #: Printed by `to_arguments` even at its default, so a printed command line does not rely on a default.
    always_given: bool = False
    #: A file the run writes: `to_arguments(..., outputs=False)` leaves it out (a replay must not append to or
    #: overwrite the evidence of the run it repeats).
    output: bool = False


def setting(default: T, help: str, **details: Any) -> T:
    """A dataclass field that is a setting (typed as its default, so the dataclass stays fully typed)."""
    field: T = dataclasses.field(default=default, metadata={SETTING_KEY: Setting(help=help, **details)})
    return field


@dataclass(frozen=True)
class Declared:
    """One setting of a settings class: its field and its `Setting`."""

    name: str
    default: Any
    setting: Setting

    def option_name(self) -> str:
        return self.setting.option or "--" + self.name.replace("_", "-")

    def default_for(self, place: Place) -> Any:
        if place == "pytest" and self.setting.pytest_default is not SAME:
            return self.setting.pytest_default
        return self.default

    def flag_option(self, place: Place) -> str:
        """A flag's option switches it away from its default: `--validate-responses`, `--no-admin`."""
        name = self.option_name()
        return name if not self.default_for(place) else "--no-" + name.removeprefix("--")

    def parse_text(self, text: str) -> Any:
        if self.setting.none is not None and text == self.setting.none:
            return None
        return self.setting.parse(text)

    def _error(self, value: Any, error: Exception) -> SettingError:
        return SettingError(f"journeymock setting {self.name}={value!r}: {error}")

    def take(self, value: Any) -> Any:
        """A value as a marker, a pool key or `replace` gives it: text, a Python value, or None."""
        if value is None and self.default is None:
            return None
        try:
            if self.setting.flag:
                if not isinstance(value, bool):
                    raise TypeError("expected True or False")
                return value
            if self.setting.repeatable:
                items = [value] if isinstance(value, str) or not _is_sequence(value) else list(value)
                return self.setting.combine(tuple(self._take_one(item) for item in items))
            return self._take_one(value)
        except (TypeError, ValueError) as error:
            raise self._error(value, error) from None

    def _take_one(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.parse_text(value)
        coerce = self.setting.coerce
        return coerce(value) if coerce is not None else self.setting.parse(str(value))

    def encode(self, value: Any) -> Any:
        """The JSON form of a value: text that `parse` reads back (a list of them when repeatable)."""
        if value is None:
            return self.setting.none
        if self.setting.flag:
            return value
        if self.setting.repeatable:
            return [self.setting.format(item) for item in value]
        return self.setting.format(value)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping)


def declared(cls: type) -> tuple[Declared, ...]:
    """The settings of a settings dataclass, in declaration order."""
    found = []
    for field in dataclasses.fields(cls):
        details = field.metadata.get(SETTING_KEY)
        if details is None:
            raise TypeError(f"{cls.__name__}.{field.name} is not declared with setting()")
        found.append(Declared(field.name, field.default, details))
    return tuple(found)


def settable(cls: type, place: Place) -> tuple[Declared, ...]:
    return tuple(item for item in declared(cls) if place in item.setting.places)


def option_at(item: Declared, place: Place, pytest_prefix: str = PLUGIN_PREFIX) -> str:
    """The option that gives `item` at `place`: `--seed`, `--no-admin`, `--journeymock-seed`…"""
    if place == "pytest":
        return pytest_option_name(item, pytest_prefix)
    return item.flag_option(place) if item.setting.flag else item.option_name()


# Command line ---------------------------------------------------------------------------------------------------


def _argparse_type(item: Declared) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return item.parse_text(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = item.name
    return convert


def help_text(item: Declared, place: Place) -> str:
    default = item.default_for(place)
    text = item.setting.help
    if item.setting.env:
        text += f" (environment: {item.setting.env})"
    if item.setting.flag:
        return text if not default else f"{text} (on by default: this option turns it off)"
    if default is None and item.setting.none is not None:
        return f"{text} (default: {item.setting.none})"
    if default is None or default == ():
        return text
    shown = item.encode(default)
    return f"{text} (default: {', '.join(shown) if isinstance(shown, list) else shown})"


def option_declarations(
    cls: type, place: Place = "serve", pytest_prefix: str = PLUGIN_PREFIX
) -> list[tuple[str, dict[str, Any]]]:
    """The option of each setting of `cls` that may be given at `place`, as argparse's `add_argument` and pytest's
    `addoption` take it (name, keywords): values are parsed by the setting, the destination is the field's name,
    and an option not given is None (so `from_arguments` keeps the default)."""
    declarations: list[tuple[str, dict[str, Any]]] = []
    for item in settable(cls, place):
        keywords: dict[str, Any] = {"dest": item.name, "default": None, "help": help_text(item, place)}
        if item.setting.flag:
            keywords.update(action="store_const", const=not item.default_for(place))
        else:
            keywords.update(
                type=_argparse_type(item),
                action="append" if item.setting.repeatable else "store",
                metavar=item.setting.metavar,
            )
            if item.setting.choices is not None:
                keywords["choices"] = item.setting.choices
        declarations.append((option_at(item, place, pytest_prefix), keywords))
    return declarations


def add_options(parser: argparse.ArgumentParser, cls: type, place: Place = "serve") -> None:
    """One option per setting of `cls` that may be given at `place`; values are parsed by the setting."""
    for name, keywords in option_declarations(cls, place):
        parser.add_argument(name, **keywords)


def from_arguments(cls: type[T], arguments: argparse.Namespace, place: Place = "serve", **fixed: Any) -> T:
    """An instance of `cls` from the options `option_declarations` made (unset options keep their defaults)."""
    values: dict[str, Any] = {}
    for item in settable(cls, place):
        given = getattr(arguments, item.name, None)
        if given is None:
            continue
        try:
            values[item.name] = item.setting.combine(tuple(given)) if item.setting.repeatable else given
        except ValueError as error:
            raise SettingError(f"{option_at(item, place)}: {error}") from None
    return cls(**{**values, **fixed})


def to_arguments(
    instance: Any, place: Place = "serve", *, pytest_prefix: str = PLUGIN_PREFIX, outputs: bool = True
) -> list[str]:
    """The options that recreate `instance` at `place` from that place's defaults (secrets are not settable);
    without `outputs`, the files a run writes are left out."""
    arguments: list[str] = []
    for item in settable(type(instance), place):
        value = getattr(instance, item.name)
        if (value == item.default_for(place) and not item.setting.always_given) or (
            item.setting.output and not outputs
        ):
            continue
        option = option_at(item, place, pytest_prefix)
        if item.setting.flag:
            if value != item.default_for(place):
                arguments.append(option)
        elif item.setting.repeatable:
            for text in item.encode(value):
                arguments += [option, text]
        elif value is None:
            continue
        else:
            arguments += [option, item.encode(value)]
    return arguments


# Markers and `replace` -------------------------------------------------------------------------------------------


def replace(instance: T, place: Place = "pytest", **overrides: Any) -> T:
    """`instance` with marker-style overrides (`seed=7`, `latency="10-50"`, `apis=["jourvex"]`); each value is
    taken as text or as a Python value and checked like the option."""
    items = {item.name: item for item in settable(type(instance), place)}
    unknown = sorted(set(overrides) - set(items))
    if unknown:
        raise SettingError(f"unknown journeymock setting {unknown[0]!r}; expected one of {', '.join(items)}")
    return dataclasses.replace(instance, **{name: items[name].take(value) for name, value in overrides.items()})  # type: ignore[type-var]


def defaults(cls: type[T], place: Place) -> T:
    """`cls` with the defaults of `place` (the pytest plugin's differ from the server's)."""
    return cls(**{item.name: item.default_for(place) for item in declared(cls)})


def pytest_option_name(item: Declared, prefix: str = PLUGIN_PREFIX) -> str:
    """`--journeymock-seed`, `--journeymock-api`, `--journeymock-no-validate`… (the contract suite's options
    take the prefix `--`: the same names as `journeymock contracts`)."""
    if item.setting.pytest_option:
        return item.setting.pytest_option
    name = item.flag_option("pytest") if item.setting.flag else item.option_name()
    return prefix + name.removeprefix("--")


# JSON ------------------------------------------------------------------------------------------------------------


def to_json(instance: Any) -> str:
    return json.dumps({item.name: item.encode(getattr(instance, item.name)) for item in declared(type(instance))})


def from_json(cls: type[T], text: str) -> T:
    data = json.loads(text)
    values: dict[str, Any] = {}
    for item in declared(cls):
        if item.name in data:
            values[item.name] = item.take(data[item.name])
    return cls(**values)


def describe(instance: Any, place: Place = "pytest") -> str:
    """`name=value` for the settings always described and those away from their default at `place`, as a
    report header or a repr prints them."""
    parts = []
    for item in settable(type(instance), place):
        value = getattr(instance, item.name)
        if item.setting.always_described or value != item.default_for(place):
            shown = item.encode(value)
            parts.append(f"{item.name}={','.join(shown) if isinstance(shown, list) else shown}")
    return " ".join(parts)


def markdown_table(classes: tuple[type, ...], place: Place) -> str:
    """The settings of `classes` at `place` as the README's table: pytest marker argument and option, or serve
    option, with default and meaning. The README holds this text verbatim (a test compares them)."""
    rows = []
    for item in (item for cls in classes for item in settable(cls, place)):
        option = option_at(item, place)
        if not item.setting.flag and item.setting.metavar:
            option += f" {item.setting.metavar}"
        default = item.default_for(place)
        if item.setting.flag:
            shown = "on" if default else "off"
        else:
            encoded = item.encode(default)
            shown = ", ".join(encoded) if isinstance(encoded, list) else encoded
        cells = [f"`{item.name}=`"] if place == "pytest" else []
        cells += [f"`{option}`", f"`{shown}`" if shown not in (None, "") else "—", item.setting.help]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    header = (
        "| marker argument | command-line option | default | meaning |"
        if place == "pytest"
        else "| option | default | meaning |"
    )
    rule = "|---" * header.count(" | ") + "|---|"
    return "\n".join([header, rule, *rows])
