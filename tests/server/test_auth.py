"""The authenticator remembers accepted headers, and remembering changes no answer."""

from __future__ import annotations

import pytest

from mockserver import auth
from mockserver.apis import BEHAVIOURS
from mockserver.auth import Authenticator
from mockserver.config import TokenRule
from mockserver.errors import ApiError

ODYSSEY = BEHAVIOURS["odyssey"].token_policy


def test_a_remembered_header_still_needs_each_operations_scopes() -> None:
    authenticator = Authenticator("odyssey", ODYSSEY, [TokenRule("odyssey", "reader", ("journeys:read",), None)])
    principal = authenticator.authenticate("Bearer reader", ("journeys:read",))
    assert authenticator.authenticate("Bearer reader", ("journeys:read",)) is principal  # remembered
    with pytest.raises(ApiError) as refused:
        authenticator.authenticate("Bearer reader", ("journeys:write",))
    assert refused.value.status == 403


def test_rejections_are_not_remembered_and_stay_rejections() -> None:
    authenticator = Authenticator("odyssey", ODYSSEY, [])
    for _ in range(3):
        with pytest.raises(ApiError) as refused:
            authenticator.authenticate("Bearer revoked-token", ())
        assert refused.value.status == 401
    for header in (None, "", "Basic abc", "Bearer"):
        with pytest.raises(ApiError):
            authenticator.authenticate(header, ())


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_KNOWN_LIMIT", 8)
    authenticator = Authenticator("odyssey", ODYSSEY, [])
    first = authenticator.authenticate("Bearer token-0", ())
    for n in range(1, 50):
        authenticator.authenticate(f"Bearer token-{n}", ())
        assert len(authenticator._known) <= 8
    # Forgotten, then recognised afresh as the same principal.
    assert authenticator.authenticate("Bearer token-0", ()) == first
