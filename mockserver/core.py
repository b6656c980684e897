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
from mockserver.apis.visitors import MISSING_PREFIX
from mockserver.auth import Principal
from mockserver.clock import (
    Clock,
    ClockSetting,
    FixedClock,
    SettableClock,
    as_utc,
    epoch_seconds,
    format_epoch_seconds,
    format_instant,
)
from mockserver.config import LatencyRange, ServerConfig
from mockserver.exchange import RequestContext
from mockserver.faults import FaultInjector
from mockserver.journal import JournalEntry, JournalQuery, RequestJournal
from mockserver.pipeline import ApiPipeline
from mockserver.prefer import Preferences
from mockserver.simulation import VisitorJourney, visitor_journey
from mockserver.specs import ApiSpec, Operation, load_specs
from mockserver.store import JourneyStore, open_store
from mockserver.validation import ParsedParameters

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
        since = query.since if query is not None and query.since is not None else 0
        entries = self.journal.entries(since)
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

    # What the web page shows beyond the journal: an entry with its operation, the clock, generated journeys -----

    def journal_entry(self, entry_id: int) -> JournalEntry:
        """The journal entry with this id; `LookupError` when it was never recorded or is no longer kept."""
        entry = self.journal.entry(entry_id)
        if entry is not None:
            return entry
        raise LookupError(f"No journal entry {entry_id}: the journal keeps the last {self.config.journal_size}")

    def operation_of(self, entry: JournalEntry) -> Operation | None:
        """The spec's operation a journal entry was routed to (None for a path no operation serves)."""
        if entry.api is None or entry.operation_id is None or entry.api not in self.specs:
            return None
        return self.specs[entry.api].operation(entry.operation_id)

    def generated_archetypes(self) -> dict[str, list[str]]:
        """The served APIs whose journeys the simulation generates, with the archetypes each can be asked for."""
        return {api: list(BEHAVIOURS[api].archetypes) for api in self.specs if BEHAVIOURS[api].archetypes}

    def explore_journey(
        self, api: str, journey_id: str, *, seed: int | None = None, archetype: str | None = None
    ) -> dict[str, Any]:
        """A generated journey as `api` serves it now — every operation's body — and its timeline.

        The bodies come from the API's own handlers, so they are what a client would get, without a request
        in the journal. `LookupError` for an API not served or an id that names no journey; `ValueError` for
        an API without generated journeys or an unknown archetype."""
        self.spec_document(api)
        behaviour = BEHAVIOURS[api]
        if not behaviour.archetypes:
            generated = ", ".join(name for name in self.specs if BEHAVIOURS[name].archetypes)
            raise ValueError(f"{api} journeys are the ones clients create; generated journeys: {generated}")
        if archetype is not None and archetype not in behaviour.archetypes:
            raise ValueError(f"archetype must be one of {', '.join(behaviour.archetypes)}, got {archetype!r}")
        if journey_id.startswith(MISSING_PREFIX):
            raise LookupError(f"Journey ids beginning with {MISSING_PREFIX!r} name no journey (404)")
        chosen_seed = self.config.seed if seed is None else seed
        now = self.clock.now()
        journey = visitor_journey(journey_id, seed=chosen_seed, now=now, epoch=self.epoch, archetype=archetype)
        bodies = {}
        for operation in self.specs[api].operations:
            context = RequestContext(
                operation=operation,
                params=ParsedParameters(path={"journey_id": journey_id}, query={}, headers={}),
                body=None,
                principal=Principal(token="", org_id="", scopes=frozenset()),
                preferences=Preferences(seed=seed, archetype=archetype),
                seed=chosen_seed,
                now=now,
                epoch=self.epoch,
                store=self.store,
            )
            bodies[operation.operation_id] = behaviour.handlers[operation.operation_id](context).body
        return {
            "api": api,
            "journey_id": journey_id,
            "seed": chosen_seed,
            "archetype": journey.archetype,
            "now": format_instant(now),
            "operations": bodies,
            "timeline": journey_timeline(journey, now),
        }


def journey_timeline(journey: VisitorJourney, now: datetime) -> dict[str, Any]:
    """What a picture of the journey needs: its sessions over time with their pages, conversions and bot flags."""
    return {
        "anchor": format_epoch_seconds(journey.anchor),
        "now": format_instant(now),
        "intent": {"score": journey.intent_score, "level": journey.intent_level},
        "recommendation": journey.recommendation_flag,
        "converted": journey.converted,
        "bot": journey.is_bot,
        "automated": journey.automated,
        "active": journey.is_active(epoch_seconds(now)),
        "sessions": [
            {
                "number": session.number,
                "start": format_epoch_seconds(session.start),
                "end": format_epoch_seconds(session.end),
                "pages": list(session.pages),
                "channel": session.channel,
                "clicks": session.clicks,
                "scrolls": session.scrolls,
                "botd": session.botd,
                "conversions": [
                    {"kind": conversion.kind, "page": conversion.page, "at": format_epoch_seconds(conversion.at)}
                    for conversion in session.conversions
                ],
            }
            for session in journey.sessions
        ],
    }


def replica_name() -> str:
    """Which server process answered: `host:pid` (several replicas, or workers, share one store)."""
    return f"{socket.gethostname()}:{os.getpid()}"
