"""Lazy lookup tables: a value made on first use, then a plain dict lookup.

On the hot path a dict hit costs a fraction of a Python call, so values that many requests share (the text of
an hour, the wording of a count) are kept in tables like these rather than recomputed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

__all__ = ["LazyTable"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LazyTable(dict[K, V]):
    """`table[key]` is `make(key)`, made on the first lookup and kept; a hit is a dict lookup with no Python
    call. Bounded: a table that reaches `limit` entries starts afresh, so keys nobody expected (a process
    that runs for years, a client that asks for odd values) cannot grow it without end."""

    def __init__(self, make: Callable[[K], V], *, limit: int) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError("a lazy table needs a limit of at least one entry")
        self.make = make
        self.limit = limit

    def __missing__(self, key: K) -> V:
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.make(key)
        return value
