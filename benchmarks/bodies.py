"""Journey bodies: measuring a server's typical body size, and building a fixed body of a given size."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from benchmarks.procs import get
from benchmarks.stats import median

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "jourvex.yaml"
# Used when neither --body-bytes nor a running journeymock says otherwise: the size of a typical journey
# (benchmarks/README.md, "Measured facts").
DEFAULT_BODY_BYTES = 2200


def body_sizes(port: int, path_prefix: str, headers: Mapping[str, str], count: int = 21) -> list[int]:
    """Sizes of `count` bodies for distinct ids (200 responses only)."""
    sizes: list[int] = []
    for n in range(count):
        status, body = get(port, f"{path_prefix}size{n}", headers)
        if status == 200:
            sizes.append(len(body))
    return sizes


def median_body_bytes(port: int, path_prefix: str, headers: Mapping[str, str]) -> int | None:
    sizes = body_sizes(port, path_prefix, headers)
    return round(median(sizes)) if sizes else None


def documented_example(spec_path: Path = SPEC_PATH) -> dict[str, Any]:
    """The vendor's own example journey, from the spec, so the fixed body has a realistic shape."""
    doc = yaml.safe_load(spec_path.read_text())
    content = doc["paths"]["/api/journey/{journey_id}"]["get"]["responses"]["200"]["content"]
    example: dict[str, Any] = content["application/json"]["examples"]["documented"]["value"]
    return example


def fixed_body(size: int, spec_path: Path = SPEC_PATH) -> bytes:
    """The documented example, compact JSON, padded in a free-text field to exactly `size` bytes.

    Never shorter than the example itself: asking for less gives the unpadded example.
    """
    journey = documented_example(spec_path)
    card = journey["recommendation"]["card"]
    card["what_is_happening"] = ""
    base = _dumps(journey)
    card["what_is_happening"] = "x" * max(0, size - len(base))
    return _dumps(journey)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode()
