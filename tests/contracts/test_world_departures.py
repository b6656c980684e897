"""The world's contract check can fail: a vendor that rewrites a journey's history between two fetches (the
sliding timeline journeymock itself had) is caught by `past_kept` — an inferred fact, so a warning unless
`--strict-inferences` — and a journey that keeps its past is not."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from mockserver.clock import format_instant, parse_instant
from tests.contracts import test_departures as departures

Exchange = Any


class _SlidingHistory:
    """Every read after the first of a journey shows its whole history an hour later: the same sessions, each
    body consistent on its own, but a past that moves."""

    def __init__(self) -> None:
        self.reads: dict[str, int] = {}

    def __call__(self, exchange: Exchange) -> None:
        if not departures._is(exchange, "GET", departures.JOURVEX_JOURNEY, 200):
            return
        self.reads[exchange.path] = self.reads.get(exchange.path, 0) + 1
        if self.reads[exchange.path] == 1:
            return
        body = exchange.json()
        later = _later(timedelta(hours=self.reads[exchange.path] - 1))
        body["first_seen"], body["last_seen"] = later(body["first_seen"]), later(body["last_seen"])
        body["live"]["last_event_ts"] = later(body["live"]["last_event_ts"])
        for session in body["sessions"]:
            session["start"], session["end"] = later(session["start"]), later(session["end"])
            for event in (*session["conversions"], *session["external_redirects"]):
                event["ts"] = later(event["ts"])
        exchange.set_json(body)


def _later(shift: timedelta) -> Any:
    return lambda text: format_instant(parse_instant(text) + shift)


SLIDING = departures.Variant(
    "history slides between fetches", "jourvex", "past_kept", after=_SlidingHistory, options=(departures.STRICT,)
)


def test_a_sliding_history_is_caught_by_past_kept(plant, live_env, run_contracts, monkeypatch):
    departures.test_departure_is_caught_by_the_right_check(SLIDING, plant, live_env, run_contracts, monkeypatch)


def test_a_sliding_history_is_a_contradicted_inference_without_strict_inferences(
    plant, live_env, run_contracts, monkeypatch
):
    # A kept past is journeymock's inference, not the vendors' word: a warning, exit 0, unless strict.
    departures.test_a_departure_from_an_inference_is_a_warning_without_strict_inferences(
        SLIDING, plant, live_env, run_contracts, monkeypatch
    )


def test_a_journey_that_keeps_its_past_passes(plant, live_env, run_contracts, monkeypatch):
    for name, value in departures.KNOWN_IDS.items():
        monkeypatch.setenv(name, value)
    base_url = plant("jourvex")
    outcome = run_contracts("--target", "live", "--api", "jourvex", "--base-url", base_url, *departures.EXAMPLES)
    assert outcome.status == 0, outcome.text
    assert not re.findall(r"^  past_kept\s+FAILED", outcome.out, flags=re.MULTILINE)
