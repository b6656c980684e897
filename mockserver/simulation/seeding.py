"""Seeded randomness: every random choice in the simulation comes from a key derived here.

A key is a stable hash of the inputs that define what is being generated — `(seed, "visitor", journey_id)`,
`(seed, org_id, slug)` — so a body depends only on its inputs, in any process, in any order. Python's
`hash()` is randomised per process and is never used for this.
"""

from __future__ import annotations

import functools
import itertools
import random
import struct
import sys
from array import array
from collections.abc import Callable
from hashlib import blake2b
from typing import Final

__all__ = ["DRAW_SPAN", "STREAM_DRAWS", "base36", "derive_key", "draw_stream", "minute_floor", "rng_for", "uuid_text"]

#: A draw from `draw_stream` is an integer in [0, DRAW_SPAN): `draw() % n` is an index in [0, n) (biased by
#: less than n / DRAW_SPAN, nothing for the ranges here), `draw() & (2**k - 1)` is one in [0, 2**k), and
#: `draw() < p * DRAW_SPAN` happens with probability p.
DRAW_SPAN: Final = 1 << 32

_BASE36: Final = "0123456789abcdefghijklmnopqrstuvwxyz"


def derive_key(*parts: str | int, bits: int = 64) -> int:
    """A stable `bits`-bit integer (a multiple of 8, at most 512) for the given parts.

    The parts are hashed as the `repr` of their tuple: unambiguous for strings and integers (`("a,", "b")`
    and `("a", ",b")` differ, `7` and `"7"` differ), stable across Python versions, and computed in C.
    `surrogatepass` because ids may be arbitrary text, lone surrogates included.
    """
    return int.from_bytes(blake2b(_parts_text(parts), digest_size=bits // 8).digest(), "big")


def _parts_text(parts: tuple[str | int, ...]) -> bytes:
    # The one encoding of a key's parts, shared by `derive_key` and `draw_stream` (see `derive_key`).
    return repr(parts).encode("utf-8", "surrogatepass")


def rng_for(*parts: str | int) -> random.Random:
    """A generator seeded from the parts: the same parts always give the same sequence."""
    return random.Random(derive_key(*parts))


def draw_stream(*parts: str | int) -> Callable[[], int]:
    """A stream of `STREAM_DRAWS` uniform 32-bit draws for the given parts, as a zero-argument callable; the
    same parts always give the same draws. A call past the last draw raises StopIteration.

    The hot-path alternative to `rng_for`: seeding a Mersenne Twister costs ~40k instructions, a tenth of a
    whole journey request. Here block n of 16 draws is the BLAKE2b digest of the parts' text followed by n as
    4 little-endian bytes (fixed width, so no two (parts, n) give the same input), read as little-endian
    32-bit words. Blocks are made only when the draws before them are used up, by a chain of C iterators:
    neither a block nor a draw runs a Python frame. (Blocks of several digests cost more: most journeys would
    pay for draws they never take.) The block numbers are prepared once, which bounds the stream; the
    longest journey takes fewer than a hundred draws.
    """
    key = _parts_text(parts)
    digests = map(_DIGEST, map(blake2b, map(key.__add__, _BLOCK_NUMBERS)))
    return itertools.chain.from_iterable(map(_words, digests)).__next__


_BLOCKS: Final = 4096
#: How many draws one stream holds.
STREAM_DRAWS: Final = 16 * _BLOCKS
_DIGEST: Final = blake2b.digest
_BLOCK_NUMBERS: Final = tuple(struct.pack("<I", n) for n in range(_BLOCKS))
_BIG_ENDIAN: Final = sys.byteorder == "big"
if array("I").itemsize != 4:  # pragma: no cover - no mainstream platform has another size
    raise ImportError("journeymock needs 4-byte unsigned ints in array('I')")


def _little_endian_words(digest: bytes) -> array[int]:  # pragma: no cover - big-endian platforms only
    words = array("I", digest)
    words.byteswap()
    return words


# Where the platform is little-endian (nearly everywhere), a block's words are read by array itself, in C.
_words: Final[Callable[[bytes], array[int]]] = _little_endian_words if _BIG_ENDIAN else functools.partial(array, "I")


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
