"""JSON in and out: orjson on the hot path, the standard library for what orjson refuses.

orjson refuses or bends two things valid JSON can carry: integers beyond 64 bits and lone UTF-16 surrogate escapes
(`"\\ud800"`). A fuzzer sends both; the mock must neither crash nor refuse valid JSON, so those rare bodies
take the slower standard-library path — which must then be kept as strict as orjson everywhere else: no
`NaN`/`Infinity` (not JSON), no unbounded nesting, and output that is valid UTF-8 (surrogates stay escaped).
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
        # ensure_ascii keeps a lone surrogate as the escape it arrived as, so the output is valid UTF-8.
        return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: orjson reads integers beyond 64 bits as floats, losing digits; a body with a run of 19 or more digits is read
#: exactly. The run is found by mapping every digit to "0" and looking for 19 zeros: a regular expression
#: (`\d{19,}`) took 55 µs on a 3 KB journey, five times orjson's parse of it; this takes under 4 µs.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_DIGIT_RUN = b"0" * 19


def decode(raw: bytes) -> Any:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    else:
        if _LONG_DIGIT_RUN not in raw.translate(_DIGITS_AS_ZERO):
            return value
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise InvalidJson(str(error)) from None
