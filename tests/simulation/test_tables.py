"""Lazy tables: a value made once per key, then looked up; never more entries than the limit."""

from __future__ import annotations

import pytest

from mockserver.tables import LazyTable


def test_a_value_is_made_once_then_looked_up() -> None:
    made: list[int] = []

    def square(number: int) -> int:
        made.append(number)
        return number * number

    table = LazyTable(square, limit=10)
    assert [table[3], table[3], table[4]] == [9, 9, 16]
    assert made == [3, 4]


def test_the_table_never_holds_more_than_its_limit() -> None:
    table = LazyTable(str, limit=5)
    for number in range(100):
        assert table[number] == str(number)
        assert len(table) <= 5


def test_a_table_needs_room_for_one_entry() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LazyTable(str, limit=0)
