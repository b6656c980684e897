"""The draw stream: deterministic across processes and platforms, uniform, long enough, and cheap to start."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from hashlib import blake2b

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.simulation.seeding import DRAW_SPAN, STREAM_DRAWS, draw_stream

parts = st.lists(st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=30)), max_size=4)


def take(draw: object, count: int) -> list[int]:
    assert callable(draw)
    return [draw() for _ in range(count)]


def test_the_stream_is_pinned() -> None:
    # Fixed values: the stream is defined by BLAKE2b and little-endian words, not by this machine or Python.
    # Changing them changes every generated journey (and so every checked-in fixture).
    assert take(draw_stream(7, "visitor", "cluster_8f2ab"), 3) == [4022797654, 3165335927, 1589794964]
    beyond_first_block = draw_stream(7, "visitor", "cluster_8f2ab")
    take(beyond_first_block, 16)
    assert take(beyond_first_block, 2) == [2190575347, 1207418850]


def test_the_stream_is_what_its_definition_says() -> None:
    # Block n: BLAKE2b-512 of the parts' text and n as 4 little-endian bytes, read as little-endian words.
    key = repr((7, "visitor", "cluster_8f2ab")).encode()
    expected = [
        int.from_bytes(blake2b(key + block.to_bytes(4, "little")).digest()[4 * word : 4 * word + 4], "little")
        for block in range(3)
        for word in range(16)
    ]
    assert take(draw_stream(7, "visitor", "cluster_8f2ab"), 48) == expected


def test_another_process_draws_the_same_numbers() -> None:
    code = "from mockserver.simulation.seeding import draw_stream as s; d = s(3, 'x'); print([d() for _ in range(40)])"
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert printed.strip() == str(take(draw_stream(3, "x"), 40))


@settings(max_examples=200, deadline=None)
@given(first=parts, second=parts)
def test_same_parts_same_draws_and_different_parts_different_draws(
    first: list[int | str], second: list[int | str]
) -> None:
    assert take(draw_stream(*first), 20) == take(draw_stream(*first), 20)
    if first != second:
        assert take(draw_stream(*first), 20) != take(draw_stream(*second), 20)


def test_parts_are_not_ambiguous() -> None:
    assert take(draw_stream("a,", "b"), 4) != take(draw_stream("a", ",b"), 4)
    assert take(draw_stream(7, "x"), 4) != take(draw_stream("7", "x"), 4)
    assert take(draw_stream(1, "\ud800"), 4) != take(draw_stream(1, "\ud801"), 4)


def test_the_stream_holds_its_draws_then_says_it_is_done() -> None:
    draw = draw_stream(1, "long")
    draws = [draw() for _ in range(STREAM_DRAWS)]
    assert len(set(draws)) > STREAM_DRAWS - 10  # 32-bit draws: a handful of collisions at most
    with pytest.raises(StopIteration):
        draw()


def test_draws_are_uniform_32_bit_integers() -> None:
    draws = [value for n in range(400) for value in take(draw_stream(n, "uniform"), 25)]
    assert all(0 <= value < DRAW_SPAN for value in draws)
    # Ten equal bins of 10,000 draws: each near 1,000 (a chi-square test at a very forgiving threshold).
    bins = Counter(value * 10 // DRAW_SPAN for value in draws)
    chi_square = sum((bins[b] - 1000) ** 2 / 1000 for b in range(10))
    assert chi_square < 40
    # Low bits are as good as high ones: `draw() % n` and `draw() & mask` use them.
    low = Counter(value % 8 for value in draws)
    assert all(1100 < low[b] < 1400 for b in range(8))
