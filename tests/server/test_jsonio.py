"""JSON in: integers beyond 64 bits are read exactly, whatever digits surround them."""

from __future__ import annotations

import pytest

from mockserver import jsonio


@pytest.mark.parametrize(
    "number",
    [
        12345678901234567890123,  # beyond 64 bits: orjson alone would read a float
        18446744073709551616,  # 2**64, 20 digits
        -36893488147419103231,
        9223372036854775807,  # 19 digits, within 64 bits
        123456789012345678,  # 18 digits
    ],
)
def test_integers_are_read_exactly(number):
    raw = f'{{"id": "2026-05-21T16:30:00Z", "n": {number}, "list": [1, 22, 333]}}'.encode()
    value = jsonio.decode(raw)
    assert value["n"] == number and isinstance(value["n"], int)


def test_a_long_digit_run_inside_a_string_still_decodes():
    raw = b'{"token": "00000000000000000000000000", "n": 1.5}'
    assert jsonio.decode(raw) == {"token": "0" * 26, "n": 1.5}
