"""The living world: a journey's past is fixed and its present grows, for every API and archetype.

Bodies are built the way the handlers build them (simulation, then projection) at two or more instants of one
world, and compared with the world's invariants (`mockserver.invariants.world`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.invariants import jourvex as jourvex_invariants
from mockserver.invariants import yofi as yofi_invariants
from mockserver.invariants.world import history_problems
from mockserver.projections.jourvex import journey_body
from mockserver.projections.yofi import journey_document, predictions_document
from mockserver.simulation import ARCHETYPES, JourneyNotStarted, visitor_journey

EPOCH = datetime(2026, 5, 21, 16, 30, tzinfo=UTC)
DAY = timedelta(days=1)

Body = dict[str, Any]


def _jourvex(journey_id: str, seed: int, now: datetime, epoch: datetime, archetype: str | None) -> Body:
    journey = visitor_journey(journey_id, seed=seed, now=now, epoch=epoch, archetype=archetype)
    return journey_body(journey, now=now)


def _yofi_data(journey_id: str, seed: int, now: datetime, epoch: datetime, archetype: str | None) -> Body:
    journey = visitor_journey(journey_id, seed=seed, now=now, epoch=epoch, archetype=archetype)
    return journey_document(journey, seed=seed, now=now, include_predictions=True)


def _yofi_predictions(journey_id: str, seed: int, now: datetime, epoch: datetime, archetype: str | None) -> Body:
    journey = visitor_journey(journey_id, seed=seed, now=now, epoch=epoch, archetype=archetype)
    return predictions_document(journey, seed=seed, now=now, forced=False)


BODIES: dict[tuple[str, str], Callable[[str, int, datetime, datetime, str | None], Body]] = {
    ("jourvex", "getJourney"): _jourvex,
    ("yofi", "getJourneyData"): _yofi_data,
    ("yofi", "getJourneyPredictions"): _yofi_predictions,
}


def _body(
    operation: tuple[str, str], journey_id: str, seed: int, now: datetime, epoch: datetime, archetype: str | None
) -> Body | None:
    try:
        return BODIES[operation](journey_id, seed, now, epoch, archetype)
    except JourneyNotStarted:
        return None


@pytest.mark.parametrize("operation", list(BODIES), ids="/".join)
@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_the_past_is_fixed_and_the_aggregates_grow_over_many_pairs_of_instants(
    operation: tuple[str, str], archetype: str
) -> None:
    """200 (id, t1, t2) triples per API operation and archetype (3,600 in all), instants from a month before
    the epoch to three months after it."""
    rng = random.Random(f"{operation}-{archetype}")
    compared = 0
    for number in range(200):
        journey_id = f"{archetype}-{number}"
        first, second = sorted(EPOCH + timedelta(seconds=rng.randint(-30 * 86_400, 90 * 86_400)) for _ in range(2))
        earlier = _body(operation, journey_id, 5, first, EPOCH, archetype)
        later = _body(operation, journey_id, 5, second, EPOCH, archetype)
        if earlier is None:
            continue  # the journey did not exist yet at t1
        assert later is not None, f"{journey_id} existed at {first} but not at {second}"
        assert history_problems(*operation, earlier, later) == [], (journey_id, first, second)
        compared += 1
    assert compared > 100


@pytest.mark.parametrize("archetype", [*ARCHETYPES, None])
def test_a_sequence_of_instants_only_adds_to_a_journey(archetype: str | None) -> None:
    """Hourly for ten days after the epoch: each body keeps all of the previous one, and the world moves."""
    for number in range(6):
        journey_id = f"sequence-{archetype}-{number}"
        previous = None
        sessions_seen = set()
        for hour in range(0, 240, 3):
            now = EPOCH + timedelta(hours=hour, minutes=7)
            body = _jourvex(journey_id, 2, now, EPOCH, archetype)
            assert jourvex_invariants.problems(body, now=now, journey_id=journey_id) == []
            if previous is not None:
                assert history_problems("jourvex", "getJourney", previous, body) == []
            sessions_seen.add(len(body["sessions"]))
            previous = body


def test_the_world_grows_after_the_epoch_for_some_visitors_of_every_archetype() -> None:
    for archetype in ARCHETYPES:
        grown = sum(
            len(_jourvex(f"grow-{n}", 1, EPOCH + 60 * DAY, EPOCH, archetype)["sessions"])
            > len(_jourvex(f"grow-{n}", 1, EPOCH, EPOCH, archetype)["sessions"])
            for n in range(60)
        )
        # Visitors come back, and some go quiet for good: neither all nor none of them grow.
        assert 0 < grown < 60, archetype


def test_visitors_are_live_at_some_moments_of_a_day_and_not_at_others() -> None:
    """One visitor over one simulated day: on the site right after a visit, and gone between visits."""
    journey_id = "cluster_live"
    states = [
        _jourvex(journey_id, 0, EPOCH + timedelta(minutes=minute), EPOCH, "bot")["live"]["is_active"]
        for minute in range(0, 24 * 60, 10)
    ]
    assert True in states and False in states


def test_a_journey_does_not_exist_before_its_first_session() -> None:
    journey = visitor_journey("early", seed=0, now=EPOCH, epoch=EPOCH, archetype="cold")
    with pytest.raises(JourneyNotStarted):
        visitor_journey(
            "early", seed=0, now=datetime.fromtimestamp(journey.first_seen, UTC), epoch=EPOCH, archetype="cold"
        )
    # `now` is seen to the minute: the first minute that has the first session's end behind it.
    seen = datetime.fromtimestamp(journey.sessions[0].end + 60, UTC)
    again = visitor_journey("early", seed=0, now=seen, epoch=EPOCH, archetype="cold")
    assert again.sessions == journey.sessions[:1]


def test_with_the_epoch_at_now_a_journey_shows_only_its_backstory() -> None:
    assert visitor_journey("x", seed=3, now=EPOCH) == visitor_journey("x", seed=3, now=EPOCH, epoch=EPOCH)


@settings(max_examples=150, deadline=None)
@given(
    journey_id=st.text(min_size=1, max_size=30),
    seed=st.integers(min_value=-(2**40), max_value=2**40),
    epoch=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    offsets=st.lists(st.integers(min_value=-40 * 86_400, max_value=400 * 86_400), min_size=2, max_size=5),
    archetype=st.none() | st.sampled_from(ARCHETYPES),
)
def test_any_world_keeps_its_past(
    journey_id: str, seed: int, epoch: datetime, offsets: list[int], archetype: str | None
) -> None:
    previous: dict[tuple[str, str], Body] = {}
    for offset in sorted(offsets):
        now = epoch + timedelta(seconds=offset)
        for operation in BODIES:
            body = _body(operation, journey_id, seed, now, epoch, archetype)
            if body is None:
                assert operation not in previous
                continue
            if operation == ("yofi", "getJourneyData"):
                assert yofi_invariants.problems(body, now=now) == []
            if operation in previous:
                assert history_problems(*operation, previous[operation], body) == []
            previous[operation] = body
