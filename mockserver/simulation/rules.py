"""Rules that turn behaviour into judgements: intent level, recommendation, bot detection, liveness.

Both the generator and the invariant checks use these functions, so a body is judged by exactly the rule
that produced it. Thresholds that the vendors do not document are journeymock's conventions and are
stated in the specs (`x-journeymock-inferred`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = [
    "ACTIVE_WINDOW_SECONDS",
    "BOTD_SESSIONS_FOR_BOT",
    "FLAGS",
    "automated",
    "bot_severity",
    "intent_level",
    "is_bot",
    "looks_automated",
    "recommendation_flag",
]

# A visitor whose last event is at most this old is "on the site right now" (`live.is_active`).
ACTIVE_WINDOW_SECONDS: Final = 30 * 60

HIGH_INTENT_SCORE: Final = 70
MEDIUM_INTENT_SCORE: Final = 40

POST_CONVERSION: Final = "post_conversion_context"
SUSPECTED_BOT: Final = "suspected_bot"
SALES_READY: Final = "sales_ready"
NURTURE: Final = "nurture"
MONITOR: Final = "monitor"
FLAGS: Final = (POST_CONVERSION, SUSPECTED_BOT, SALES_READY, NURTURE, MONITOR)
_FLAG_BY_LEVEL: Final = {"high": SALES_READY, "medium": NURTURE, "low": MONITOR}

# Automated sessions: several of them, none scrolled, all shorter than this.
_AUTOMATED_MIN_SESSIONS: Final = 3
_AUTOMATED_MAX_SECONDS: Final = 60

# The rule-based bot detector calls a journey a bot once BotD has flagged this many of its sessions;
# a single flagged session is treated as a false positive (low severity).
BOTD_SESSIONS_FOR_BOT: Final = 2


def intent_level(score: int) -> str:
    """`high` from 70, `medium` from 40, else `low` (the spec's stated mapping)."""
    if score >= HIGH_INTENT_SCORE:
        return "high"
    if score >= MEDIUM_INTENT_SCORE:
        return "medium"
    return "low"


def looks_automated(durations: Iterable[int], scrolls: Iterable[int]) -> bool:
    """Several sessions, every one short and without a single scroll: a script, not a person."""
    durations = list(durations)
    return automated(len(durations), max(durations, default=0), any(scrolls))


def automated(sessions: int, longest_seconds: int, scrolled: bool) -> bool:
    """`looks_automated` from a summary of the sessions (what the generator already has at hand)."""
    return sessions >= _AUTOMATED_MIN_SESSIONS and longest_seconds < _AUTOMATED_MAX_SECONDS and not scrolled


def recommendation_flag(*, converted: bool, automated: bool, level: str) -> str:
    """A conversion outranks everything (the lead exists); then automation; then the intent level."""
    if converted:
        return POST_CONVERSION
    if automated:
        return SUSPECTED_BOT
    return _FLAG_BY_LEVEL[level]


def is_bot(botd_sessions: int) -> bool:
    return botd_sessions >= BOTD_SESSIONS_FOR_BOT


def bot_severity(botd_sessions: int) -> str:
    """`high` for a bot, `low` for a lone flagged session, `none` for a clean journey."""
    if is_bot(botd_sessions):
        return "high"
    return "low" if botd_sessions else "none"
