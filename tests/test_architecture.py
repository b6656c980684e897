"""The layers of ARCHITECTURE.md, enforced: every project module imports only what its layer may import."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mockserver", "journeymock")
WEB_FRAMEWORKS = ("starlette", "uvicorn", "httpx")
PURE_LAYERS = ("spec", "domain", "projection")


def read_layers() -> dict[str, tuple[list[str], set[str]]]:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    block = re.search(r"```layers\n(.*?)```", text, re.DOTALL)
    assert block, "ARCHITECTURE.md has no ```layers block"
    layers: dict[str, tuple[list[str], set[str]]] = {}
    for line in block.group(1).strip().splitlines():
        name, _, rest = line.partition(":")
        modules, _, allowed = rest.partition("->")
        layers[name.strip()] = (modules.split(), set(allowed.split()))
    return layers


LAYERS = read_layers()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    best: tuple[int, str | None] = (-1, None)
    for layer, (prefixes, _allowed) in LAYERS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[0]:
                best = (len(prefix), layer)
    return best[1]


def project_modules() -> list[Path]:
    # os.walk with followlinks: `journeymock/contracts` and `journeymock/fixtures` are links to their folders.
    return sorted(
        Path(folder) / name
        for package in PACKAGES
        for folder, _folders, names in os.walk(ROOT / package, followlinks=True)
        for name in names
        if name.endswith(".py")
    )


KNOWN_MODULES = {module_name(path) for path in project_modules()}


def imports_of(source: str) -> list[str]:
    """Imported module names; `from pkg import sub` counts as `pkg.sub` when `sub` is a module."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.append(candidate if candidate in KNOWN_MODULES else node.module)
    return found


def violations(module: str, source: str) -> list[str]:
    layer = layer_of(module)
    assert layer is not None, f"{module} has no layer"
    allowed = LAYERS[layer][1]
    wrong = []
    for imported in imports_of(source):
        top = imported.split(".")[0]
        if top not in PACKAGES:
            if layer in PURE_LAYERS and top in WEB_FRAMEWORKS:
                wrong.append(f"{imported} (a web framework in the pure {layer} layer)")
            continue
        target = layer_of(imported)
        if target is not None and target not in allowed:
            wrong.append(f"{imported} ({target})")
    return wrong


def test_every_project_module_has_a_layer():
    unassigned = [module for module in sorted(KNOWN_MODULES) if layer_of(module) is None]
    assert not unassigned


@pytest.mark.parametrize("path", project_modules(), ids=module_name)
def test_imports_follow_the_layers(path: Path):
    module = module_name(path)
    wrong = violations(module, path.read_text())
    assert not wrong, (
        f"{module} ({layer_of(module)}) may import only {sorted(LAYERS[layer_of(module)][1])}; imports {wrong}"
    )


def test_the_checker_reports_violations():
    assert violations("mockserver.projections.jourvex", "from mockserver.pipeline import ApiPipeline") == [
        "mockserver.pipeline (machinery)"
    ]
    assert violations("mockserver.simulation.visitor", "import starlette") == [
        "starlette (a web framework in the pure domain layer)"
    ]
    assert violations("journeymock.fixtures.plugin", "from journeymock.contracts import checks") == [
        "journeymock.contracts.checks (contracts)"
    ]
    assert violations("mockserver.store", "from mockserver import jsonio") == []


def test_the_prose_table_says_what_the_enforced_table_says():
    # ARCHITECTURE.md states the layers twice: for readers, and for this test. They must not drift apart.
    text = (ROOT / "ARCHITECTURE.md").read_text()
    prose = {}
    for line in text.split("| layer | modules |", 1)[1].split("\n\n", 1)[0].splitlines()[2:]:
        layer, modules, _knows, allowed = (cell.strip() for cell in line.strip("|").split("|"))
        prose[layer] = (
            {name.removesuffix(".*") for name in re.findall(r"`([\w.*]+)`", modules)},
            {word for word in re.findall(r"[a-z]+", allowed.split("—")[0]) if word in LAYERS},
        )
    for layer, (prefixes, allowed) in LAYERS.items():
        named, said_allowed = prose[layer]
        assert set(prefixes) <= named, (layer, set(prefixes) - named)
        if layer != "entry":  # "everything" in words
            assert said_allowed == set(allowed), (layer, said_allowed ^ set(allowed))
