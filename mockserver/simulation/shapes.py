"""Browsing paths: the page sequences a session can follow, prepared once per archetype.

Drawing pages one by one costs a draw and a few checks per page, on every request. Instead each archetype
gets a pool of realistic paths, built once per process from a fixed seed (identical in every process), and
a session picks a whole path with one draw. The page signals each path carries (pricing views, high-intent
and enterprise hits) are counted once here, too.
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

__all__ = ["Path", "PathPools", "path_pools", "warm_up"]

_POOL_SIZE: Final = 256
# Where a converting visitor ends up, weighted: most book a demo, some start a trial, a few use the form.
_CONVERSION_CHOICES: Final = ("/demo",) * 11 + ("/trial",) * 6 + ("/contact",) * 3


class Path(NamedTuple):
    pages: tuple[str, ...]  # never empty, no page twice in a row
    pricing_views: int
    high_intent_hits: int
    enterprise_hits: int


class PathPools(NamedTuple):
    browsing: tuple[Path, ...]  # any session
    to_pricing: tuple[Path, ...]  # sessions that end on the pricing page
    converting: tuple[Path, ...]  # sessions that end on a conversion page, via pricing


@functools.cache
def path_pools(archetype: str) -> PathPools:
    """The path pools of an archetype (built on first use)."""
    profile = profile_named(archetype)
    rng = random.Random(derive_key("paths", archetype))
    text = pools()
    browsing = tuple(_path(_pages(profile, rng, text)) for _ in range(_POOL_SIZE))
    to_pricing = tuple(_path(_ending(_pages(profile, rng, text), PRICING_PAGE)) for _ in range(_POOL_SIZE))
    converting = tuple(
        _path(_ending(_ending(_pages(profile, rng, text), PRICING_PAGE), rng.choice(_CONVERSION_CHOICES)))
        for _ in range(_POOL_SIZE)
    )
    return PathPools(browsing, to_pricing, converting)


def warm_up() -> None:
    """Build every pool now (e.g. at server start-up, ~0.3 s) rather than on the first request."""
    for archetype in ARCHETYPES:
        path_pools(archetype)


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


def _path(pages: list[str]) -> Path:
    return Path(
        pages=tuple(pages),
        pricing_views=pages.count(PRICING_PAGE),
        high_intent_hits=sum(page in HIGH_INTENT_PAGES for page in pages),
        enterprise_hits=sum(page in ENTERPRISE_PAGES for page in pages),
    )
