"""Clocks, and reading and writing instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.clock import (
    FixedClock,
    SystemClock,
    epoch_micros,
    epoch_millis,
    epoch_seconds,
    format_epoch_micros,
    format_epoch_millis,
    format_epoch_seconds,
    format_instant,
    parse_instant,
)
from mockserver.tables import LazyTable

instants = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-21T16:03:11Z", datetime(2026, 5, 21, 16, 3, 11, tzinfo=UTC)),
        ("2024-01-15T10:00:00.000Z", datetime(2024, 1, 15, 10, tzinfo=UTC)),
        ("2025-09-10T03:45:29.113091Z", datetime(2025, 9, 10, 3, 45, 29, 113091, tzinfo=UTC)),
        ("2025-09-10T03:45:29.1130919Z", datetime(2025, 9, 10, 3, 45, 29, 113091, tzinfo=UTC)),
        ("2026-05-21T18:03:11+02:00", datetime(2026, 5, 21, 16, 3, 11, tzinfo=UTC)),
        ("2026-05-21T16:03:11", datetime(2026, 5, 21, 16, 3, 11, tzinfo=UTC)),
        ("2026-05-21", datetime(2026, 5, 21, tzinfo=UTC)),
        (" 2026-05-21T16:03Z ", datetime(2026, 5, 21, 16, 3, tzinfo=UTC)),
    ],
)
def test_parse_instant_reads_iso_8601_as_aware_utc(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01", "2026-05-21T25:00:00Z", "21/05/2026", "1716307391"])
def test_parse_instant_rejects_anything_else_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match="instant"):
        parse_instant(text)


def test_format_instant_matches_the_vendors_examples() -> None:
    moment = datetime(2024, 1, 15, 10, 0, 0, 123456, tzinfo=UTC)
    assert format_instant(moment) == "2024-01-15T10:00:00Z"
    assert format_instant(moment, millis=True) == "2024-01-15T10:00:00.123Z"
    # Another offset is converted, a naive value is taken as UTC.
    assert format_instant(moment.astimezone(timezone(timedelta(hours=-5)))) == "2024-01-15T10:00:00Z"
    assert format_instant(moment.replace(tzinfo=None), millis=True) == "2024-01-15T10:00:00.123Z"


@given(instants)
def test_epoch_formatting_agrees_with_datetime(moment: datetime) -> None:
    assert format_epoch_seconds(epoch_seconds(moment)) == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert format_epoch_millis(epoch_millis(moment)) == moment.strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )
    assert format_epoch_micros(epoch_micros(moment)) == moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert parse_instant(format_epoch_micros(epoch_micros(moment))) == moment


def test_clocks() -> None:
    at = datetime(2026, 5, 21, 16, 3, 11, tzinfo=UTC)
    assert FixedClock(at).now() == at
    assert FixedClock(at.replace(tzinfo=None)).now() == at
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)


def test_the_hour_prefix_table_stays_bounded_and_right(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockserver import clock

    table = LazyTable(clock._hour_prefix, limit=50)
    monkeypatch.setattr(clock, "HOUR_PREFIXES", table)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for hours in range(0, 5000, 7):
        moment = start + timedelta(hours=hours, minutes=hours % 60, seconds=hours % 59)
        assert clock.format_epoch_seconds(epoch_seconds(moment)) == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert len(table) <= 50


def test_epoch_seconds_remembers_only_the_same_instant() -> None:
    first = datetime(2026, 5, 21, 16, 3, 41, tzinfo=UTC)
    second = datetime(2026, 5, 21, 16, 3, 42, tzinfo=UTC)
    assert epoch_seconds(first) == epoch_seconds(first) == 1779379421
    assert epoch_seconds(second) == 1779379422
    assert epoch_seconds(first) == 1779379421
    # An equal but distinct datetime in another zone is the same instant.
    assert epoch_seconds(first.astimezone(timezone(timedelta(hours=2)))) == 1779379421
