"""A small Jourvex Journey API client, as a backend would write one: one GET, clear errors, bounded retries."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

DEFAULT_BASE_URL = "https://api.jourvex.com"


class JourvexError(Exception):
    """The Journey API did not give us a journey."""


class JourvexAuthError(JourvexError):
    """401: the API key is missing, malformed or rejected; retrying cannot help."""


class JourneyNotFound(JourvexError):
    """404: Jourvex has no journey with this id (a stale or forged `journey_id` from the browser)."""

    def __init__(self, journey_id: str) -> None:
        super().__init__(f"Jourvex has no journey {journey_id!r}")
        self.journey_id = journey_id


class JourvexRateLimited(JourvexError):
    """429 on every attempt; `retry_after` is the last wait Jourvex asked for, in seconds."""

    def __init__(self, attempts: int, retry_after: float) -> None:
        super().__init__(f"Jourvex rate limit: still 429 after {attempts} attempts (retry after {retry_after:g} s)")
        self.attempts = attempts
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, default: float = 1.0) -> float:
    """`Retry-After` is delta-seconds or an HTTP date (RFC 9110); anything else means `default`."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


@dataclass
class JourvexClient:
    base_url: str
    api_key: str
    #: Attempts per journey, the first included: a demo booking should not hang on a throttled vendor.
    max_attempts: int = 3
    #: Longest wait we accept between attempts, whatever Retry-After says.
    max_wait: float = 5.0
    timeout: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    http: httpx.Client = field(default_factory=httpx.Client)

    @classmethod
    def from_environment(cls, **options: Any) -> JourvexClient:
        """`JOURVEX_BASE_URL` (default: the vendor's host) and `JOURVEX_API_KEY`."""
        try:
            api_key = os.environ["JOURVEX_API_KEY"]
        except KeyError:
            raise JourvexAuthError("JOURVEX_API_KEY is not set") from None
        return cls(os.environ.get("JOURVEX_BASE_URL", DEFAULT_BASE_URL).rstrip("/"), api_key, **options)

    def fetch_journey(self, journey_id: str) -> dict[str, Any]:
        url = f"{self.base_url}/api/journey/{journey_id}"
        headers = {"Authorization": f"Bearer {self.api_key}"}
        for attempt in range(1, self.max_attempts + 1):
            response = self.http.get(url, headers=headers, timeout=self.timeout)
            if response.status_code == 429:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if attempt == self.max_attempts:
                    raise JourvexRateLimited(attempt, wait)
                self.sleep(min(wait, self.max_wait))
                continue
            if response.status_code == 401:
                raise JourvexAuthError(f"Jourvex rejected the API key (401): {response.json().get('error', '')}")
            if response.status_code == 404:
                raise JourneyNotFound(journey_id)
            response.raise_for_status()
            journey: dict[str, Any] = response.json()
            return journey
        raise AssertionError("unreachable: the loop returns or raises")
