"""Invariants: what must hold in every body an API returns, beyond what its schema can say.

One module per API, each with `problems(body, *, now=None, ...) -> list[str]`. The checks read JSON bodies
as an API returns them, so the contract tests run them against the mock and against live vendors alike.
"""

from __future__ import annotations
