"""A visitor evaluating a B2B product: sessions, pages, engagement, conversions — one model for every API.

`visitor_journey` is on every journey request's hot path, so it works in integer epoch seconds, draws
32-bit integers from one seeded stream (`seeding.draw_stream`), picks whole sessions from prepared shapes
(`shapes`), and builds sessions as named tuples. Everything the APIs derive from the sessions (totals,
intent, recommendation, liveness) is defined here or in `rules`, once, so the three projections cannot
disagree.

The timeline is anchored on `now` rounded down to the minute: a developer re-fetching a journey within a
minute gets the same bytes, and every timestamp is at or before `now`. The shape of a journey (its
sessions, pages, gaps) depends on `(seed, journey_id)` only, so across minutes it slides, it does not change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final, NamedTuple

from mockserver.clock import epoch_seconds
from mockserver.simulation import rules
from mockserver.simulation.archetypes import Profile, pick_profile, profile_named
from mockserver.simulation.seeding import DRAW_SPAN, draw_stream, minute_floor
from mockserver.simulation.shapes import POOL_BITS, POOL_MASK, shape_pools
from mockserver.simulation.sitemap import CONVERSION_PAGES
from mockserver.simulation.text import pools

__all__ = ["Conversion", "Redirect", "Session", "VisitorJourney", "visitor_journey"]

# 1980-01-01T00:00:00Z. Journeys reach months into the past; an earlier `now` is surely a mistake.
_EARLIEST_NOW: Final = 315_532_800
_DEVICES: Final = ("desktop", "mobile", "tablet")
# Chance that a person's journey has one session BotD flags anyway (a false positive).
_BOTD_FALSE_POSITIVE: Final = int(0.03 * DRAW_SPAN)
_BOT_BOTD_CHANCE: Final = int(0.7 * DRAW_SPAN)
_CONVERTED_LAST_CHANCE: Final = int(0.7 * DRAW_SPAN)  # a converted visitor converted in the last session
_PRICING_CHANCE: Final = int(0.5 * DRAW_SPAN)  # a high-intent session ends on pricing
# A session's first draw holds three independent uniform fields: its shape (the low POOL_BITS bits), its
# channel (the next POOL_BITS) and, in the rest, whether it follows a link off the site. One draw where
# three would cost ~1.5k instructions more per session.
_CHANNEL_SHIFT: Final = POOL_BITS
_DETOUR_SHIFT: Final = 2 * POOL_BITS
_DETOUR_SPAN: Final = DRAW_SPAN >> _DETOUR_SHIFT


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
    # Judgements, made once by `rules` when the journey is built: every projection reads them, and a field
    # costs a tuple index where a property costs a call.
    intent_level: str  # `rules.intent_level(intent_score)`
    recommendation_flag: str  # `rules.recommendation_flag(...)` of this journey

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

    def days_since_last_seen(self, at: int) -> int:
        """Whole days from the last activity to `at` (epoch seconds)."""
        return max(0, (at - self.sessions[-1].end) // 86_400)  # `last_seen`, without a second call

    def is_active(self, at: int) -> bool:
        """Whether the last event is recent enough, at `at`, to call the visitor live."""
        return at - self.sessions[-1].end <= rules.ACTIVE_WINDOW_SECONDS


def visitor_journey(journey_id: str, *, seed: int, now: datetime, archetype: str | None = None) -> VisitorJourney:
    """The journey `journey_id` names under `seed`, as seen at `now`.

    `archetype` None picks one from `(seed, journey_id)` with realistic weights; an unknown name raises
    ValueError, as does a `now` before 1980.
    """
    profile = profile_named(archetype) if archetype is not None else None
    draw = draw_stream(seed, "visitor", journey_id)
    # Always drawn, so an explicit archetype leaves the rest of the stream where it would have been.
    unit = draw() / DRAW_SPAN
    if profile is None:
        profile = pick_profile(unit)
    anchor = minute_floor(epoch_seconds(now))
    if anchor < _EARLIEST_NOW:
        raise ValueError(f"now must be 1980-01-01 or later, got {now.isoformat()}")
    return _generate(journey_id, seed, anchor, profile, draw)


def _generate(journey_id: str, seed: int, anchor: int, profile: Profile, draw: Callable[[], int]) -> VisitorJourney:
    name = profile.name
    is_bot_profile = name == "bot"
    shapes = shape_pools(name)
    browsing = shapes.browsing
    text = pools()
    outbound = text.outbound_urls
    outbound_count = len(outbound)
    outbound_cut = profile.outbound_chance * _DETOUR_SPAN
    first_channels = shapes.first_channels
    later_channels = shapes.later_channels
    # Creating a named tuple through its class runs a Python-level __new__; tuple.__new__ does the same in C.
    new = tuple.__new__

    low, high = profile.sessions
    count = low + draw() % (high - low + 1)
    low, high = profile.recency
    end = anchor - low - draw() % (high - low + 1)
    converting = -1
    if name == "converted":
        converting = count - 1 if count == 1 or draw() < _CONVERTED_LAST_CHANCE else count - 2
    # High intent shows as pricing in several sessions, and the live visitor is on pricing right now.
    pricing = name == "high-intent"
    false_positive = -1
    if not is_bot_profile and draw() < _BOTD_FALSE_POSITIVE:
        false_positive = draw() % count
    gap_low, gap_high = profile.gap
    gap_range = gap_high - gap_low + 1

    # Built backwards from the last activity, so each session's times are known as it is made.
    sessions: list[Session] = []
    gaps = total_time = longest = total_clicks = total_scrolls = 0
    pricing_views = high_intent_hits = enterprise_hits = conversion_hits = botd_sessions = 0
    for index in range(count - 1, -1, -1):
        bits = draw()
        if index == converting:
            pool = shapes.converting
        elif pricing and (index == count - 1 or draw() < _PRICING_CHANCE):
            pool = shapes.to_pricing
        else:
            pool = browsing
        pages, duration, clicks, scrolls, shape_pricing, shape_high_intent, shape_enterprise = pool[bits & POOL_MASK]
        conversions: tuple[Conversion, ...] = ()
        if index == converting:
            page = pages[-1]
            conversions = (new(Conversion, (CONVERSION_PAGES[page], page, end - draw() % 30)),)
            conversion_hits += 1
        start = end - duration
        if is_bot_profile:
            botd = index < rules.BOTD_SESSIONS_FOR_BOT or draw() < _BOT_BOTD_CHANCE
        else:
            botd = index == false_positive
        channel = (later_channels if index else first_channels)[bits >> _CHANNEL_SHIFT & POOL_MASK]
        redirects: tuple[Redirect, ...] = ()
        if bits >> _DETOUR_SHIFT < outbound_cut:
            redirects = (new(Redirect, (outbound[draw() % outbound_count], start + draw() % duration)),)
        sessions.append(
            new(Session, (index + 1, start, end, pages, clicks, scrolls, channel, conversions, redirects, botd))
        )
        total_time += duration
        if duration > longest:
            longest = duration
        pricing_views += shape_pricing
        high_intent_hits += shape_high_intent
        enterprise_hits += shape_enterprise
        total_clicks += clicks
        total_scrolls += scrolls
        botd_sessions += botd
        if index:
            gap = gap_low + draw() % gap_range
            gaps += gap
            end = start - gap
    sessions.reverse()

    unit = draw() / DRAW_SPAN
    device = "desktop" if unit >= profile.mobile_chance else _DEVICES[1 + (unit < profile.mobile_chance / 6)]
    companies = text.companies
    company = companies[draw() % len(companies)]
    low, high = profile.score
    score = low + draw() % (high - low + 1)
    automated = rules.automated(count, longest, total_scrolls > 0)
    level = rules.intent_level(score)
    return new(
        VisitorJourney,
        (
            journey_id,
            seed,
            name,
            anchor,
            tuple(sessions),
            device,
            company,
            score,
            draw() >> 2,  # text variant
            total_time,
            total_clicks,
            total_scrolls,
            pricing_views,
            high_intent_hits,
            enterprise_hits,
            conversion_hits,
            botd_sessions,
            round(gaps / (count - 1) / 3600, 1) if count > 1 else 0.0,  # average gap, hours
            automated,
            level,
            rules.recommendation_flag(converted=conversion_hits > 0, automated=automated, level=level),
        ),
    )
