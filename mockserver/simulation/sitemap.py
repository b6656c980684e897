"""The B2B marketing site the simulated visitors browse, and which pages count as which signal.

The page sets are shared by the generator and the invariant checks, so "a pricing view" means the same
thing when a journey is made and when it is checked.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CHANNELS",
    "CONVERSION_PAGES",
    "ENTERPRISE_PAGES",
    "HIGH_INTENT_PAGES",
    "PRICING_PAGE",
]

PRICING_PAGE: Final = "/pricing"

# Each page on which a visitor can convert, and the conversion it records there.
CONVERSION_PAGES: Final = {
    "/demo": "demo_booked",
    "/trial": "trial_started",
    "/contact": "form_submitted",
}

# Pages that indicate a buying decision rather than curiosity.
HIGH_INTENT_PAGES: Final = frozenset(
    {
        PRICING_PAGE,
        "/demo",
        "/trial",
        "/contact",
        "/enterprise",
        "/security",
        "/customers",
        "/integrations",
        "/compare/alternatives",
    }
)

# Pages only larger organisations tend to read (procurement, SSO, security reviews).
ENTERPRISE_PAGES: Final = frozenset({"/enterprise", "/security", "/docs/sso", "/trust"})

CHANNELS: Final = ("linkedin", "google", "direct", "newsletter", "referral", "g2", "partner")
