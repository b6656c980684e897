"""The kinds of visitor the simulation knows, and how each one behaves.

A profile holds only numbers and weighted pools; `shapes.py` turns it into session shapes and
`visitor.py` draws sessions from it. Weighted pools are tuples with repeated entries, so a pick is a single
index — the cheapest weighted choice there is. Entries ending in `*` stand for "some blog post" / "some docs
page", drawn from the text pools.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = ["ARCHETYPES", "PROFILES", "Profile", "pick_profile", "profile_named"]

ARCHETYPES: Final[tuple[str, ...]] = ("converted", "high-intent", "researcher", "cold", "returning", "bot")

_MINUTE: Final = 60
_HOUR: Final = 3600
_DAY: Final = 86_400


@dataclass(frozen=True)
class Profile:
    name: str
    weight: int  # relative frequency when no archetype is asked for
    sessions: tuple[int, int]  # inclusive range
    pages: tuple[int, int]  # pages per session, inclusive range
    dwell: tuple[int, int]  # seconds per page
    gap: tuple[int, int]  # seconds from one session's end to the next one's start
    recency: tuple[int, int]  # seconds from the last activity to the world's epoch
    score: tuple[int, int]  # intent score, inclusive range
    landing: tuple[str, ...]  # first page of a session (weighted)
    browse: tuple[str, ...]  # the other pages (weighted)
    channels: tuple[str, ...]  # acquisition channel (weighted)
    clicks_per_page: tuple[float, float]
    scrolls_per_page: tuple[float, float]  # (0, 0) for visitors that never scroll
    outbound_chance: float  # chance that a session follows a link off the site
    mobile_chance: float
    # After the epoch the visitor keeps living: before each return it may go quiet for good (`quiet_chance`);
    # a return follows the previous session after a usual `gap`, or, with `pause_chance`, after a longer
    # `pause` (so visits come in bursts with gaps between them).
    quiet_chance: float
    pause_chance: float
    pause: tuple[int, int]  # seconds, inclusive range


def _weighted(weights: Mapping[str, int]) -> tuple[str, ...]:
    return tuple(item for item, weight in weights.items() for _ in range(weight))


_SITE_BROWSE: Final = _weighted(
    {
        "/features": 4,
        "/pricing": 2,
        "/about": 1,
        "/customers": 2,
        "/integrations": 2,
        "/security": 1,
        "/blog/*": 2,
        "/docs/*": 1,
    }
)

PROFILES: Final[Mapping[str, Profile]] = MappingProxyType(
    {
        "converted": Profile(
            name="converted",
            weight=12,
            sessions=(3, 9),
            pages=(3, 6),
            dwell=(25, 150),
            gap=(3 * _HOUR, 4 * _DAY),
            recency=(2 * _MINUTE, 2 * _DAY),
            score=(78, 99),
            landing=_weighted({"/home": 5, "/pricing": 1, "/features": 1, "/blog/*": 1, "/customers": 1}),
            browse=_weighted(
                {
                    "/features": 3,
                    "/pricing": 4,
                    "/customers": 3,
                    "/integrations": 2,
                    "/security": 2,
                    "/enterprise": 1,
                    "/docs/*": 1,
                    "/compare/alternatives": 1,
                }
            ),
            channels=_weighted({"linkedin": 4, "google": 3, "g2": 2, "referral": 1, "newsletter": 1, "partner": 1}),
            clicks_per_page=(1.0, 3.5),
            scrolls_per_page=(1.0, 4.0),
            outbound_chance=0.2,
            mobile_chance=0.2,
            quiet_chance=0.35,
            pause_chance=0.3,
            pause=(5 * _DAY, 30 * _DAY),
        ),
        "high-intent": Profile(
            name="high-intent",
            weight=15,
            sessions=(3, 8),
            pages=(3, 6),
            dwell=(20, 140),
            gap=(2 * _HOUR, 3 * _DAY),
            recency=(0, 20 * _MINUTE),
            score=(70, 95),
            landing=_weighted({"/home": 3, "/pricing": 2, "/features": 1, "/customers": 1}),
            browse=_weighted(
                {
                    "/pricing": 4,
                    "/features": 2,
                    "/customers": 2,
                    "/integrations": 2,
                    "/security": 2,
                    "/enterprise": 1,
                    "/compare/alternatives": 1,
                    "/docs/sso": 1,
                }
            ),
            channels=_weighted({"linkedin": 3, "google": 3, "g2": 2, "referral": 1, "direct": 1}),
            clicks_per_page=(1.0, 3.0),
            scrolls_per_page=(1.0, 4.0),
            outbound_chance=0.25,
            mobile_chance=0.25,
            quiet_chance=0.12,
            pause_chance=0.25,
            pause=(_DAY, 7 * _DAY),
        ),
        "researcher": Profile(
            name="researcher",
            weight=20,
            sessions=(2, 7),
            pages=(3, 8),
            dwell=(60, 300),
            gap=(6 * _HOUR, 4 * _DAY),
            recency=(_HOUR, 10 * _DAY),
            score=(40, 69),
            landing=_weighted({"/blog/*": 4, "/docs/*": 3, "/home": 1, "/features": 1}),
            browse=_weighted(
                {"/docs/*": 5, "/blog/*": 4, "/features": 2, "/integrations": 2, "/security": 1, "/pricing": 1}
            ),
            channels=_weighted({"google": 5, "newsletter": 2, "linkedin": 1, "referral": 1, "partner": 1}),
            clicks_per_page=(0.5, 2.0),
            scrolls_per_page=(3.0, 9.0),
            outbound_chance=0.35,
            mobile_chance=0.15,
            quiet_chance=0.18,
            pause_chance=0.3,
            pause=(5 * _DAY, 21 * _DAY),
        ),
        "cold": Profile(
            name="cold",
            weight=28,
            sessions=(1, 2),
            pages=(1, 3),
            dwell=(8, 60),
            gap=(_DAY, 10 * _DAY),
            recency=(20 * _DAY, 120 * _DAY),
            score=(3, 35),
            landing=_weighted({"/home": 3, "/blog/*": 3, "/about": 1, "/features": 1}),
            browse=_weighted({"/features": 2, "/about": 2, "/blog/*": 2, "/customers": 1}),
            channels=_weighted({"google": 3, "linkedin": 3, "referral": 1, "direct": 1}),
            clicks_per_page=(0.0, 1.5),
            scrolls_per_page=(0.5, 2.5),
            outbound_chance=0.05,
            mobile_chance=0.45,
            quiet_chance=0.6,
            pause_chance=0.5,
            pause=(30 * _DAY, 120 * _DAY),
        ),
        "returning": Profile(
            name="returning",
            weight=15,
            sessions=(5, 13),
            pages=(2, 5),
            dwell=(20, 120),
            gap=(_DAY, 6 * _DAY),
            recency=(10 * _MINUTE, 4 * _DAY),
            score=(30, 80),
            landing=_weighted({"/home": 4, "/blog/*": 2, "/features": 1, "/pricing": 1}),
            browse=_SITE_BROWSE,
            channels=_weighted({"newsletter": 3, "direct": 2, "linkedin": 2, "google": 2, "partner": 1}),
            clicks_per_page=(0.5, 2.5),
            scrolls_per_page=(1.0, 5.0),
            outbound_chance=0.1,
            mobile_chance=0.3,
            quiet_chance=0.06,
            pause_chance=0.2,
            pause=(4 * _DAY, 14 * _DAY),
        ),
        "bot": Profile(
            name="bot",
            weight=10,
            sessions=(5, 12),
            pages=(1, 3),
            dwell=(1, 6),
            gap=(20, 15 * _MINUTE),
            recency=(_MINUTE, 6 * _HOUR),
            score=(5, 30),
            landing=_weighted({"/home": 3, "/pricing": 2, "/blog/*": 1, "/wp-login.php": 1}),
            browse=_weighted({"/pricing": 3, "/features": 2, "/customers": 1, "/about": 1, "/blog/*": 2, "/docs/*": 1}),
            channels=_weighted({"direct": 6, "referral": 2, "google": 1}),
            clicks_per_page=(0.0, 1.0),
            scrolls_per_page=(0.0, 0.0),
            outbound_chance=0.0,
            mobile_chance=0.0,
            quiet_chance=0.03,
            pause_chance=0.15,
            pause=(6 * _HOUR, 4 * _DAY),
        ),
    }
)

_TOTAL_WEIGHT: Final = sum(profile.weight for profile in PROFILES.values())
# Running totals of the weights: `bisect` finds where a position falls in one C call.
_CUMULATIVE_WEIGHTS: Final = tuple(itertools.accumulate(profile.weight for profile in PROFILES.values()))
_IN_ORDER: Final = tuple(PROFILES.values())


def profile_named(archetype: str) -> Profile:
    """The profile of an archetype; ValueError naming the known ones for anything else."""
    try:
        return PROFILES[archetype]
    except KeyError:
        raise ValueError(f"unknown archetype {archetype!r}; expected one of {', '.join(ARCHETYPES)}") from None


def pick_profile(unit: float) -> Profile:
    """The archetype at position `unit` (in [0, 1)) of the weighted distribution."""
    return _IN_ORDER[min(bisect.bisect_right(_CUMULATIVE_WEIGHTS, unit * _TOTAL_WEIGHT), len(_IN_ORDER) - 1)]
