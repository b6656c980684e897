"""Facts about the vendors and our stand-ins for them that no spec holds: the environment variables their
clients read, their hosts, the credentials the mock's tools use, and the fixed instant tests run at.

One module, so that the pytest plugin, the fixture generator and the contract runner agree on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

#: Where each vendor's clients read the API's base URL (the contract runner and the proxy read them too).
BASE_URL_VARIABLES: Final[Mapping[str, str]] = MappingProxyType(
    {"jourvex": "JOURVEX_BASE_URL", "odyssey": "ODYSSEY_BASE_URL", "yofi": "YOFI_BASE_URL"}
)
#: The vendors' production hosts, as their documents name them.
DEFAULT_BASE_URLS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "jourvex": "https://api.jourvex.com",
        "odyssey": "https://odysseylabs.ai",
        "yofi": "https://server.telemetry.services.yofi.ai",
    }
)
#: Where each vendor's clients read their credential.
TOKEN_VARIABLES: Final[Mapping[str, str]] = MappingProxyType(
    {"jourvex": "JOURVEX_API_KEY", "odyssey": "ODYSSEY_API_TOKEN", "yofi": "YOFI_API_TOKEN"}
)
#: Yofi's `x-scope-partner-id`.
PARTNER_VARIABLE: Final = "YOFI_PARTNER_ID"
#: Journey ids of a live account to probe, comma-separated.
KNOWN_ID_VARIABLES: Final[Mapping[str, str]] = MappingProxyType(
    {"jourvex": "JOURVEX_JOURNEY_IDS", "yofi": "YOFI_JOURNEY_IDS"}
)

#: The instant tests, the checked-in fixtures and the contract runner's mock target are served at: with the real
#: clock the same seed gives other timestamps from one minute to the next, and a suite wants the same bytes.
TEST_NOW: Final = "2026-05-21T16:30:00Z"

#: Credentials the contract runner sends to its in-process mock target; a run against the mock needs no
#: environment at all.
MOCK_TOKENS: Final[Mapping[str, str]] = MappingProxyType(
    {"jourvex": "jvx_test_contracts", "odyssey": "odyssey-contracts", "yofi": "yofi-contracts"}
)
MOCK_PARTNER_ID: Final = "contracts"

#: Headers with credentials of the mock's default token policies (any token of the vendor's shape is accepted),
#: used by the plugin's environment and the fixture generator. Not secrets.
TEST_HEADERS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "jourvex": MappingProxyType({"Authorization": "Bearer jvx_test_journeymock"}),
        "odyssey": MappingProxyType({"Authorization": "Bearer odyssey-journeymock"}),
        "yofi": MappingProxyType(
            {"Authorization": "Bearer yofi-journeymock", "x-scope-partner-id": "partner-journeymock"}
        ),
    }
)
