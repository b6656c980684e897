"""Session shapes: the page sequences a session can follow, with its time and effort, prepared once per archetype.

Drawing pages one by one, then a duration, clicks and scrolls for them, costs a dozen draws and as many
checks per session, on every request. Instead each archetype gets pools of realistic session shapes, built
once per process from a fixed seed (identical in every process), and a session picks a whole shape with one
draw. The page signals each shape carries (pricing views, high-intent and enterprise hits) are counted once
here, too. A journey draws several sessions from pools of 512, so journeys still differ session by session;
what varies per journey (times, detours off the site, BotD flags) is drawn per journey.

A session's channel comes from a pool of 512 too, laid out in the archetype's proportions (a later
session comes straight back, "direct", as often as the simulation says), so the draw that picks a shape
can pick the channel as well.
"""

from __future__ import annotations

import functools
import random
from typing import Final, NamedTuple

from mockserver.simulation.archetypes import ARCHETYPES, Profile, profile_named
from mockserver.simulation.seeding import derive_key
from mockserver.simulation.sitemap import (
    ENTERPRISE_PAGES,
    HIGH_INTENT_PAGES,
    PRICING_PAGE,
)
from mockserver.simulation.text import TextPools, pools

__all__ = ["NEW_CHANNEL_CHANCE", "POOL_BITS", "POOL_MASK", "SessionShape", "ShapePools", "shape_pools", "warm_up"]

#: A pool holds 2**POOL_BITS entries, so `bits & POOL_MASK` picks one.
POOL_BITS: Final = 9
_POOL_SIZE: Final = 1 << POOL_BITS
POOL_MASK: Final = _POOL_SIZE - 1
#: A session after the first came in through a channel rather than directly, with this chance.
NEW_CHANNEL_CHANCE: Final = 0.55
# Where a converting visitor ends up, weighted: most book a demo, some start a trial, a few use the form.
_CONVERSION_CHOICES: Final = ("/demo",) * 11 + ("/trial",) * 6 + ("/contact",) * 3
# Filling in a conversion form: extra seconds on the last page, and the clicks of the form itself.
_FORM_SECONDS: Final = (60, 300)
_FORM_CLICKS: Final = 2


class SessionShape(NamedTuple):
    pages: tuple[str, ...]  # never empty, no page twice in a row
    duration: int  # seconds, > 0
    clicks: int
    scrolls: int  # 0 only for visitors that never scroll (bots); people scroll at least once
    pricing_views: int
    high_intent_hits: int
    enterprise_hits: int


class ShapePools(NamedTuple):
    browsing: tuple[SessionShape, ...]  # any session
    to_pricing: tuple[SessionShape, ...]  # sessions that end on the pricing page
    converting: tuple[SessionShape, ...]  # sessions that end on a conversion page, via pricing, form filled in
    first_channels: tuple[str, ...]  # how a visitor first arrives: the archetype's channels, in proportion
    later_channels: tuple[str, ...]  # how a later session arrives: "direct", or a channel (NEW_CHANNEL_CHANCE)


@functools.cache
def shape_pools(archetype: str) -> ShapePools:
    """The session shape pools of an archetype (built on first use)."""
    profile = profile_named(archetype)
    rng = random.Random(derive_key("shapes", archetype))
    text = pools()
    browsing = tuple(_shape(profile, rng, _pages(profile, rng, text)) for _ in range(_POOL_SIZE))
    to_pricing = tuple(
        _shape(profile, rng, _ending(_pages(profile, rng, text), PRICING_PAGE)) for _ in range(_POOL_SIZE)
    )
    converting = tuple(
        _shape(
            profile,
            rng,
            _ending(_ending(_pages(profile, rng, text), PRICING_PAGE), rng.choice(_CONVERSION_CHOICES)),
            converting=True,
        )
        for _ in range(_POOL_SIZE)
    )
    return ShapePools(browsing, to_pricing, converting, *_channel_pools(profile.channels))


def _channel_pools(channels: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    direct = round((1 - NEW_CHANNEL_CHANCE) * _POOL_SIZE)
    first = _apportion(channels, _POOL_SIZE)
    later = ("direct",) * direct + _apportion(channels, _POOL_SIZE - direct)
    return first, later


def _apportion(weighted: tuple[str, ...], seats: int) -> tuple[str, ...]:
    """`seats` entries shared among the channels of `weighted` (where a channel appears as often as it is
    likely) by largest remainder: every channel's share is off by less than one entry."""
    quotas = {channel: weighted.count(channel) * seats / len(weighted) for channel in dict.fromkeys(weighted)}
    counts = {channel: int(quota) for channel, quota in quotas.items()}
    by_remainder = sorted(quotas, key=lambda channel: counts[channel] - quotas[channel])
    for channel in by_remainder[: seats - sum(counts.values())]:
        counts[channel] += 1
    return tuple(channel for channel, count in counts.items() for _ in range(count))


def warm_up() -> None:
    """Build every pool now (e.g. at server start-up, ~0.1 s) rather than on the first request."""
    for archetype in ARCHETYPES:
        shape_pools(archetype)


def _shape(profile: Profile, rng: random.Random, pages: list[str], *, converting: bool = False) -> SessionShape:
    count = len(pages)
    duration = max(1, int(count * rng.uniform(*profile.dwell)))
    clicks = int(count * rng.uniform(*profile.clicks_per_page))
    if converting:
        duration += rng.randint(*_FORM_SECONDS)
        clicks += _FORM_CLICKS
    # People always scroll at least once; only automated sessions never do.
    scrolls = (int(count * rng.uniform(*profile.scrolls_per_page)) or 1) if profile.scrolls_per_page[1] else 0
    return SessionShape(
        pages=tuple(pages),
        duration=duration,
        clicks=clicks,
        scrolls=scrolls,
        pricing_views=pages.count(PRICING_PAGE),
        high_intent_hits=sum(page in HIGH_INTENT_PAGES for page in pages),
        enterprise_hits=sum(page in ENTERPRISE_PAGES for page in pages),
    )


def _pages(profile: Profile, rng: random.Random, text: TextPools) -> list[str]:
    low, high = profile.pages
    pages = [_concrete(rng.choice(profile.landing), rng, text)]
    for _ in range(rng.randint(low, high) - 1):
        page = _concrete(rng.choice(profile.browse), rng, text)
        if page != pages[-1]:
            pages.append(page)
    return pages


def _concrete(page: str, rng: random.Random, text: TextPools) -> str:
    """A page of the site map, with "some blog post" / "some docs page" replaced by a real one."""
    if page == "/blog/*":
        return rng.choice(text.blog_pages)
    if page == "/docs/*":
        return rng.choice(text.docs_pages)
    return page


def _ending(pages: list[str], page: str) -> list[str]:
    if pages[-1] != page:
        pages.append(page)
    return pages
