"""The faithful implementations (`tests/faithful/`) as the contract tests serve them."""

from __future__ import annotations

from typing import Any

from faithful import jourvex, odyssey, yofi

#: Known ids: a live run reads journeys that exist.
KNOWN_IDS = {"JOURVEX_JOURNEY_IDS": "cluster_8f2ab", "YOFI_JOURNEY_IDS": "jid-e90328e0-1be9-540e-8671-41acd5cc9a5d"}


def faithful_app(api: str, secrets: dict[str, str]) -> Any:
    """The API's faithful implementation, accepting the run's credentials (from the environment)."""

    def tokens() -> set[str]:
        return {value for name, value in secrets.items() if "PARTNER" not in name}

    if api == "jourvex":
        return jourvex.create_app(tokens)
    if api == "odyssey":
        return odyssey.create_app(tokens)
    return yofi.create_app(tokens, lambda: {secrets["YOFI_PARTNER_ID"]})
