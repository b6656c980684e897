"""The visitor model: deterministic, each archetype recognisably itself (seen at the epoch, where the world
begins when no epoch is given; tests/simulation/test_world.py follows it after the epoch)."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.clock import epoch_seconds
from mockserver.simulation import ARCHETYPES, VisitorJourney, rules, visitor_journey
from mockserver.simulation.archetypes import PROFILES
from mockserver.simulation.seeding import derive_key, uuid_text

NOW = datetime(2026, 5, 21, 16, 3, 41, 523000, tzinfo=UTC)
DAY = 86_400

ids = st.text(min_size=1, max_size=40)
seeds = st.integers(min_value=-(2**70), max_value=2**70)
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))


def sample(archetype: str, count: int = 400, seed: int = 11) -> list[VisitorJourney]:
    return [visitor_journey(f"{archetype}-{n}", seed=seed, now=NOW, archetype=archetype) for n in range(count)]


@settings(max_examples=300, deadline=None)
@given(journey_id=ids, seed=seeds, now=moments, archetype=st.none() | st.sampled_from(ARCHETYPES))
def test_the_timeline_is_ordered_disjoint_and_never_after_now(
    journey_id: str, seed: int, now: datetime, archetype: str | None
) -> None:
    journey = visitor_journey(journey_id, seed=seed, now=now, archetype=archetype)
    assert journey == visitor_journey(journey_id, seed=seed, now=now, archetype=archetype)
    assert 1 <= len(journey.sessions) <= 15
    assert journey.anchor <= epoch_seconds(now) < journey.anchor + 60
    previous_end = None
    for number, session in enumerate(journey.sessions, start=1):
        assert session.number == number
        assert session.start < session.end <= journey.anchor
        assert previous_end is None or previous_end <= session.start
        assert session.pages and all(page.startswith("/") for page in session.pages)
        for event in (*session.conversions, *session.redirects):
            assert session.start <= event.at <= session.end
        previous_end = session.end
    assert journey.total_time_seconds == sum(session.duration for session in journey.sessions)
    assert journey.total_clicks == sum(session.clicks for session in journey.sessions)
    assert journey.total_scrolls == sum(session.scrolls for session in journey.sessions)
    assert journey.conversion_hits == sum(len(session.conversions) for session in journey.sessions)
    assert journey.botd_sessions == sum(session.botd for session in journey.sessions)
    pages = [page for session in journey.sessions for page in session.pages]
    assert journey.pricing_views == pages.count("/pricing")


def test_archetype_none_is_picked_from_seed_and_id_with_realistic_weights() -> None:
    picked = Counter(visitor_journey(f"cluster_{n:05x}", seed=3, now=NOW).archetype for n in range(6000))
    total_weight = sum(profile.weight for profile in PROFILES.values())
    for archetype, profile in PROFILES.items():
        assert picked[archetype] / 6000 == pytest.approx(profile.weight / total_weight, abs=0.03)
    # The pick is a function of (seed, id): asking again, in any order, gives the same answer.
    again = [visitor_journey(f"cluster_{n:05x}", seed=3, now=NOW).archetype for n in reversed(range(50))]
    assert again == [visitor_journey(f"cluster_{n:05x}", seed=3, now=NOW).archetype for n in reversed(range(50))]


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_an_asked_for_archetype_is_honoured(archetype: str) -> None:
    assert {journey.archetype for journey in sample(archetype, 50)} == {archetype}


def test_an_unknown_archetype_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown archetype 'whale'; expected one of converted"):
        visitor_journey("x", seed=1, now=NOW, archetype="whale")


def test_a_now_before_1980_is_refused() -> None:
    with pytest.raises(ValueError, match="1980"):
        visitor_journey("x", seed=1, now=datetime(1970, 1, 2, tzinfo=UTC))


def test_ids_and_seeds_give_different_journeys() -> None:
    base = visitor_journey("cluster_8f2ab", seed=1, now=NOW, archetype="returning")
    assert visitor_journey("cluster_8f2ac", seed=1, now=NOW, archetype="returning").sessions != base.sessions
    assert visitor_journey("cluster_8f2ab", seed=2, now=NOW, archetype="returning").sessions != base.sessions


def test_without_an_epoch_the_world_begins_at_each_minute_of_now() -> None:
    # epoch None is the world begun at `now`: stable within a minute, and the backstory slides with the minute
    # (a server always gives an epoch, so its journeys do not slide).
    start_of_minute = NOW.replace(second=0, microsecond=0)
    first = visitor_journey("cluster_8f2ab", seed=1, now=start_of_minute)
    assert visitor_journey("cluster_8f2ab", seed=1, now=start_of_minute + timedelta(seconds=59.9)) == first
    later = visitor_journey("cluster_8f2ab", seed=1, now=start_of_minute + timedelta(minutes=5))
    assert [(s.start - 300, s.end - 300) for s in later.sessions] == [(s.start, s.end) for s in first.sessions]
    assert [s.pages for s in later.sessions] == [s.pages for s in first.sessions]


def test_derived_keys_keep_parts_and_their_types_apart() -> None:
    # That another process derives the same keys is tested with whole bodies, in
    # tests/projections/test_cross_process_determinism.py; here, that different parts never share a key.
    assert derive_key(7, "visitor", "a,b") != derive_key(7, "visitor", "a", "b")
    assert derive_key(7, "x") != derive_key("7", "x")
    assert derive_key(1, "\ud800") != derive_key(1, "\ud801")


def test_uuid_text_reads_as_a_version_4_uuid() -> None:
    assert uuid_text(derive_key("app", bits=128))[14] == "4"


def test_converted_visitors_convert_on_demo_or_trial_with_high_scores() -> None:
    for journey in sample("converted"):
        assert journey.converted and journey.conversion_hits >= 1
        conversion_pages = {c.page for s in journey.sessions for c in s.conversions}
        assert conversion_pages <= {"/demo", "/trial", "/contact"}
        assert journey.pricing_views >= 1
        assert journey.intent_level == "high"
        assert journey.recommendation_flag == rules.POST_CONVERSION
        assert not journey.is_bot


def test_high_intent_visitors_view_pricing_and_are_active_without_converting() -> None:
    for journey in sample("high-intent"):
        assert not journey.converted
        assert journey.pricing_views >= 1
        assert journey.current_page == "/pricing"
        assert journey.is_active(journey.anchor)
        assert journey.intent_level == "high"
        assert journey.recommendation_flag == rules.SALES_READY


def test_researchers_read_docs_and_blog_with_medium_intent() -> None:
    journeys = sample("researcher")
    all_pages = []
    for journey in journeys:
        pages = [page for session in journey.sessions for page in session.pages]
        assert any(page.startswith(("/docs/", "/blog/")) for page in pages)
        assert journey.intent_level == "medium"
        assert not journey.converted
        all_pages.extend(pages)
    assert sum(page.startswith(("/docs/", "/blog/")) for page in all_pages) > 0.5 * len(all_pages)
    durations = [s.duration for journey in journeys for s in journey.sessions]
    assert statistics.median(durations) > 300  # long, reading sessions


def test_cold_visitors_came_once_or_twice_long_ago() -> None:
    for journey in sample("cold"):
        assert 1 <= len(journey.sessions) <= 2
        assert journey.days_since_last_seen(journey.anchor) >= 20
        assert journey.intent_level == "low"
        assert journey.recommendation_flag == rules.MONITOR
        assert not journey.is_active(journey.anchor)


def test_returning_visitors_come_back_over_weeks() -> None:
    for journey in sample("returning"):
        assert len(journey.sessions) >= 5
        assert journey.last_seen - journey.first_seen >= 4 * DAY
        assert journey.avg_gap_hours >= 24


def test_bots_are_fast_scroll_free_botd_flagged_and_suspected() -> None:
    for journey in sample("bot"):
        assert len(journey.sessions) >= 5
        assert journey.total_scrolls == 0
        assert all(session.duration < 60 for session in journey.sessions)
        assert journey.avg_gap_hours < 1
        assert journey.botd_sessions >= rules.BOTD_SESSIONS_FOR_BOT
        assert journey.is_bot and journey.automated
        assert journey.recommendation_flag == rules.SUSPECTED_BOT
        assert not journey.converted


def test_people_are_not_bots_but_botd_sometimes_misfires() -> None:
    people = [j for archetype in ARCHETYPES if archetype != "bot" for j in sample(archetype, 300)]
    assert not any(journey.is_bot or journey.automated for journey in people)
    false_positives = sum(journey.botd_sessions == 1 for journey in people)
    assert 0 < false_positives < len(people) * 0.1


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_every_field_of_a_session_holds_what_its_name_says(archetype: str) -> None:
    """Each field of a session holds what its name says."""
    from mockserver.simulation.sitemap import CHANNELS, ENTERPRISE_PAGES, HIGH_INTENT_PAGES
    from mockserver.simulation.visitor import Conversion, Redirect

    epoch = NOW - timedelta(days=20)
    for journey in [
        visitor_journey(f"fields-{n}", seed=4, now=NOW, epoch=epoch, archetype=archetype) for n in range(40)
    ]:
        for session in journey.sessions:
            assert session.start < session.end and session.duration == session.end - session.start
            assert session.pricing_views == session.pages.count("/pricing")
            assert session.high_intent_hits == sum(page in HIGH_INTENT_PAGES for page in session.pages)
            assert session.enterprise_hits == sum(page in ENTERPRISE_PAGES for page in session.pages)
            assert session.channel in CHANNELS and isinstance(session.botd, bool)
            assert all(isinstance(c, Conversion) for c in session.conversions)
            assert all(isinstance(r, Redirect) for r in session.redirects)
            assert session.clicks >= 0 and session.scrolls >= 0
        if archetype == "bot":  # bots click now and then but never scroll: clicks and scrolls are not swapped
            assert all(session.scrolls == 0 for session in journey.sessions)
