"""Seeded randomness: every random choice in the simulation comes from a key derived here.

A key is a stable hash of the inputs that define what is being generated — `(seed, "visitor", journey_id)`,
`(seed, org_id, slug)` — so a body depends only on its inputs, in any process, in any order. Python's
`hash()` is randomised per process and is never used for this.
"""

from __future__ import annotations

import random
from hashlib import blake2b
from typing import Final

__all__ = ["base36", "derive_key", "minute_floor", "rng_for", "uuid_text"]

_BASE36: Final = "0123456789abcdefghijklmnopqrstuvwxyz"


def derive_key(*parts: str | int, bits: int = 64) -> int:
    """A stable `bits`-bit integer (a multiple of 8, at most 512) for the given parts.

    The parts are hashed as the `repr` of their tuple: unambiguous for strings and integers (`("a,", "b")`
    and `("a", ",b")` differ, `7` and `"7"` differ), stable across Python versions, and computed in C.
    `surrogatepass` because ids may be arbitrary text, lone surrogates included.
    """
    text = repr(parts).encode("utf-8", "surrogatepass")
    return int.from_bytes(blake2b(text, digest_size=bits // 8).digest(), "big")


def rng_for(*parts: str | int) -> random.Random:
    """A generator seeded from the parts: the same parts always give the same sequence."""
    return random.Random(derive_key(*parts))


def base36(number: int, width: int) -> str:
    """`number` in lower-case base 36, the last `width` digits, zero-padded."""
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return "".join(reversed(digits))


def uuid_text(key: int) -> str:
    """A version-4-shaped UUID string made from a 128-bit key (deterministic, unlike `uuid.uuid4`)."""
    value = (key & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def minute_floor(seconds: int) -> int:
    """Epoch seconds rounded down to the minute: the anchor that keeps a journey stable for a minute."""
    return seconds - seconds % 60
