"""JSON in and out: orjson on the hot path, the standard library for what orjson refuses.

orjson rejects two things valid JSON can carry: integers beyond 64 bits and lone UTF-16 surrogate escapes
(`"\\ud800"`). A fuzzer sends both; the mock must neither crash nor refuse valid JSON, so those rare bodies
take the slower standard-library path.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


class InvalidJson(ValueError):
    """The bytes are not JSON (or not UTF-8)."""


def encode(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def decode(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidJson(str(error)) from None
