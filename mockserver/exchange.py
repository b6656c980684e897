"""What a handler receives and what it returns, and what makes an API's behaviour.

The per-request values are NamedTuples: immutable like frozen dataclasses, but about twice as cheap to build,
and several are built for every request.

A handler is a plain function `RequestContext -> ApiResponse`: the pipeline has already routed, authenticated
and validated the request, and will serialise (and, when asked, self-validate) the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from mockserver.auth import Principal, TokenPolicy
from mockserver.errors import ErrorStyle
from mockserver.prefer import Preferences
from mockserver.specs import Operation
from mockserver.store import JourneyStore
from mockserver.validation import ParsedParameters, Problem


class RequestContext(NamedTuple):
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


class ApiResponse(NamedTuple):
    status: int
    body: Any
    headers: Mapping[str, str] = MappingProxyType({})


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
