"""Session shapes: built once per archetype, identical in every process, each one a plausible session."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from mockserver.simulation import ARCHETYPES
from mockserver.simulation.archetypes import PROFILES
from mockserver.simulation.shapes import NEW_CHANNEL_CHANCE, POOL_MASK, SessionShape, shape_pools
from mockserver.simulation.sitemap import CONVERSION_PAGES, ENTERPRISE_PAGES, HIGH_INTENT_PAGES, PRICING_PAGE

SHAPE_POOLS = ("browsing", "to_pricing", "converting")


def all_shapes(archetype: str) -> list[tuple[str, SessionShape]]:
    pools = shape_pools(archetype)
    return [(kind, shape) for kind in SHAPE_POOLS for shape in getattr(pools, kind)]


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_every_pool_is_a_power_of_two_that_the_mask_indexes(archetype: str) -> None:
    for pool in shape_pools(archetype):
        assert len(pool) == POOL_MASK + 1


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_every_shape_is_a_plausible_session(archetype: str) -> None:
    profile = PROFILES[archetype]
    for kind, shape in all_shapes(archetype):
        pages = shape.pages
        assert pages, kind
        assert all(a != b for a, b in itertools.pairwise(pages)), pages
        assert shape.duration > 0
        assert shape.clicks >= 0
        # People scroll at least once; bots never do.
        assert (shape.scrolls == 0) == (profile.scrolls_per_page[1] == 0), (kind, shape)
        assert shape.pricing_views == pages.count(PRICING_PAGE)
        assert shape.high_intent_hits == sum(page in HIGH_INTENT_PAGES for page in pages)
        assert shape.enterprise_hits == sum(page in ENTERPRISE_PAGES for page in pages)


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_pricing_and_converting_shapes_end_where_their_name_says(archetype: str) -> None:
    pools = shape_pools(archetype)
    assert all(shape.pages[-1] == PRICING_PAGE for shape in pools.to_pricing)
    for shape in pools.converting:
        assert shape.pages[-1] in CONVERSION_PAGES
        assert PRICING_PAGE in shape.pages
        # Filling in the form takes time beyond browsing.
        assert shape.duration >= 60


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_pools_vary(archetype: str) -> None:
    pools = shape_pools(archetype)
    for pool in (pools.browsing, pools.to_pricing, pools.converting):
        assert len({shape.duration for shape in pool}) >= 10
        assert len({shape.pages for shape in pool}) > 8


@pytest.mark.parametrize("archetype", ["researcher", "bot"])
def test_another_process_builds_the_same_pools(archetype: str) -> None:
    code = f"from mockserver.simulation.shapes import shape_pools; print(repr(shape_pools({archetype!r})))"
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert printed.strip() == repr(shape_pools(archetype))


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_channel_pools_keep_the_archetypes_proportions(archetype: str) -> None:
    pools = shape_pools(archetype)
    weighted = PROFILES[archetype].channels  # a channel appears as often as it is likely
    size = POOL_MASK + 1
    for channel in set(weighted):
        share = weighted.count(channel) / len(weighted)
        assert abs(pools.first_channels.count(channel) / size - share) <= 1 / size
    later_direct = pools.later_channels.count("direct") / size
    direct_share = weighted.count("direct") / len(weighted)
    expected = (1 - NEW_CHANNEL_CHANCE) + NEW_CHANNEL_CHANCE * direct_share
    assert abs(later_direct - expected) <= 2 / size
    assert set(pools.later_channels) == set(weighted) | {"direct"}
