"""Time: where "now" comes from, and how instants are read and written.

Everything that depends on the time takes a `Clock` (or an instant read from one), never the system clock
directly, so `--now` and the tests can pin it. Instants are aware UTC `datetime`s at the edges; the
simulation works in integer epoch seconds/milliseconds because that is much cheaper than datetime
arithmetic, and formats them with the `format_epoch_*` functions below.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final, Protocol

from mockserver.tables import LazyTable

__all__ = [
    "HOUR_PREFIXES",
    "MINUTE_SECOND_Z",
    "SECONDS_PER_HOUR",
    "Clock",
    "ClockSetting",
    "FixedClock",
    "SettableClock",
    "SystemClock",
    "day_floor",
    "epoch_micros",
    "epoch_millis",
    "epoch_seconds",
    "format_epoch_micros",
    "format_epoch_millis",
    "format_epoch_seconds",
    "format_instant",
    "parse_instant",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY: Final = date(1970, 1, 1)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class FixedClock:
    """A clock that always says the same instant (`--now`, tests)."""

    __slots__ = ("_at",)

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        return self._at

    def __repr__(self) -> str:
        return f"FixedClock({format_instant(self._at, millis=True)})"


class SystemClock:
    """Real time, in UTC."""

    __slots__ = ()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


@dataclass(frozen=True)
class ClockSetting:
    """Where a movable clock stands: stopped at `fixed`, or (`fixed` None) running in real time shifted by
    `offset`. Its text form travels through the store, so every worker process reads the same clock."""

    fixed: datetime | None
    offset: timedelta = timedelta(0)

    @property
    def running(self) -> bool:
        return self.fixed is None

    def now(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(UTC) + self.offset

    def moved_to(self, instant: datetime) -> ClockSetting:
        """The same kind of clock (stopped or running) showing `instant` now."""
        if self.fixed is not None:
            return ClockSetting(as_utc(instant))
        return ClockSetting(None, as_utc(instant) - datetime.now(UTC))

    def text(self) -> str:
        fixed = self.fixed.isoformat() if self.fixed is not None else None
        return json.dumps({"fixed": fixed, "offset_us": self.offset // _MICROSECOND})

    @classmethod
    def from_text(cls, text: str) -> ClockSetting:
        data = json.loads(text)
        fixed = data["fixed"]
        return cls(as_utc(datetime.fromisoformat(fixed)) if fixed else None, timedelta(microseconds=data["offset_us"]))


class SettableClock:
    """A clock that shows what the shared setting says: `load` returns the setting's text, or None for
    `default`. The text is parsed again only when it changes, and a stopped clock answers the same datetime
    object every time (cheap to convert, see `epoch_seconds`)."""

    __slots__ = ("_current", "_default", "_load", "_text")

    def __init__(self, default: ClockSetting, load: Callable[[], str | None]) -> None:
        self._default = default
        self._load = load
        self._text: str | None = None
        self._current = default

    def setting(self) -> ClockSetting:
        text = self._load()
        if text is not self._text and text != self._text:
            self._current = self._default if text is None else ClockSetting.from_text(text)
        self._text = text
        return self._current

    def now(self) -> datetime:
        return self.setting().now()

    def __repr__(self) -> str:
        return f"SettableClock({self.setting()!r})"


# A date alone, or a date and time with optional fraction and offset. `datetime.fromisoformat` accepts far
# more (week dates, "T" omitted, ...); a strict pattern first gives users one clear error for all of those.
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?)?"
)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant (e.g. `2026-05-21T16:03:11Z`) as an aware UTC datetime.

    A date alone means midnight UTC; a time without an offset is taken as UTC, since every vendor here
    speaks UTC. More than six fractional digits are truncated to microseconds.
    """
    stripped = text.strip()
    if not _INSTANT.fullmatch(stripped):
        raise ValueError(f"{text!r} is not an ISO 8601 instant; expected e.g. 2026-05-21T16:03:11Z or 2026-05-21")
    normalised = stripped.replace(",", ".")
    normalised = re.sub(r"[Zz]$", "+00:00", normalised)
    normalised = re.sub(r"(\.\d{6})\d+", r"\1", normalised)
    try:
        parsed = datetime.fromisoformat(normalised)
    except ValueError as error:
        raise ValueError(f"{text!r} is not a valid instant: {error}") from error
    return as_utc(parsed)


