"""What a browser SDK records of a visitor journey: the app, the user, and event batches per session.

Derived from a `VisitorJourney` — the same sessions, pages, clicks, conversions and BotD flags — with a
generator of its own, `(seed, "telemetry", journey_id)`, so building it never disturbs the visitor model and
costs nothing unless an API asks for it. Times are epoch milliseconds.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from mockserver.simulation.seeding import derive_key, rng_for, uuid_text
from mockserver.simulation.text import pools
from mockserver.simulation.visitor import VisitorJourney

__all__ = [
    "SAMPLED_INTERACTIONS",
    "EventBatch",
    "EventLevel",
    "EventType",
    "Telemetry",
    "TelemetryEvent",
    "telemetry",
]

# A partner has a few apps (sites) instrumented; each journey belongs to one of them.
_APPS_PER_PARTNER: Final = 3
#: At most this many click and this many scroll events per batch: the SDK samples them rather than sending each
#: one (the spec documents the sample as inferred; `cloudBehavioral` counts them all).
SAMPLED_INTERACTIONS: Final = 2
_BROWSERS: Final = ("Chrome",) * 6 + ("Safari",) * 2 + ("Edge", "Firefox")
_DESKTOP_OS: Final = ("Windows",) * 5 + ("macOS",) * 4 + ("Linux",)
_MOBILE_OS: Final = ("iOS", "Android")
_COUNTRIES: Final = ("US",) * 6 + ("GB", "GB", "DE", "CA", "FR", "NL", "AU", "IN", "SE")
# Headless browsers announce themselves through what they cannot hide.
_BOT_BROWSERS: Final = ("HeadlessChrome", "HeadlessChrome", "PhantomJS")


class EventType:
    NAVIGATION: Final = 0
    INTERACTION: Final = 1
    CONVERSION: Final = 2
    DETECTION: Final = 3


class EventLevel:
    INFO: Final = 0
    NOTICE: Final = 1
    WARNING: Final = 2


BOTD_EVENT: Final = "botd_detected"
PAGE_VIEW_EVENT: Final = "page_view"
CLICK_EVENT: Final = "click"
SCROLL_EVENT: Final = "scroll"


class TelemetryEvent(NamedTuple):
    level: int
    name: str
    time: int  # milliseconds after the batch's `created_at`
    type: int


class EventBatch(NamedTuple):
    sid: str  # session id
    url: str  # the page the session began on
    created_at: int  # epoch milliseconds
    events: tuple[TelemetryEvent, ...]  # in time order
    botd: bool


class Telemetry(NamedTuple):
    app_id: str
    user_id: str
    site: str  # host name of the app's site
    browser: str
    os: str
    country: str
    batches: tuple[EventBatch, ...]  # one per session, oldest first
    created_at: int  # epoch milliseconds: the first batch
    updated_at: int  # epoch milliseconds: the last event


def app_id(seed: int, index: int) -> str:
    return uuid_text(derive_key(seed, "app", index, bits=128))


def telemetry(journey: VisitorJourney) -> Telemetry:
    """The SDK's record of `journey` (deterministic from the journey's seed and id)."""
    rng = rng_for(journey.seed, "telemetry", journey.journey_id)
    rand = rng.random
    text = pools()
    app = int(rand() * _APPS_PER_PARTNER)
    site = text.site_domains[derive_key(journey.seed, "site", app) % len(text.site_domains)]
    bot = journey.archetype == "bot"
    if bot:
        browser, os = _BOT_BROWSERS[int(rand() * len(_BOT_BROWSERS))], "Linux"
    else:
        browser = _BROWSERS[int(rand() * len(_BROWSERS))]
        systems = _DESKTOP_OS if journey.device == "desktop" else _MOBILE_OS
        os = systems[int(rand() * len(systems))]
        if os == "iOS":
            browser = "Safari"
    # Everything about the journey is drawn before its sessions, so a session that happens later draws after
    # the earlier ones and leaves them, and these, as they were.
    country = _COUNTRIES[int(rand() * len(_COUNTRIES))]
    user_id = f"uid-{uuid_text(rng.getrandbits(128))}"
    batches: list[EventBatch] = []
    updated_at = 0
    for session in journey.sessions:
        started = session.start * 1000
        ended = session.end * 1000
        # The SDK starts a little after the session does; sessions last at least a second.
        created = started + int(rand() * min(1000, ended - started))
        span = ended - created
        events: list[TelemetryEvent] = []
        page_count = len(session.pages)
        events.extend(
            TelemetryEvent(EventLevel.INFO, PAGE_VIEW_EVENT, span * position // page_count, EventType.NAVIGATION)
            for position in range(page_count)
        )
        for name, count in ((CLICK_EVENT, session.clicks), (SCROLL_EVENT, session.scrolls)):
            events.extend(
                TelemetryEvent(EventLevel.INFO, name, int(rand() * span), EventType.INTERACTION)
                for _ in range(min(count, SAMPLED_INTERACTIONS))
            )
        events.extend(
            TelemetryEvent(
                EventLevel.NOTICE, conversion.kind, max(0, conversion.at * 1000 - created), EventType.CONVERSION
            )
            for conversion in session.conversions
        )
        events.extend(
            TelemetryEvent(
                EventLevel.INFO, "outbound_click", max(0, redirect.at * 1000 - created), EventType.INTERACTION
            )
            for redirect in session.redirects
        )
        if session.botd:
            events.append(
                TelemetryEvent(EventLevel.WARNING, BOTD_EVENT, int(rand() * min(span, 800)), EventType.DETECTION)
            )
        events.sort(key=lambda event: event.time)
        batches.append(
            EventBatch(
                sid=uuid_text(rng.getrandbits(128)),
                url=f"https://{site}{session.pages[0]}",
                created_at=created,
                events=tuple(events),
                botd=session.botd,
            )
        )
        updated_at = max(updated_at, created + events[-1].time)
    return Telemetry(
        app_id=app_id(journey.seed, app),
        user_id=user_id,
        site=site,
        browser=browser,
        os=os,
        country=country,
        batches=tuple(batches),
        created_at=batches[0].created_at,
        updated_at=updated_at,
    )
