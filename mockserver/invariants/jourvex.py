"""What must hold in every Jourvex Journey body, beyond its schema.

Totals agree with the sessions, sessions are ordered and disjoint, and the derived judgements (intent level,
recommendation, liveness) follow the journey's state. Instants are compared as instants, not as strings, so
a vendor writing `+00:00` instead of `Z` is not flagged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Final

from mockserver.invariants.suite import CheckSuite, Context, instant, number, seconds_between
from mockserver.simulation import rules
from mockserver.simulation.sitemap import ENTERPRISE_PAGES, HIGH_INTENT_PAGES, PRICING_PAGE
from mockserver.simulation.text import headline_pattern

__all__ = ["SUITE", "problems"]

SUITE: Final = CheckSuite("Jourvex journey")
check = SUITE.check

# avg_gap_hours is sent rounded to one decimal: a value within half a step (plus float noise) is right.
AVG_GAP_TOLERANCE_HOURS: Final = 0.05 + 1e-9
# journeymock sees a journey at `now` rounded down to the minute, so clock-derived fields may lag the
# caller's clock by up to this much.
CLOCK_SLACK_SECONDS: Final = 60


def problems(
    body: Mapping[str, Any], *, now: datetime | None = None, journey_id: str | None = None, strict: bool = True
) -> list[str]:
    """Every invariant the Journey body breaks, as sentences naming the field.

    `now` None skips the clock-dependent checks; `journey_id` is the id that was requested; `strict` False
    skips checks that rest on journeymock's conventions rather than on the vendor's document.
    """
    return SUITE.run(body, Context(now=now, strict=strict, journey_id=journey_id))


def _sessions(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    sessions = body["sessions"]
    if not isinstance(sessions, list) or not all(isinstance(session, Mapping) for session in sessions):
        raise TypeError("sessions is not a list of objects")
    return sessions


def _count(items: Any) -> int:
    if not isinstance(items, list):
        raise TypeError("not a list")
    return len(items)


def _pages(body: Mapping[str, Any]) -> list[str]:
    return [page for session in _sessions(body) for page in session["pages"]]


@check(
    documented="Your server calls the Journey API using your API key and the provided journey_id.",
)
def requested_id(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    if context.journey_id is not None and body["journey_id"] != context.journey_id:
        yield f"journey_id is {body['journey_id']!r} but {context.journey_id!r} was requested"


@check(
    inferred="The document names metrics.total_sessions but never defines it, and its example lists one session "
    "against a total of 12; counting the sessions listed is assumed.",
)
def total_sessions(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    expected = len(_sessions(body))
    if body["metrics"]["total_sessions"] != expected:
        yield f"metrics.total_sessions is {body['metrics']['total_sessions']} but there are {expected} sessions"


@check(
    inferred="The metrics totals are assumed to sum the sessions listed; the document does not define them.",
)
def totals(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    sessions = _sessions(body)
    metrics = body["metrics"]
    for metric, field, noun in (
        ("total_time_seconds", "duration_sec", "durations"),
        ("total_clicks", "clicks", "clicks"),
        ("total_scrolls", "scrolls", "scrolls"),
    ):
        expected = sum(number(session[field]) for session in sessions)
        if number(metrics[metric]) != expected:
            yield f"metrics.{metric} is {metrics[metric]} but the sessions' {noun} sum to {expected}"


@check(
    inferred="duration_sec = end - start is read from the example (204 s); the document does not define it.",
)
def session_durations(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    for position, session in enumerate(_sessions(body)):
        start, end = instant(session["start"]), instant(session["end"])
        elapsed = seconds_between(start, end)
        if elapsed < 0:
            yield f"sessions[{position}] ends ({session['end']}) before it starts ({session['start']})"
        # Whole seconds: a vendor keeping sub-second times may round either way.
        if abs(number(session["duration_sec"]) - elapsed) >= 1:
            yield (
                f"sessions[{position}].duration_sec is {session['duration_sec']} but end - start is {elapsed:g} seconds"
            )


@check(
    inferred="Ordering (oldest first, disjoint) is a convention: the document shows one session and does not say.",
)
def session_order(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    sessions = _sessions(body)
    for position in range(1, len(sessions)):
        previous, current = sessions[position - 1], sessions[position]
        if instant(current["start"]) < instant(previous["end"]):
            yield (
                f"sessions[{position}] starts at {current['start']}, before sessions[{position - 1}] ends at "
                f"{previous['end']}: sessions must be oldest first and must not overlap"
            )


@check(
    inferred="first_seen equals the first session's start in the example; the document does not state it.",
)
def first_seen(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    sessions = _sessions(body)
    if sessions and instant(body["first_seen"]) != instant(sessions[0]["start"]):
        yield f"first_seen is {body['first_seen']} but the first session starts at {sessions[0]['start']}"


@check(
    inferred="last_seen as the latest activity is read from its name; the document does not define it.",
)
def last_seen(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    seen = instant(body["last_seen"])
    for position, session in enumerate(_sessions(body)):
        if instant(session["end"]) > seen:
            yield f"last_seen is {body['last_seen']} but sessions[{position}] ends later, at {session['end']}"


@check(
    inferred="Meaning inferred from the name; the document does not define avg_gap_hours.",
)
def avg_gap_hours(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    sessions = _sessions(body)
    reported = number(body["metrics"]["avg_gap_hours"])
    if len(sessions) < 2:
        if reported != 0:
            yield f"metrics.avg_gap_hours is {reported} but with {len(sessions)} session(s) there is no gap"
        return
    gaps = [
        seconds_between(instant(sessions[position - 1]["end"]), instant(sessions[position]["start"]))
        for position in range(1, len(sessions))
    ]
    mean = sum(gaps) / len(gaps) / 3600
    if abs(reported - mean) > AVG_GAP_TOLERANCE_HOURS:
        yield (f"metrics.avg_gap_hours is {reported} but the mean gap between consecutive sessions is {mean:.3f} hours")


@check(
    inferred="converted is assumed to mean that some session has a conversion; the document does not define it.",
)
def converted(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    any_conversion = any(_count(session["conversions"]) for session in _sessions(body))
    if body["converted"] is not any_conversion:
        yield (
            f"converted is {body['converted']} but the sessions have "
            f"{'conversions' if any_conversion else 'no conversion'}"
        )


@check(
    inferred="pricing_views is assumed to count /pricing pages in the sessions; the document does not define it.",
)
def pricing_views(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    expected = _pages(body).count(PRICING_PAGE)
    reported = body["intent"]["signals"]["pricing_views"]
    if reported != expected:
        yield f"intent.signals.pricing_views is {reported} but the sessions view {PRICING_PAGE} {expected} times"


@check(
    inferred="conversion_hits is assumed to count the sessions' conversions; the document does not define it.",
)
def conversion_hits(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    expected = sum(_count(session["conversions"]) for session in _sessions(body))
    reported = body["intent"]["signals"]["conversion_hits"]
    if reported != expected:
        yield f"intent.signals.conversion_hits is {reported} but the sessions have {expected} conversions"


@check(
    inferred="Which pages count as high-intent or enterprise is journeymock's site map; the document does not list"
    " them.",
    convention=True,
)
def page_signals(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    pages = _pages(body)
    signals = body["intent"]["signals"]
    for name, page_set, noun in (
        ("high_intent_hits", HIGH_INTENT_PAGES, "high-intent"),
        ("enterprise_hits", ENTERPRISE_PAGES, "enterprise"),
    ):
        expected = sum(page in page_set for page in pages)
        if signals[name] != expected:
            yield f"intent.signals.{name} is {signals[name]} but the sessions view {expected} {noun} pages"


@check(
    inferred="The score thresholds of the intent levels (>= 70 high, >= 40 medium) are journeymock's; the document"
    " shows only 88 and high.",
    convention=True,
)
def intent_level(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    score = body["intent"]["score"]
    expected = rules.intent_level(int(number(score)))
    if body["intent"]["level"] != expected:
        yield f"intent.level is {body['intent']['level']!r} but a score of {score} is {expected!r}"


@check(
    inferred="The rules choosing a recommendation flag and its headline are journeymock's; the document shows one "
    "flag.",
    convention=True,
)
def recommendation(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    sessions = _sessions(body)
    expected = rules.recommendation_flag(
        converted=bool(body["converted"]),
        automated=rules.looks_automated(
            [int(number(session["duration_sec"])) for session in sessions],
            [int(number(session["scrolls"])) for session in sessions],
        ),
        level=rules.intent_level(int(number(body["intent"]["score"]))),
    )
    flag = body["recommendation"]["flag"]
    if flag != expected:
        yield f"recommendation.flag is {flag!r} but the journey's state calls for {expected!r}"
    pattern = headline_pattern(str(flag))
    headline = body["recommendation"]["card"]["headline"]
    if pattern is not None and not pattern.fullmatch(str(headline)):
        yield f"recommendation.card.headline {headline!r} is not a headline for the flag {flag!r}"


@check(
    inferred="live.last_event_ts equals last_seen in the example; the document does not state it.",
)
def live_event(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    live = body["live"]
    if instant(live["last_event_ts"]) != instant(body["last_seen"]):
        yield f"live.last_event_ts is {live['last_event_ts']} but last_seen is {body['last_seen']}"
    sessions = _sessions(body)
    if sessions and sessions[-1]["pages"]:
        last_page = sessions[-1]["pages"][-1]
        if live["current_page"] != last_page:
            yield f"live.current_page is {live['current_page']!r} but the last page viewed is {last_page!r}"


@check(
    inferred="That conversions and redirects fall within their session is assumed; the document only shows them empty.",
    convention=True,
)
def conversion_times(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    for position, session in enumerate(_sessions(body)):
        start, end = instant(session["start"]), instant(session["end"])
        for kind in ("conversions", "external_redirects"):
            for item_position, item in enumerate(session[kind]):
                if isinstance(item, Mapping) and "ts" in item and not start <= instant(item["ts"]) <= end:
                    yield (
                        f"sessions[{position}].{kind}[{item_position}].ts is {item['ts']}, outside the "
                        f"session ({session['start']} to {session['end']})"
                    )


@check(
    inferred="Whole days since last_seen is read from the name; the document does not define it.",
    clock=True,
)
def days_since_last_seen(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    assert context.now is not None
    elapsed = seconds_between(instant(body["last_seen"]), context.now)
    # Whole days at `now`, or at most a minute earlier (journeymock's minute anchor).
    allowed = {max(0, math.floor((elapsed - slack) / 86_400)) for slack in (0, CLOCK_SLACK_SECONDS)}
    reported = body["intent"]["signals"]["days_since_last_seen"]
    if reported not in allowed:
        yield (
            f"intent.signals.days_since_last_seen is {reported} but last_seen ({body['last_seen']}) is "
            f"{max(allowed)} whole days before now"
        )


@check(
    inferred="Observed times are assumed not to run ahead of the caller's clock; the vendor's clock is its own.",
    clock=True,
)
def not_in_the_future(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    assert context.now is not None
    stamps = [("first_seen", body["first_seen"]), ("last_seen", body["last_seen"])]
    for position, session in enumerate(_sessions(body)):
        stamps.append((f"sessions[{position}].end", session["end"]))
    for name, value in stamps:
        if instant(value) > context.now:
            yield f"{name} is {value}, after now ({context.now.isoformat()})"


@check(
    inferred="The activity window behind live.is_active is journeymock's; the document does not define it.",
    clock=True,
    convention=True,
)
def is_active(body: Mapping[str, Any], context: Context) -> Iterator[str]:
    assert context.now is not None
    idle = seconds_between(instant(body["live"]["last_event_ts"]), context.now)
    window = rules.ACTIVE_WINDOW_SECONDS
    active = body["live"]["is_active"]
    if active is True and idle > window + CLOCK_SLACK_SECONDS:
        yield f"live.is_active is true but the last event was {idle / 60:.0f} minutes ago"
    if active is False and idle <= window:
        yield f"live.is_active is false but the last event was only {idle / 60:.0f} minutes ago"
