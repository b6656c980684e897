"""The CRM side: what the backend needs from it, and a fake that remembers what it was told."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class CrmClient(Protocol):
    def update_contact(self, properties: Mapping[str, Any]) -> None:
        """Create or update the contact these properties describe (HubSpot-style)."""


class FakeCrm:
    """An in-memory CRM: contacts keyed by `jourvex_journey_id`, the document's deduplication key."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.contacts: dict[str, dict[str, Any]] = {}

    def update_contact(self, properties: Mapping[str, Any]) -> None:
        self.updates.append(dict(properties))
        key = str(properties["jourvex_journey_id"])
        self.contacts.setdefault(key, {}).update(properties)
