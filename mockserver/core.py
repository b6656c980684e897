"""The mock itself, whichever front end drives it: the served app, the admin API, the pytest plugin's server and
in-process client, the contract runner's mock target and the fixture generator.

`Mock` owns the loaded specs, the store of created journeys, the request journal, the clock, the faults and the
settings, and offers the operations every front end needs (as WireMock's admin tasks sit over its `Admin`
core): reset, journal queries, clock and fault changes, health. The request pipeline serves API requests with
the same objects, so a change made here is what the next request sees.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mockserver import __version__
from mockserver.apis import BEHAVIOURS
from mockserver.clock import Clock, ClockSetting, FixedClock, SettableClock, as_utc, format_instant
from mockserver.config import LatencyRange, ServerConfig
from mockserver.faults import FaultInjector
from mockserver.journal import JournalEntry, JournalQuery, RequestJournal
from mockserver.pipeline import ApiPipeline
from mockserver.specs import ApiSpec, load_specs
from mockserver.store import JourneyStore, open_store

#: `set_faults` argument that leaves a fault as it is.
UNCHANGED: Any = object()


@dataclass(frozen=True)
class Faults:
    """The faults in force: what `journeymock serve --latency/--error-rate/--rate-limit` set, or a later change."""

    latency: LatencyRange | None
    error_rate: float
    rate_limit: float | None


@dataclass(frozen=True)
class ClockState:
    """What `GET /__admin/clock` shows: the clock's instant, the world's epoch, and whether the clock runs."""

    now: datetime
    epoch: datetime
    running: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": format_instant(self.now, millis=True),
            "epoch": format_instant(self.epoch),
            "running": self.running,
        }


class ClockError(ValueError):
    """A clock move that is refused (backwards without `allow_rewind`); the message says why."""


class Mock:
    def __init__(
        self,
        config: ServerConfig | None = None,
        *,
        specs: Mapping[str, ApiSpec] | None = None,
        clock: Clock | None = None,
        store: JourneyStore | None = None,
    ) -> None:
        self.config = config or ServerConfig()
        self.specs: dict[str, ApiSpec] = dict(specs) if specs is not None else dict(load_specs(self.config.apis))
        self.store = store if store is not None else open_store(self.config.state_path)
        self.journal = RequestJournal(self.config.journal_size)
        self.faults = self._fault_injector(self.config.latency, self.config.error_rate, self.config.rate_limit)
        #: The world's origin: fixed for the mock's life, whatever the clock does.
        self.epoch = self.config.world_epoch(datetime.now(UTC))
        # The clock every request reads: the configured one until moved; a move is kept in the store, so that
        # every worker process sharing the store shows the same clock. A `clock` given here (the fixture
        # generator's) stands until the clock is moved.
        self._settable = SettableClock(ClockSetting(self.config.now), self.store.load_clock)
        self._base_clock: Clock = clock or self._settable
        self.pipeline = ApiPipeline(
            config=self.config,
            specs=self.specs,
            behaviours=BEHAVIOURS,
            clock=self._base_clock,
            epoch=self.epoch,
            store=self.store,
            journal=self.journal,
            faults=self.faults,
        )

    def _fault_injector(
        self, latency: LatencyRange | None, error_rate: float, rate_limit: float | None
    ) -> FaultInjector:
        return FaultInjector(seed=self.config.seed, latency=latency, error_rate=error_rate, rate_limit=rate_limit)

    # The request journal ----------------------------------------------------------------------------------------

    def requests(self, query: JournalQuery | None = None) -> list[JournalEntry]:
        """Recorded requests, oldest first, secrets redacted; only those `query` matches when given."""
        entries = self.journal.entries()
        return entries if query is None else [entry for entry in entries if query.matches(entry)]

    def journal_query(self, params: Mapping[str, str]) -> JournalQuery:
        """A query from the admin API's parameters; `ValueError` naming what is allowed."""
        operation_ids = (operation.operation_id for spec in self.specs.values() for operation in spec.operations)
        return JournalQuery.from_params(params, self.specs, operation_ids)

    def clear_journal(self) -> None:
        self.journal.clear()

    def reset(self) -> None:
        """Forget recorded requests, created journeys and rate-limit counts, and put the clock back where the
        settings put it (`POST /__admin/reset`)."""
        self.journal.clear()
        self.store.clear()
        self.faults.reset()
        self.store.save_clock(None)
        self.pipeline.clock = self._base_clock

    # Clock and faults -------------------------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self.pipeline.clock

    def set_now(self, instant: datetime | None) -> None:
        """Fix the clock at `instant`, or let it run in real time (None), backwards or forwards."""
        self._save_clock(ClockSetting(as_utc(instant) if instant else None))

    def clock_state(self) -> ClockState:
        """`GET /__admin/clock`: now, the epoch, and whether the clock runs."""
        setting = self._clock_setting()
        return ClockState(setting.now(), self.epoch, setting.running)

    def advance(self, duration: timedelta) -> ClockState:
        """Move the clock forward by `duration` (a running clock keeps running); `ClockError` for a negative one."""
        if duration < timedelta(0):
            raise ClockError(f"the clock moves forward only; {duration} is negative")
        setting = self._clock_setting()
        return self._save_clock(setting.moved_to(setting.now() + duration))

    def set_clock(self, instant: datetime, *, allow_rewind: bool = False) -> ClockState:
        """Show `instant` now (a running clock keeps running from there); an instant earlier than now only with
        `allow_rewind`, else `ClockError`: a client's synced past would otherwise silently disappear. A naive
        `instant` is taken as UTC."""
        instant = as_utc(instant)
        setting = self._clock_setting()
        current = setting.now()
        if instant < current and not allow_rewind:
            raise ClockError(
                f"{format_instant(instant, millis=True)} is before now ({format_instant(current, millis=True)}); "
                "send allow_rewind: true to move the clock back"
            )
        return self._save_clock(setting.moved_to(instant))

    def _clock_setting(self) -> ClockSetting:
        clock = self.pipeline.clock
        if clock is self._settable:
            return self._settable.setting()
        if isinstance(clock, FixedClock):
            return ClockSetting(clock.now())
        return ClockSetting(None, clock.now() - datetime.now(UTC))

    def _save_clock(self, setting: ClockSetting) -> ClockState:
        self.store.save_clock(setting.text())
        self.pipeline.clock = self._settable
        return self.clock_state()

    @property
    def current_faults(self) -> Faults:
        limiter = self.faults.limiter
        return Faults(self.faults.latency, self.faults.error_rate, limiter.rate if limiter else None)

    def set_faults(
        self, *, latency: Any = UNCHANGED, error_rate: Any = UNCHANGED, rate_limit: Any = UNCHANGED
    ) -> Faults:
        """Change faults while serving; arguments left out keep their value, None turns a fault off. The random
        sequence starts again from the seed, so the same changes give the same faults."""
        current = self.current_faults
        wanted = replace(
            current,
            **{
                name: value
                for name, value in (("latency", latency), ("error_rate", error_rate), ("rate_limit", rate_limit))
                if value is not UNCHANGED
            },
        )
        self.faults = self.pipeline.faults = self._fault_injector(
            wanted.latency, wanted.error_rate or 0.0, wanted.rate_limit
        )
        return wanted

    # Health and specs -------------------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        setting = self._clock_setting()
        now = None if setting.running else setting.now()
        return {
            "status": "ok",
            "version": __version__,
            "apis": list(self.specs),
            "seed": self.config.seed,
            "now": format_instant(now) if now else None,
            "state": self.store.location,
            "store": {"kind": self.store.kind, "location": self.store.location},
            "replica": replica_name(),
            "journal": {"entries": len(self.journal), "capacity": self.config.journal_size},
        }

    def spec_document(self, api: str) -> Mapping[str, Any]:
        """The served spec of `api`; `LookupError` naming the served APIs."""
        if api not in self.specs:
            raise LookupError(f"API {api!r} is not served; served: {', '.join(self.specs)}")
        return self.specs[api].document

    def close(self) -> None:
        self.store.close()


def replica_name() -> str:
    """Which server process answered: `host:pid` (several replicas, or workers, share one store)."""
    return f"{socket.gethostname()}:{os.getpid()}"
