"""A visitor evaluating a B2B product: sessions, pages, engagement, conversions — one model for every API.

The world has a fixed past. Every session of a visitor has an absolute time derived from the seed, the
journey id and the world's epoch, never from `now`: `now` only decides which sessions have happened yet.
A journey has a backstory before the epoch (the archetype's usual state, ending `recency` before it) and
keeps living after it: the visitor returns after the archetype's gaps, sometimes after a longer pause (so
visits come in bursts), and before each return may go quiet for good. A session is shown once it has ended,
whole, so what a response shows at one instant is shown identically at every later one; only aggregates grow
(totals, intent) and judgements of the present change (liveness, recency).

`visitor_journey` is on every journey request's hot path: it works in integer epoch seconds, draws 32-bit
integers from one seeded stream (`seeding.draw_stream`) and picks whole sessions from prepared shapes
(`shapes`). Its values are dataclasses with an `__init__` of their own: in the compiled build (README, "The
compiled hot path") that makes them native classes, built in ~50 ns where a named tuple takes ~230 ns and a
dataclass's generated `__init__` ~1 µs (mypyc runs a generated `__init__` as Python). Nothing changes them
after they are built. Everything the APIs derive from the sessions
(totals, intent, recommendation, liveness) is defined here or in `rules`, once, so the three projections
cannot disagree.

Times are quantised to the minute: `now` and the epoch are rounded down to it, so a developer re-fetching a
journey within a minute gets the same bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, final

from mockserver.clock import epoch_seconds
from mockserver.simulation import rules
from mockserver.simulation.archetypes import Profile, pick_profile, profile_named
from mockserver.simulation.seeding import DRAW_SPAN, draw_stream, minute_floor
from mockserver.simulation.shapes import POOL_MASK, SessionShape, ShapePools, shape_pools
from mockserver.simulation.sitemap import CONVERSION_PAGES
from mockserver.simulation.text import pools

__all__ = [
    "Conversion",
    "JourneyNotStarted",
    "Redirect",
    "Session",
    "VisitorJourney",
    "visitor_journey",
]

# 1980-01-01T00:00:00Z. Journeys reach months into the past; an earlier `now` is surely a mistake.
_EARLIEST_NOW: Final = 315_532_800
_DEVICES: Final = ("desktop", "mobile", "tablet")
# Chance that a person's journey has one session BotD flags anyway (a false positive).
_BOTD_FALSE_POSITIVE: Final = int(0.03 * DRAW_SPAN)
_BOT_BOTD_CHANCE: Final = int(0.7 * DRAW_SPAN)
_CONVERTED_LAST_CHANCE: Final = int(0.7 * DRAW_SPAN)  # a converted visitor converted in the last session
_PRICING_CHANCE: Final = int(0.5 * DRAW_SPAN)  # a high-intent session ends on pricing
# A high-intent visitor who returns after the epoch converts in that session with this chance.
_LATE_CONVERSION_CHANCE: Final = int(0.08 * DRAW_SPAN)
# A visitor returns at most this many times after the epoch: the work per request stays bounded.
_MAX_RETURNS: Final = 48
# Intent never exceeds this; returns raise it (a bot's does not rise: its visits show no interest).
_MAX_SCORE: Final = 99


class JourneyNotStarted(LookupError):
    """The visitor's first session has not ended yet at the instant asked about (a `now` before the epoch's
    backstory): the journey does not exist yet."""


@final
@dataclass(init=False)
class Conversion:
    kind: str  # demo_booked | trial_started | form_submitted
    page: str
    at: int  # epoch seconds

    def __init__(self, *, kind: str, page: str, at: int) -> None:
        self.kind = kind
        self.page = page
        self.at = at


@final
@dataclass(init=False)
class Redirect:
    url: str
    at: int  # epoch seconds

    def __init__(self, *, url: str, at: int) -> None:
        self.url = url
        self.at = at


@final
@dataclass(init=False)
class Session:
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
    pricing_views: int  # page signals of the session's pages (`sitemap`)
    high_intent_hits: int
    enterprise_hits: int

    def __init__(
        self,
        *,
        number: int,
        start: int,
        end: int,
        pages: tuple[str, ...],
        clicks: int,
        scrolls: int,
        channel: str,
        conversions: tuple[Conversion, ...],
        redirects: tuple[Redirect, ...],
        botd: bool,
        pricing_views: int,
        high_intent_hits: int,
        enterprise_hits: int,
    ) -> None:
        self.number = number
        self.start = start
        self.end = end
        self.pages = pages
        self.clicks = clicks
        self.scrolls = scrolls
        self.channel = channel
        self.conversions = conversions
        self.redirects = redirects
        self.botd = botd
        self.pricing_views = pricing_views
        self.high_intent_hits = high_intent_hits
        self.enterprise_hits = enterprise_hits

    @property
    def duration(self) -> int:
        return self.end - self.start


@final
@dataclass(init=False)
class VisitorJourney:
    """One visitor's evaluation as seen at `anchor`: the sessions that have ended by then, oldest first, plus
    the aggregates every API reports."""

    journey_id: str
    seed: int
    archetype: str
    anchor: int  # epoch seconds of `now` rounded down to the minute; nothing shown happens after it
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
    # Judgements, made once by `rules` when the journey is built: every projection reads them.
    intent_level: str  # `rules.intent_level(intent_score)`
    recommendation_flag: str  # `rules.recommendation_flag(...)` of this journey

    def __init__(
        self,
        *,
        journey_id: str,
        seed: int,
        archetype: str,
        anchor: int,
        sessions: tuple[Session, ...],
        device: str,
        company: str,
        intent_score: int,
        text_variant: int,
        total_time_seconds: int,
        total_clicks: int,
        total_scrolls: int,
        pricing_views: int,
        high_intent_hits: int,
        enterprise_hits: int,
        conversion_hits: int,
        botd_sessions: int,
        avg_gap_hours: float,
        automated: bool,
        intent_level: str,
        recommendation_flag: str,
    ) -> None:
        self.journey_id = journey_id
        self.seed = seed
        self.archetype = archetype
        self.anchor = anchor
        self.sessions = sessions
        self.device = device
        self.company = company
        self.intent_score = intent_score
        self.text_variant = text_variant
        self.total_time_seconds = total_time_seconds
        self.total_clicks = total_clicks
        self.total_scrolls = total_scrolls
        self.pricing_views = pricing_views
        self.high_intent_hits = high_intent_hits
        self.enterprise_hits = enterprise_hits
        self.conversion_hits = conversion_hits
        self.botd_sessions = botd_sessions
        self.avg_gap_hours = avg_gap_hours
        self.automated = automated
        self.intent_level = intent_level
        self.recommendation_flag = recommendation_flag

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
        return max(0, (at - self.sessions[-1].end) // 86_400)

    def is_active(self, at: int) -> bool:
        """Whether the last event is recent enough, at `at`, to call the visitor live."""
        return at - self.sessions[-1].end <= rules.ACTIVE_WINDOW_SECONDS


def visitor_journey(
    journey_id: str, *, seed: int, now: datetime, epoch: datetime | None = None, archetype: str | None = None
) -> VisitorJourney:
    """The journey `journey_id` names under `seed` in the world that began at `epoch`, as seen at `now`.

    `epoch` None means the world begins at `now` (the journey shows its backstory only). `archetype` None
    picks one from `(seed, journey_id)` with realistic weights; an unknown name raises ValueError, as does a
    `now` before 1980. `JourneyNotStarted` when no session has ended by `now`.
    """
    profile = profile_named(archetype) if archetype is not None else None
    draw = draw_stream(seed, "visitor", journey_id)
    # Always drawn, so an explicit archetype leaves the rest of the stream where it would have been.
    unit = draw() / DRAW_SPAN
    if profile is None:
        profile = pick_profile(unit)
    at = minute_floor(epoch_seconds(now))
    if at < _EARLIEST_NOW:
        raise ValueError(f"now must be 1980-01-01 or later, got {now.isoformat()}")
    origin = at if epoch is None else _origin(epoch)
    return _World(profile, draw).journey(journey_id, seed, origin, at)


@functools.lru_cache(maxsize=64)
def _origin(epoch: datetime) -> int:
    # A server has one epoch: cached, so a request does not compute it again next to its own `now`.
    return minute_floor(epoch_seconds(epoch))


@final
@dataclass(init=False)
class _Traits:
    """What a visitor is like, drawn once between the backstory and the returns (so neither how much of the
    future is drawn nor which sessions are visible changes them)."""

    device: str
    company: str
    base_score: int
    text_variant: int

    def __init__(self, *, device: str, company: str, base_score: int, text_variant: int) -> None:
        self.device = device
        self.company = company
        self.base_score = base_score
        self.text_variant = text_variant


class _World:
    """One visitor's draws, in a fixed order: the archetype, the backstory (built backwards from its last
    activity before the epoch), the traits, then the returns after the epoch, one by one."""

    def __init__(self, profile: Profile, draw: Callable[[], int]) -> None:
        self.profile = profile
        self.draw = draw
        self.shapes: ShapePools = shape_pools(profile.name)
        self.is_bot = profile.name == "bot"
        self.outbound = pools().outbound_urls
        self.outbound_cut = int(profile.outbound_chance * DRAW_SPAN)

    def journey(self, journey_id: str, seed: int, origin: int, at: int) -> VisitorJourney:
        sessions = self._backstory(origin)
        backstory = len(sessions)
        traits = self._traits()
        if sessions[-1].end <= at:
            sessions.extend(self._returns(backstory, origin, at))
        else:
            sessions = [session for session in sessions if session.end <= at]
            if not sessions:
                raise JourneyNotStarted(f"journey {journey_id!r} has no session before {at}")
        return _summarise(journey_id, seed, self.profile, at, tuple(sessions), traits, backstory)

    def _backstory(self, origin: int) -> list[Session]:
        profile, draw, shapes = self.profile, self.draw, self.shapes
        low, high = profile.sessions
        count = low + draw() % (high - low + 1)
        low, high = profile.recency
        end = origin - low - draw() % (high - low + 1)
        converting = -1
        if profile.name == "converted":
            converting = count - 1 if count == 1 or draw() < _CONVERTED_LAST_CHANCE else count - 2
        # High intent shows as pricing in several sessions, and the visitor is on pricing at the epoch.
        pricing = profile.name == "high-intent"
        false_positive = -1
        if not self.is_bot and draw() < _BOTD_FALSE_POSITIVE:
            false_positive = draw() % count
        gap_low, gap_high = profile.gap
        sessions: list[Session] = []
        for index in range(count - 1, -1, -1):
            if index == converting:
                pool = shapes.converting
            elif pricing and (index == count - 1 or draw() < _PRICING_CHANCE):
                pool = shapes.to_pricing
            else:
                pool = shapes.browsing
            shape = pool[draw() & POOL_MASK]
            if self.is_bot:
                botd = index < rules.BOTD_SESSIONS_FOR_BOT or draw() < _BOT_BOTD_CHANCE
            else:
                botd = index == false_positive
            start = end - shape.duration
            sessions.append(self._session(index + 1, start, shape, converting=index == converting, botd=botd))
            end = start - (gap_low + draw() % (gap_high - gap_low + 1))
        sessions.reverse()
        return sessions

    def _traits(self) -> _Traits:
        profile, draw = self.profile, self.draw
        unit = draw() / DRAW_SPAN
        device = "desktop" if unit >= profile.mobile_chance else _DEVICES[1 + (unit < profile.mobile_chance / 6)]
        companies = pools().companies
        company = companies[draw() % len(companies)]
        low, high = profile.score
        # Keywords in the order of the draws: the base score is drawn before the text variant.
        return _Traits(
            device=device, company=company, base_score=low + draw() % (high - low + 1), text_variant=draw() >> 2
        )

    def _returns(self, count: int, origin: int, at: int) -> list[Session]:
        """The sessions after the epoch that have ended by `at`, numbered on from `count`."""
        profile, draw, shapes = self.profile, self.draw, self.shapes
        quiet = int(profile.quiet_chance * DRAW_SPAN)
        pause = int(profile.pause_chance * DRAW_SPAN)
        converts = profile.name == "high-intent"
        returns: list[Session] = []
        end = origin
        for number in range(count + 1, count + _MAX_RETURNS + 1):
            if draw() < quiet:
                break
            low, high = profile.pause if draw() < pause else profile.gap
            start = end + low + draw() % (high - low + 1)
            if start >= at:  # nothing of it has ended yet
                break
            converting = converts and draw() < _LATE_CONVERSION_CHANCE
            if converting:
                pool = shapes.converting
            elif converts and draw() < _PRICING_CHANCE:
                pool = shapes.to_pricing
            else:
                pool = shapes.browsing
            shape = pool[draw() & POOL_MASK]
            botd = self.is_bot and draw() < _BOT_BOTD_CHANCE
            end = start + shape.duration
            if end > at:
                break
            returns.append(self._session(number, start, shape, converting=converting, botd=botd))
            converts = converts and not converting
        return returns

    def _session(self, number: int, start: int, shape: SessionShape, *, converting: bool, botd: bool) -> Session:
        draw = self.draw
        end = start + shape.duration
        channels = self.shapes.later_channels if number > 1 else self.shapes.first_channels
        channel = channels[draw() & POOL_MASK]
        conversions: tuple[Conversion, ...] = ()
        if converting:
            page = shape.pages[-1]
            conversions = (Conversion(kind=CONVERSION_PAGES[page], page=page, at=end - draw() % 30),)
        redirects: tuple[Redirect, ...] = ()
        if draw() < self.outbound_cut:
            url = self.outbound[draw() % len(self.outbound)]
            redirects = (Redirect(url=url, at=start + draw() % shape.duration),)
        return Session(
            number=number,
            start=start,
            end=end,
            pages=shape.pages,
            clicks=shape.clicks,
            scrolls=shape.scrolls,
            channel=channel,
            conversions=conversions,
            redirects=redirects,
            botd=botd,
            pricing_views=shape.pricing_views,
            high_intent_hits=shape.high_intent_hits,
            enterprise_hits=shape.enterprise_hits,
        )


def _summarise(
    journey_id: str,
    seed: int,
    profile: Profile,
    at: int,
    sessions: tuple[Session, ...],
    traits: _Traits,
    backstory: int,
) -> VisitorJourney:
    count = len(sessions)
    total_time = longest = total_clicks = total_scrolls = 0
    pricing_views = high_intent_hits = enterprise_hits = conversion_hits = botd_sessions = 0
    for session in sessions:
        duration = session.end - session.start
        total_time += duration
        if duration > longest:
            longest = duration
        total_clicks += session.clicks
        total_scrolls += session.scrolls
        pricing_views += session.pricing_views
        high_intent_hits += session.high_intent_hits
        enterprise_hits += session.enterprise_hits
        conversion_hits += len(session.conversions)
        botd_sessions += session.botd
    gaps = sessions[-1].end - sessions[0].start - total_time
    score = traits.base_score
    if count > backstory and profile.name != "bot":
        score = min(_MAX_SCORE, score + sum(_interest(session) for session in sessions[backstory:]))
    automated = rules.automated(count, longest, total_scrolls > 0)
    level = rules.intent_level(score)
    return VisitorJourney(
        journey_id=journey_id,
        seed=seed,
        archetype=profile.name,
        anchor=at,
        sessions=sessions,
        device=traits.device,
        company=traits.company,
        intent_score=score,
        text_variant=traits.text_variant,
        total_time_seconds=total_time,
        total_clicks=total_clicks,
        total_scrolls=total_scrolls,
        pricing_views=pricing_views,
        high_intent_hits=high_intent_hits,
        enterprise_hits=enterprise_hits,
        conversion_hits=conversion_hits,
        botd_sessions=botd_sessions,
        avg_gap_hours=round(gaps / (count - 1) / 3600, 1) if count > 1 else 0.0,
        automated=automated,
        intent_level=level,
        recommendation_flag=rules.recommendation_flag(converted=conversion_hits > 0, automated=automated, level=level),
    )


def _interest(session: Session) -> int:
    """The intent a return after the epoch adds: a point, and more for pricing and high-intent pages. (The
    backstory adds nothing: the archetype's score already reflects it; a bot's visits show no interest.)"""
    return 1 + 2 * session.pricing_views + session.high_intent_hits
