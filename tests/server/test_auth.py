"""The authenticator remembers accepted headers, and remembering changes no answer."""

from __future__ import annotations

import pytest

from mockserver import auth
from mockserver.apis import BEHAVIOURS
from mockserver.auth import Authenticator
from mockserver.config import TokenRule
from mockserver.errors import ApiError
from mockserver.specs import load_specs

ODYSSEY = BEHAVIOURS["odyssey"].token_policy
SPEC = load_specs(["odyssey"])["odyssey"]
CREATE = SPEC.operation("createJourney")  # needs journeys:write
READ = SPEC.operation("getJourney")  # needs no scope


def authenticator_of(rules):
    return Authenticator("odyssey", ODYSSEY, rules, SPEC.scopes)


def test_a_remembered_header_still_needs_each_operations_scopes() -> None:
    authenticator = authenticator_of([TokenRule("odyssey", "reader", ("journeys:read",), None)])
    principal = authenticator.authenticate("Bearer reader", READ)
    assert authenticator.authenticate("Bearer reader", READ) is principal  # remembered
    with pytest.raises(ApiError) as refused:
        authenticator.authenticate("Bearer reader", CREATE)
    assert refused.value.status == 403
    assert refused.value.message == "API key does not have required scope: journeys:write"


def test_rejections_are_not_remembered_and_stay_rejections() -> None:
    authenticator = authenticator_of([])
    for _ in range(3):
        with pytest.raises(ApiError) as refused:
            authenticator.authenticate("Bearer revoked-token", READ)
        assert refused.value.status == 401
    for header in (None, "", "Basic abc", "Bearer"):
        with pytest.raises(ApiError):
            authenticator.authenticate(header, READ)


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_KNOWN_LIMIT", 8)
    authenticator = authenticator_of([])
    first = authenticator.authenticate("Bearer token-0", READ)
    for n in range(1, 50):
        authenticator.authenticate(f"Bearer token-{n}", READ)
        assert len(authenticator._known) <= 8
    # Forgotten, then recognised afresh as the same principal.
    assert authenticator.authenticate("Bearer token-0", READ) == first