def day_floor(moment: datetime) -> datetime:
    """Midnight UTC of `moment`'s day."""
    return as_utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_instant(dt: datetime, *, millis: bool = False) -> str:
    """`2026-05-21T16:03:11Z`, or with `millis` `2024-01-15T10:00:00.000Z` (sub-millisecond part dropped)."""
    if millis:
        return format_epoch_millis(epoch_millis(dt))
    return format_epoch_seconds(epoch_seconds(dt))


def epoch_seconds(dt: datetime) -> int:
    """Whole seconds since the Unix epoch (rounded down); a naive datetime is taken as UTC."""
    # A request asks this of one `now` several times (simulation, projection): the last answer is kept,
    # keyed by identity — datetimes are immutable, and the pair is replaced in one atomic assignment.
    global _last_epoch_seconds
    last = _last_epoch_seconds
    if last[0] is dt:
        return last[1]
    seconds = _since_epoch(dt) // _SECOND
    _last_epoch_seconds = (dt, seconds)
    return seconds


def epoch_millis(dt: datetime) -> int:
    """Whole milliseconds since the Unix epoch (rounded down)."""
    return _since_epoch(dt) // _MILLISECOND


def epoch_micros(dt: datetime) -> int:
    """Microseconds since the Unix epoch."""
    return _since_epoch(dt) // _MICROSECOND


def _since_epoch(dt: datetime) -> timedelta:
    # Exact timedelta arithmetic: `dt.timestamp()` goes through a float and can be off by a microsecond.
    return (dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)) - _EPOCH


_SECOND: Final = timedelta(seconds=1)
_last_epoch_seconds: tuple[datetime | None, int] = (None, 0)
_MILLISECOND: Final = timedelta(milliseconds=1)
_MICROSECOND: Final = timedelta(microseconds=1)

# Formatting is on the hot path (a journey has a dozen timestamps). An instant is its hour's prefix
# (`2026-05-21T16:`, from a dict filled on first use) plus `MM:SSZ` from a table of the 3,600 seconds of an
# hour: one division, two lookups and one concatenation, several times cheaper than strftime. Both tables
# stay small (a table of every second of a day would be ~5 MB of strings, and slower for its cache misses).
# `HOUR_PREFIXES` and `MINUTE_SECOND_Z` are public so that a caller formatting many instants of the same
# hours (a journey's sessions) looks each hour up once.
#: `MINUTE_SECOND_Z[s]` is `MM:SSZ` for second `s` of an hour.
MINUTE_SECOND_Z: Final = tuple(f"{m:02d}:{s:02d}Z" for m in range(60) for s in range(60))
SECONDS_PER_HOUR: Final = 3600


def _hour_prefix(hour: int) -> str:
    day, hour_of_day = divmod(hour, 24)
    return f"{(_EPOCH_DAY + timedelta(days=day)).isoformat()}T{hour_of_day:02d}:"


#: `HOUR_PREFIXES[h] + MINUTE_SECOND_Z[s]` is second `s` of hour `h` since the epoch. A server sees the few
#: thousand hours its journeys span, plus one more per hour it runs, well inside the limit.
HOUR_PREFIXES: Final = LazyTable(_hour_prefix, limit=16_384)


def format_epoch_seconds(seconds: int) -> str:
    """`2026-05-21T16:03:11Z` for whole epoch seconds."""
    hour = seconds // SECONDS_PER_HOUR
    return HOUR_PREFIXES[hour] + MINUTE_SECOND_Z[seconds - hour * SECONDS_PER_HOUR]


def format_epoch_millis(millis: int) -> str:
    """`2025-10-29T12:20:50.189Z` for epoch milliseconds."""
    seconds, fraction = divmod(millis, 1000)
    return f"{format_epoch_seconds(seconds)[:-1]}.{fraction:03d}Z"


def format_epoch_micros(micros: int) -> str:
    """`2025-09-10T03:45:29.113091Z` for epoch microseconds."""
    seconds, fraction = divmod(micros, 1_000_000)
    return f"{format_epoch_seconds(seconds)[:-1]}.{fraction:06d}Z"
