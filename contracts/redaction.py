"""Masking credentials in text a run prints or writes (reports, JUnit XML, observation files, drift reports).

Stdlib only: `journeymock drift` and the observation writer use it without the contract runner's extra.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

REDACTED: Final = "[Filtered]"
#: Shorter values are not masked in free text: masking every "42" would garble the report and hide nothing.
MIN_SECRET_LENGTH: Final = 4


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, REDACTED)
    return text
