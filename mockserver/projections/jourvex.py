"""A visitor journey as Jourvex's Journey API returns it (`GET /api/journey/{journey_id}`).

On the hot path: plain dict literals, integer times formatted by table lookups, page tuples shared with the
model (every JSON encoder writes a tuple as an array), every total taken from the model rather than
recomputed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from mockserver.clock import HOUR_PREFIXES, MINUTE_SECOND_Z, epoch_seconds, format_epoch_seconds
from mockserver.clock import SECONDS_PER_HOUR as HOUR
from mockserver.simulation import VisitorJourney
from mockserver.simulation.seeding import minute_floor
from mockserver.simulation.text import CARD_TEMPLATES
from mockserver.tables import LazyTable

__all__ = ["journey_body"]

_NONE: Final[tuple[()]] = ()
_SESSION_IDS: Final = LazyTable("sess_{}".format, limit=1024)
_CONVERSION_VERBS: Final = {
    "demo_booked": "booked a demo",
    "trial_started": "started a trial",
    "form_submitted": "submitted the contact form",
}


def journey_body(journey: VisitorJourney, *, now: datetime) -> dict[str, Any]:
    """The Journey body. Clock-dependent fields (recency, liveness) are judged at `now` rounded down to
    the minute, the instant the journey is seen at, so a body is stable within a minute."""
    at = minute_floor(epoch_seconds(now))
    fmt = format_epoch_seconds
    clock = MINUTE_SECOND_Z
    hours = HOUR_PREFIXES
    sessions: list[dict[str, Any]] = []
    append = sessions.append
    for session in journey.sessions:
        # A session's start and end are formatted from one hour lookup when they fall in the same hour (most
        # do): this loop formats most of a body's timestamps.
        start, end, conversions, redirects = session.start, session.end, session.conversions, session.redirects
        start_hour = start // HOUR
        prefix = hours[start_hour]
        end_hour = end // HOUR
        append(
            {
                "session_id": _SESSION_IDS[session.number],
                "start": prefix + clock[start - start_hour * HOUR],
                "end": (prefix if end_hour == start_hour else hours[end_hour]) + clock[end - end_hour * HOUR],
                "duration_sec": end - start,
                "pages": session.pages,
                "clicks": session.clicks,
                "scrolls": session.scrolls,
                "channel": session.channel,
                # Most sessions have neither: no comprehension, and one shared empty tuple (written as []).
                "conversions": [{"type": c.kind, "page": c.page, "ts": fmt(c.at)} for c in conversions]
                if conversions
                else _NONE,
                "external_redirects": [{"url": r.url, "ts": fmt(r.at)} for r in redirects] if redirects else _NONE,
            }
        )
    last_seen = sessions[-1]["end"]
    days_since = journey.days_since_last_seen(at)
    is_active = journey.is_active(at)
    flag = journey.recommendation_flag
    return {
        "journey_id": journey.journey_id,
        "first_seen": sessions[0]["start"],
        "last_seen": last_seen,
        "converted": journey.converted,
        "sessions": sessions,
        "metrics": {
            "total_sessions": len(sessions),
            "total_time_seconds": journey.total_time_seconds,
            "total_clicks": journey.total_clicks,
            "total_scrolls": journey.total_scrolls,
            "avg_gap_hours": journey.avg_gap_hours,
        },
        "intent": {
            "score": journey.intent_score,
            "level": journey.intent_level,
            "signals": {
                "pricing_views": journey.pricing_views,
                "high_intent_hits": journey.high_intent_hits,
                "enterprise_hits": journey.enterprise_hits,
                "days_since_last_seen": days_since,
                "conversion_hits": journey.conversion_hits,
            },
        },
        "recommendation": {"flag": flag, "card": _card(journey, flag, days_since, is_active)},
        "live": {"is_active": is_active, "current_page": journey.current_page, "last_event_ts": last_seen},
    }


def _card(journey: VisitorJourney, flag: str, days_since: int, is_active: bool) -> dict[str, str]:
    templates = CARD_TEMPLATES[flag]
    variant = journey.text_variant
    company = journey.company
    return {
        # replace, not format: the same result for a template with only {company}, without building kwargs.
        "headline": templates.headlines[variant % len(templates.headlines)].replace("{company}", company),
        "what_is_happening": _what_is_happening(journey, flag, days_since, is_active),
        "what_to_do": templates.what_to_do[variant % len(templates.what_to_do)],
        "why_it_matters": templates.why_it_matters[variant % len(templates.why_it_matters)],
    }


def _what_is_happening(journey: VisitorJourney, flag: str, days_since: int, is_active: bool) -> str:
    # Each branch formats only what its sentence says: this runs for every journey body.
    sessions = journey.sessions
    count = len(sessions)
    if flag == "post_conversion_context":
        kind = next(c.kind for session in sessions for c in session.conversions)
        return (
            f"{journey.company} {_CONVERSION_VERBS[kind]} after {_SESSIONS[count]} over "
            f"{_DAYS[_days_spanned(journey)]}, with {_PRICING_VIEWS[journey.pricing_views]} along the way."
        )
    recency = "on the site right now" if is_active else _LAST_SEEN[days_since]
    if flag == "suspected_bot":
        average = journey.total_time_seconds // count
        return (
            f"{_SESSIONS[count]} averaging {average} seconds each, none of them scrolled, "
            f"{journey.avg_gap_hours} hours apart on average; {recency}."
        )
    if flag == "sales_ready":
        return (
            f"{_SESSIONS[count]} in {_DAYS[_days_spanned(journey)]} with "
            f"{_PRICING_VIEWS[journey.pricing_views]} and "
            f"{_HIGH_INTENT_VIEWS[journey.high_intent_hits]}; {recency}."
        )
    if flag == "nurture":
        return (
            f"{_SESSIONS[count]} of mostly content and documentation reading, "
            f"{_PRICING_VIEWS[journey.pricing_views]} so far; {recency}."
        )
    return f"{_SESSIONS[count]}, {journey.total_time_seconds} seconds in all; {recency}."


def _days_spanned(journey: VisitorJourney) -> int:
    """How many days the journey spans, a part day counting as one (1 within 24 hours, then 2, ...)."""
    return (journey.last_seen - journey.first_seen) // 86_400 + 1


def _counted(noun: str) -> LazyTable[int, str]:
    """`table[n]` is `1 session` or `n sessions`: the card words several counts for every journey body."""
    return LazyTable(lambda number: f"{number} {noun}" if number == 1 else f"{number} {noun}s", limit=1024)


_SESSIONS: Final = _counted("session")
_DAYS: Final = _counted("day")
_PRICING_VIEWS: Final = _counted("pricing view")
_HIGH_INTENT_VIEWS: Final = _counted("high-intent page view")


def _last_seen(days: int) -> str:
    if days == 0:
        return "last seen today"
    return "last seen yesterday" if days == 1 else f"last seen {days} days ago"


_LAST_SEEN: Final = LazyTable(_last_seen, limit=1024)
