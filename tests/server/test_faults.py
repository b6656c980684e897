"""`--error-rate` as a probability: a fractional rate fails a share of requests, and the seed fixes which."""

from __future__ import annotations

from collections import Counter

from starlette.testclient import TestClient
from support import JOURVEX_AUTH

from mockserver.faults import INJECTED_ERROR_STATUS


def statuses(client: TestClient, requests: int) -> list[int]:
    """The statuses of `requests` valid journey requests, in order."""
    return [client.get(f"/api/journey/fault_{n}", headers=JOURVEX_AUTH).status_code for n in range(requests)]


def test_a_fractional_error_rate_fails_about_that_share_of_requests(make_client) -> None:
    requests = 300
    counted = Counter(statuses(make_client(error_rate=0.3, seed=11), requests))
    assert set(counted) == {200, INJECTED_ERROR_STATUS}, counted
    # 90 expected; the bounds are more than four standard deviations (7.9) away, and the seed is fixed anyway.
    # They fail a server that answers every request 503 (300), none (0), or 503 at 1 - rate (210).
    assert 55 <= counted[INJECTED_ERROR_STATUS] <= 125, counted


def test_the_same_seed_injects_the_same_faults_in_the_same_order(make_client) -> None:
    requests = 60
    first = statuses(make_client(error_rate=0.3, seed=5), requests)
    again = statuses(make_client(error_rate=0.3, seed=5), requests)
    other = statuses(make_client(error_rate=0.3, seed=6), requests)
    assert INJECTED_ERROR_STATUS in first and 200 in first
    assert again == first
    # Two seeds agreeing on all 60 draws at 0.3 has a chance of about 1e-12: a seed that is not used.
    assert other != first
