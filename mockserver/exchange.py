"""What a handler receives and what it returns, and what makes an API's behaviour.

The per-request values are dataclasses with an `__init__` of their own, which the compiled build (README, "The
compiled hot path") turns into native classes that are built without a Python-level call (see
`mockserver.simulation.visitor`). Nothing changes them after they are built.

A handler is a plain function `RequestContext -> ApiResponse`: the pipeline has already routed, authenticated
and validated the request, and will serialise (and, when asked, self-validate) the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, final

from mockserver.auth import Principal, TokenPolicy
from mockserver.errors import ErrorStyle
from mockserver.prefer import Preferences
from mockserver.specs import Operation
from mockserver.store import JourneyStore
from mockserver.validation import ParsedParameters, Problem

#: The headers of an answer that adds none: one shared, read-only, empty mapping.
NO_HEADERS: Final[Mapping[str, str]] = MappingProxyType({})


@final
@dataclass(init=False)
class RequestContext:
    operation: Operation
    params: ParsedParameters
    body: Any
    principal: Principal
    preferences: Preferences
    #: `Prefer: seed=` when given, else `--seed`.
    seed: int
    now: datetime
    #: The world's origin (`Mock.epoch`): simulated events have absolute times from it, `now` only says
    #: which have happened.
    epoch: datetime
    store: JourneyStore

    def __init__(
        self,
        *,
        operation: Operation,
        params: ParsedParameters,
        body: Any,
        principal: Principal,
        preferences: Preferences,
        seed: int,
        now: datetime,
        epoch: datetime,
        store: JourneyStore,
    ) -> None:
        self.operation = operation
        self.params = params
        self.body = body
        self.principal = principal
        self.preferences = preferences
        self.seed = seed
        self.now = now
        self.epoch = epoch
        self.store = store


@final
@dataclass(init=False)
class ApiResponse:
    status: int
    body: Any
    headers: Mapping[str, str]

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers if headers is not None else NO_HEADERS


Handler = Callable[[RequestContext], ApiResponse]


@dataclass(frozen=True)
class ApiBehaviour:
    """Everything that is particular to one API; `apis/<api>.py` builds one."""

    name: str
    error_style: ErrorStyle
    token_policy: TokenPolicy
    #: One handler per operationId of the API's spec, no more, no fewer (checked at start-up).
    handlers: Mapping[str, Handler]
    #: The message of a 400 for invalid input.
    invalid_request_message: Callable[[Sequence[Problem]], str]
    #: The message of a 404 for this operation and these path parameters.
    not_found_message: Callable[[Operation, Mapping[str, Any]], str]
    #: Whether handlers touch the journey store (then they run off the event loop when the store blocks).
    uses_store: bool = False
    #: The kinds of journey `Prefer: archetype=` may choose; none when the journeys are what clients create.
    archetypes: tuple[str, ...] = ()
