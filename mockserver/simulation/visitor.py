"""A visitor evaluating a B2B product: sessions, pages, engagement, conversions — one model for every API.

`visitor_journey` is on every journey request's hot path, so it works in integer epoch seconds, draws from
a single seeded generator with `random()` (the cheapest draw), and builds sessions as named tuples.
Everything the APIs derive from the sessions (totals, intent, recommendation, liveness) is defined here or
in `rules`, once, so the three projections cannot disagree.

The timeline is anchored on `now` rounded down to the minute: a developer re-fetching a journey within a
minute gets the same bytes, and every timestamp is at or before `now`. The shape of a journey (its
sessions, pages, gaps) depends on `(seed, journey_id)` only, so across minutes it slides, it does not change.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Final, NamedTuple

from mockserver.clock import epoch_seconds
from mockserver.simulation import rules
from mockserver.simulation.archetypes import Profile, pick_profile, profile_named
from mockserver.simulation.paths import path_pools
from mockserver.simulation.seeding import derive_key, minute_floor
from mockserver.simulation.sitemap import CONVERSION_PAGES
from mockserver.simulation.text import pools

__all__ = ["Conversion", "Redirect", "Session", "VisitorJourney", "visitor_journey"]

# 1980-01-01T00:00:00Z. Journeys reach months into the past; an earlier `now` is surely a mistake.
_EARLIEST_NOW: Final = 315_532_800
_DEVICES: Final = ("desktop", "mobile", "tablet")
_PATHS: Final = 256  # size of each path pool (see `paths`)
# Chance that a person's journey has one session BotD flags anyway (a false positive).
_BOTD_FALSE_POSITIVE: Final = 0.03
_BOT_BOTD_CHANCE: Final = 0.7


class Conversion(NamedTuple):
    kind: str  # demo_booked | trial_started | form_submitted
    page: str
    at: int  # epoch seconds


class Redirect(NamedTuple):
    url: str
    at: int  # epoch seconds


class Session(NamedTuple):
    number: int  # 1-based position in the journey
    start: int  # epoch seconds
    end: int  # epoch seconds, > start
    pages: tuple[str, ...]  # in viewing order, never empty
    clicks: int
    scrolls: int
    channel: str
    conversions: tuple[Conversion, ...]
    redirects: tuple[Redirect, ...]
    botd: bool  # flagged by BotD (browser bot detection)

    @property
    def duration(self) -> int:
        return self.end - self.start


class VisitorJourney(NamedTuple):
    """One visitor's evaluation: ordered, non-overlapping sessions plus the aggregates every API reports.

    Immutable like a frozen dataclass, but a named tuple: it is built on every journey request, and a
    frozen dataclass of this many fields costs several microseconds more to construct.
    """

    journey_id: str
    seed: int
    archetype: str
    anchor: int  # epoch seconds of `now` rounded down to the minute; nothing happens after it
    sessions: tuple[Session, ...]  # oldest first, at least one
    device: str  # desktop | mobile | tablet
    company: str
    intent_score: int
    text_variant: int  # picks the wording of generated text
    total_time_seconds: int
    total_clicks: int
    total_scrolls: int
    pricing_views: int
    high_intent_hits: int
    enterprise_hits: int
    conversion_hits: int
    botd_sessions: int
    avg_gap_hours: float  # mean time from a session's end to the next one's start; 0 for one session
    automated: bool  # behaves like a script (`rules.looks_automated`)

    @property
    def first_seen(self) -> int:
        return self.sessions[0].start

    @property
    def last_seen(self) -> int:
        return self.sessions[-1].end

    @property
    def converted(self) -> bool:
        return self.conversion_hits > 0

    @property
    def current_page(self) -> str:
        return self.sessions[-1].pages[-1]

    @property
    def is_bot(self) -> bool:
        return rules.is_bot(self.botd_sessions)

    @property
    def intent_level(self) -> str:
        return rules.intent_level(self.intent_score)

    @property
    def recommendation_flag(self) -> str:
        return rules.recommendation_flag(converted=self.converted, automated=self.automated, level=self.intent_level)

    def days_since_last_seen(self, at: int) -> int:
        """Whole days from the last activity to `at` (epoch seconds)."""
        return max(0, (at - self.last_seen) // 86_400)

    def is_active(self, at: int) -> bool:
        """Whether the last event is recent enough, at `at`, to call the visitor live."""
        return at - self.last_seen <= rules.ACTIVE_WINDOW_SECONDS


def visitor_journey(journey_id: str, *, seed: int, now: datetime, archetype: str | None = None) -> VisitorJourney:
    """The journey `journey_id` names under `seed`, as seen at `now`.

    `archetype` None picks one from `(seed, journey_id)` with realistic weights; an unknown name raises
    ValueError, as does a `now` before 1980.
    """
    rng = random.Random(derive_key(seed, "visitor", journey_id))
    rand = rng.random
    # Always drawn, so an explicit archetype leaves the rest of the sequence where it would have been.
    unit = rand()
    profile = pick_profile(unit) if archetype is None else profile_named(archetype)
    anchor = minute_floor(epoch_seconds(now))
    if anchor < _EARLIEST_NOW:
        raise ValueError(f"now must be 1980-01-01 or later, got {now.isoformat()}")
    return _generate(journey_id, seed, anchor, profile, rng)


def _generate(journey_id: str, seed: int, anchor: int, profile: Profile, rng: random.Random) -> VisitorJourney:
    rand = rng.random
    name = profile.name
    is_bot_profile = name == "bot"
    paths = path_pools(name)
    browsing = paths.browsing
    text = pools()
    outbound = text.outbound_urls
    outbound_chance = profile.outbound_chance
    channels = profile.channels

    low, high = profile.sessions
    count = low + int(rand() * (high - low + 1))
    low, high = profile.recency
    end = anchor - low - int(rand() * (high - low + 1))
    converting = -1
    if name == "converted":
        converting = count - 1 if count == 1 or rand() < 0.7 else count - 2
    # High intent shows as pricing in several sessions, and the live visitor is on pricing right now.
    pricing_chance = 0.5 if name == "high-intent" else 0.0
    false_positive = int(rand() * count) if not is_bot_profile and rand() < _BOTD_FALSE_POSITIVE else -1

    dwell_low, dwell_high = profile.dwell
    dwell_range = dwell_high - dwell_low
    gap_low, gap_high = profile.gap
    gap_range = gap_high - gap_low + 1
    clicks_low, clicks_high = profile.clicks_per_page
    clicks_range = clicks_high - clicks_low
    scrolls_low, scrolls_high = profile.scrolls_per_page
    scrolls_range = scrolls_high - scrolls_low

    # Built backwards from the last activity, so each session's times are known as it is made.
    sessions: list[Session] = []
    gaps = total_time = longest = total_clicks = total_scrolls = 0
    pricing_views = high_intent_hits = enterprise_hits = conversion_hits = botd_sessions = 0
    for index in range(count - 1, -1, -1):
        if index == converting:
            path = paths.converting[int(rand() * _PATHS)]
        elif pricing_chance and (index == count - 1 or rand() < pricing_chance):
            path = paths.to_pricing[int(rand() * _PATHS)]
        else:
            path = browsing[int(rand() * _PATHS)]
        pages = path[0]
        page_count = len(pages)
        duration = int(page_count * (dwell_low + rand() * dwell_range))
        clicks = int(page_count * (clicks_low + rand() * clicks_range))
        conversions: tuple[Conversion, ...] = ()
        if index == converting:
            duration += 60 + int(rand() * 240)  # filling in the form
            page = pages[-1]
            conversions = (Conversion(CONVERSION_PAGES[page], page, end - int(rand() * 30)),)
            clicks += 2
            conversion_hits += 1
        start = end - duration
        if is_bot_profile:
            scrolls = 0
            botd = index < rules.BOTD_SESSIONS_FOR_BOT or rand() < _BOT_BOTD_CHANCE
        else:
            # People always scroll at least once; only automated sessions never do.
            scrolls = int(page_count * (scrolls_low + rand() * scrolls_range)) or 1
            botd = index == false_positive
        channel = channels[int(rand() * len(channels))] if index == 0 or rand() < 0.55 else "direct"
        redirects: tuple[Redirect, ...] = ()
        if outbound_chance and rand() < outbound_chance:
            redirects = (Redirect(outbound[int(rand() * len(outbound))], start + int(rand() * duration)),)
        sessions.append(Session(index + 1, start, end, pages, clicks, scrolls, channel, conversions, redirects, botd))
        total_time += duration
        if duration > longest:
            longest = duration
        pricing_views += path[1]
        high_intent_hits += path[2]
        enterprise_hits += path[3]
        total_clicks += clicks
        total_scrolls += scrolls
        botd_sessions += botd
        if index:
            gap = gap_low + int(rand() * gap_range)
            gaps += gap
            end = start - gap
    sessions.reverse()

    unit = rand()
    device = "desktop" if unit >= profile.mobile_chance else _DEVICES[1 + (unit < profile.mobile_chance / 6)]
    companies = text.companies
    low, high = profile.score
    return VisitorJourney(
        journey_id=journey_id,
        seed=seed,
        archetype=name,
        anchor=anchor,
        sessions=tuple(sessions),
        device=device,
        company=companies[int(rand() * len(companies))],
        intent_score=low + int(rand() * (high - low + 1)),
        text_variant=rng.getrandbits(30),
        total_time_seconds=total_time,
        total_clicks=total_clicks,
        total_scrolls=total_scrolls,
        pricing_views=pricing_views,
        high_intent_hits=high_intent_hits,
        enterprise_hits=enterprise_hits,
        conversion_hits=conversion_hits,
        botd_sessions=botd_sessions,
        avg_gap_hours=round(gaps / (count - 1) / 3600, 1) if count > 1 else 0.0,
        automated=rules.automated(count, longest, total_scrolls > 0),
    )
